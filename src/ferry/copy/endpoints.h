// Opens the source or sink a reference names, whatever its transport, and
// shares one client per registry (and one object per layout directory) across
// a run, so connections, tokens and index.json locks are shared too.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "ferry/ref/reference.h"
#include "ferry/registry/registry_client.h"
#include "ferry/transport/image_store.h"

namespace ferry {

struct EndpointOptions {
  RegistryOptions source;
  RegistryOptions destination;
};

class Endpoints {
 public:
  explicit Endpoints(EndpointOptions options) : options_(std::move(options)) {}

  std::shared_ptr<ImageSource> source(const ImageReference& reference);
  // Makes source() answer `source` for every reference at reference.location()
  // (the same registry repository, or layout directory), whatever its tag or
  // digest: how a caller hands the copy engine a source of its own making (an
  // OverlaySource of a rebuilt catalog). Sinks are not affected.
  void addSource(const ImageReference& reference, std::shared_ptr<ImageSource> source);
  std::shared_ptr<ImageSink> sink(const ImageReference& reference);
  // The registry-specific view, for commands that list tags and the like.
  std::shared_ptr<class RegistryRepository> repository(const ImageReference& reference, bool destination);
  // Makes sink() return `sink` for every reference to the same location (registry
  // and repository, or layout), whatever the tag or digest: how a transport no
  // reference names by itself (an archive's image views) reaches the copy engine.
  void addSink(const ImageReference& reference, std::shared_ptr<ImageSink> sink);
  // Completes the archive files (oci-archive:, docker-archive:) this run wrote
  // to: until then they are FILE.partial, and an Endpoints destroyed without
  // finish() removes them, so a failed run leaves no half archive.
  void finish();

 private:
  std::shared_ptr<RegistryClient> client(const ImageReference& reference, bool destination);
  std::shared_ptr<class OciLayout> layout(const ImageReference& reference, bool create);
  // oci-archive:, docker-archive: and dir: (see tarball/ and dirstore/), one object per file and side.
  std::shared_ptr<ImageSource> fileSource(const ImageReference& reference);
  std::shared_ptr<ImageSink> fileSink(const ImageReference& reference);

  EndpointOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<RegistryClient>> clients_;
  std::map<std::string, std::shared_ptr<RegistryRepository>> repositories_;
  std::map<std::string, std::shared_ptr<OciLayout>> layouts_;
  std::set<std::string> writable_;
  std::map<std::string, std::shared_ptr<ImageSource>> addedSources_;  // by location()
  std::map<std::string, std::shared_ptr<ImageSink>> addedSinks_;    // by location()
  std::map<std::string, std::shared_ptr<ImageSource>> fileSources_;  // by location()
  std::map<std::string, std::shared_ptr<class ArchiveSink>> archiveSinks_;  // by location()
};

}  // namespace ferry
