// The graph-data image (`mirror.platform.graph: true`), as oc-mirror v2 builds
// it, for the OpenShift Update Service (OSUS) of a disconnected cluster:
//
//   1. the graph data, cincinnati-graph-data as a tar.gz (channels/,
//      blocked-edges/, raw/, version, LICENSE), is downloaded from
//      kGraphDataUrl (oc-mirror's; ferry: --graph-data-url) to a file,
//      streamed and bounded (kMaxGraphDataBytes);
//   2. it is unpacked (streamed, entry by entry, bounded by
//      kMaxGraphDataFileBytes in all and kMaxGraphDataEntries) and re-packed
//      as one layer under /var/lib/cincinnati-graph-data/ by the deterministic
//      layer writer, which hashes the tar and the gzip as they are written;
//      optionally with the mirrored release signatures as
//      signatures/sha256/<hex>/signature-<n> (where the OSUS metadata service
//      serves them from; oc-mirror never adds them);
//   3. the base image (kGraphBaseImage, oc-mirror's; ferry: --graph-base-image)
//      is copied into a work OCI layout, and every platform image of it gets
//      the layer on top, a history entry, and the Cmd
//        /bin/bash -c "exec cp -rp /var/lib/cincinnati-graph-data/* /var/lib/cincinnati/graph-data"
//      (what the OSUS operator runs as the init container); an index keeps
//      its format and its platform images, and drops attestations (they
//      describe images whose digests changed).
//
// The result is tagged kGraphImageTag in the layout and pushed to
// <dest>/openshift/graph-image:latest, oc-mirror v2's name. The same graph
// data and base give the same digest, so a re-run pushes nothing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ferry/digest/digest.h"
#include "ferry/http/retry.h"
#include "ferry/layout/oci_layout.h"
#include "ferry/oci/manifest.h"

namespace ferry::release {

inline constexpr const char* kGraphDataUrl = "https://api.openshift.com/api/upgrades_info/graph-data";
inline constexpr const char* kGraphBaseImage = "registry.access.redhat.com/ubi9/ubi:latest";
inline constexpr const char* kGraphImageRepository = "openshift/graph-image";
inline constexpr const char* kGraphImageTag = "latest";
// Where the graph data lies in the image (no leading slash: a layer entry path).
inline constexpr const char* kGraphDataDirectory = "var/lib/cincinnati-graph-data";
inline constexpr const char* kGraphImageCommand =
    "exec cp -rp /var/lib/cincinnati-graph-data/* /var/lib/cincinnati/graph-data";

// Bounds (docs/limits.md). The real graph data is a few MiB compressed and some
// thousand small YAML files.
inline constexpr int64_t kMaxGraphDataBytes = int64_t{256} << 20;      // the downloaded tar.gz
inline constexpr int64_t kMaxGraphDataFileBytes = int64_t{1} << 30;    // its files, unpacked, in all
inline constexpr size_t kMaxGraphDataEntries = 200000;                 // its members

// Downloads the graph-data tarball at `url` into `file` (replaced), streaming,
// through ferry's HTTP layer (retries, timeouts). Throws Error naming the URL:
// unreachable after the retries, a status other than 200, or a body over kMaxGraphDataBytes.
void downloadGraphData(RetryingHttpClient& http, const std::string& url, const std::filesystem::path& file);

// One release signature to put into the image.
struct GraphSignature {
  Digest payload;
  int number = 1;              // signature-<n>
  std::filesystem::path file;  // its raw bytes
};

struct GraphImageInput {
  std::filesystem::path tarball;  // the graph data (tar.gz)
  std::string tarballName;        // the URL it came from, for messages
  std::vector<GraphSignature> signatures;
  std::filesystem::path workDirectory;  // where the tarball is unpacked (emptied first)
};

struct BuiltGraphImage {
  RawManifest top;     // the new index (or manifest, for a single-image base)
  Digest layer;        // the graph-data layer's digest
  size_t files = 0;    // regular files of the graph data in the layer (signatures included)
  size_t skipped = 0;  // links and special members of the tarball left out
  std::vector<std::string> platforms;  // the platform images that got the layer
};

// Builds the graph-data image into `out`, which must already hold the base image
// whose top manifest is `base` (blobs and manifests); tags it `tag` there.
// `baseName` names the base in messages. Throws Error naming the tarball or the
// base: a tarball that is not gzip or not a tar, over the bounds, with unsafe
// paths; a base without a platform image.
BuiltGraphImage buildGraphImage(OciLayout& out, const RawManifest& base, const std::string& baseName,
                                const GraphImageInput& input, const std::string& tag = kGraphImageTag);

}  // namespace ferry::release
