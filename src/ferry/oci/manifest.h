// The image model: descriptors, manifests, indexes and image configs.
//
// ferry never re-serialises a manifest it copies: the bytes are kept exactly
// as received (RawManifest) so digests are preserved, and Manifest is only a
// parsed view of them used to find what they point at.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/digest/digest.h"
#include "ferry/oci/platform.h"

namespace ferry {

struct Descriptor {
  std::string mediaType;
  Digest digest;
  int64_t size = 0;
  std::optional<Platform> platform;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::string artifactType;
};

// A manifest or index exactly as stored, with its digest.
struct RawManifest {
  std::string bytes;
  std::string mediaType;
  Digest digest;

  // A RawManifest for `bytes`, its digest computed.
  static RawManifest of(std::string bytes, std::string mediaType);
};

struct Manifest {
  // The effective media type: the document's own "mediaType" field, else the
  // type it was served or described with, else what its shape says.
  std::string mediaType;
  bool isIndex = false;

  // Image manifests.
  std::optional<Descriptor> config;
  std::vector<Descriptor> layers;  // for OCI artifact manifests: their "blobs"

  // Indexes.
  std::vector<Descriptor> manifests;

  std::optional<Descriptor> subject;
  std::string artifactType;
  std::map<std::string, std::string> annotations;

  // Parses a manifest or index. `servedAs` is the Content-Type or descriptor
  // media type it came with (may be empty). Throws Error for malformed JSON,
  // invalid digests, and Docker schema 1, which ferry refuses.
  static Manifest parse(std::string_view bytes, std::string_view servedAs);

  // Config and layers: the blobs this manifest needs before it can be pushed.
  std::vector<Descriptor> blobs() const;
};

// The part of an image config that says what platform the image runs on.
struct ImageConfig {
  Platform platform;
  static ImageConfig parse(std::string_view bytes);
};

}  // namespace ferry
