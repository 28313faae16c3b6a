// Opens the source or sink a reference names, whatever its transport, and
// shares one client per registry (and one object per layout directory) across
// a run, so connections, tokens and index.json locks are shared too.
//
// Every command that reads images goes through here, so what changes where
// images are read is decided here once:
//   - source mirrors (`--source-mirror PREFIX=LOCATION`, as registries.conf
//     mirrors work for podman and oc-mirror's enclave setups): an image whose
//     name starts with PREFIX (a registry, or a registry and repository path,
//     matched at a path boundary) is read from LOCATION instead —
//       registry.example.com/demo=mirror.local:5000/cache   another registry (the rest of the path is kept)
//       registry.example.com/demo=oci:examples/images       an OCI image layout (found by digest, else by tag)
//     The longest matching prefix wins. The image keeps its name everywhere
//     else (destination naming, mapping files, archives, cluster resources);
//     the manifest is still asked for by the reference's own tag or digest.
//   - registries.conf (regconf/registries_conf.h), for images no source mirror
//     names: a blocked prefix is refused; its mirrors are read first, in order
//     (each mirror over the next, the registry's location last: OverlaySource),
//     and `insecure` lets that host talk plain HTTP or unverified TLS on either
//     side. The image keeps its name, as with source mirrors.
//   - registry options: each side (source, destination) has its options, and
//     `forRegistry` may override them for one registry.
//
// A store no reference names (an archive's image views, a rebuilt catalog's
// overlay) is not registered here: it travels with its CopyRequest (from/to).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ferry/ref/reference.h"
#include "ferry/regconf/registries_conf.h"
#include "ferry/registry/registry_client.h"
#include "ferry/transport/image_store.h"

namespace ferry {

struct SourceMirror {
  std::string prefix;    // "registry.example.com/demo"
  std::string location;  // "mirror.local:5000/cache" or "oci:DIR"
};

// Parses "PREFIX=LOCATION" flags; throws Error saying which flag is malformed.
std::vector<SourceMirror> parseSourceMirrors(const std::vector<std::string>& flags);

// The reference to read `image` from, after the source mirrors.
ImageReference readLocation(const ImageReference& image, const std::vector<SourceMirror>& mirrors);

struct EndpointOptions {
  RegistryOptions source;
  RegistryOptions destination;
  std::vector<SourceMirror> sourceMirrors;
  RegistriesConf registriesConf;
  // The options for one registry ("host[:port]") on one side, when they differ
  // from the side's; nullopt keeps the side's. Asked once per registry and side.
  std::function<std::optional<RegistryOptions>(const std::string& registry, bool destination)> forRegistry;
};

class Endpoints {
 public:
  explicit Endpoints(EndpointOptions options) : options_(std::move(options)) {}

  // Where `reference` is read from: the source mirror for it, else itself.
  std::shared_ptr<ImageSource> source(const ImageReference& reference);
  std::shared_ptr<ImageSink> sink(const ImageReference& reference);
  // The registry-specific view, for commands that list tags and the like (no source mirrors).
  std::shared_ptr<class RegistryRepository> repository(const ImageReference& reference, bool destination);
  // The reference source() reads `reference` from (source mirrors applied).
  ImageReference readLocation(const ImageReference& reference) const;
  // Completes the archive files (oci-archive:, docker-archive:) this run wrote
  // to: until then they are FILE.partial, and an Endpoints destroyed without
  // finish() removes them, so a failed run leaves no half archive.
  void finish();

 private:
  std::shared_ptr<RegistryClient> client(const ImageReference& reference, bool destination);
  std::shared_ptr<class OciLayout> layout(const ImageReference& reference, bool create);
  // oci-archive:, docker-archive: and dir: (see tarball/ and dirstore/), one object per file and side.
  std::shared_ptr<ImageSource> fileSource(const ImageReference& reference);
  // `reference` read as registries.conf's `entry` says: refused when blocked, else its mirrors then its location.
  std::shared_ptr<ImageSource> throughRegistriesConf(const ImageReference& reference, const RegistryEntry& entry);
  std::shared_ptr<ImageSink> fileSink(const ImageReference& reference);

  EndpointOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<RegistryClient>> clients_;
  std::map<std::string, std::shared_ptr<RegistryRepository>> repositories_;
  std::map<std::string, std::shared_ptr<OciLayout>> layouts_;
  std::set<std::string> writable_;
  std::map<std::string, std::shared_ptr<ImageSource>> fileSources_;  // by location()
  std::map<std::string, std::shared_ptr<class ArchiveSink>> archiveSinks_;  // by location()
};

}  // namespace ferry
