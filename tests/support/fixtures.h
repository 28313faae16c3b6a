// Test images written into an OCI image layout directory:
//
//   DIR/oci-layout          {"imageLayoutVersion":"1.0.0"}
//   DIR/index.json          one descriptor per tag (annotation org.opencontainers.image.ref.name)
//   DIR/blobs/sha256/<hex>  manifests, indexes, configs, layers
//
// Everything is deterministic for a seed: the same seed and tag give the same
// digests on every run. Layers are real gzip-compressed tars of pseudo-random
// files; configs are valid image configs (rootfs.diff_ids match the layers).
//
// Each shape method adds one image under `tag`, replacing an earlier entry with
// that tag. The index.json descriptor points straight at the image's top blob,
// so ociIndex() in a fresh directory is exactly "a layout whose index.json has
// one index-typed descriptor pointing to an index blob".
//
// Note: skopeo's oci: transport ignores index.json entries with Docker media
// types, and cannot copy nested indexes; pushImage() (registry_push.h) can.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/digest/digest.h"

namespace ferry::testing {

namespace media {
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kInTotoLayer = "application/vnd.in-toto+json";
}  // namespace media

struct Platform {
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant;  // "v8", "v7", or empty

  std::string str() const;  // "linux/arm/v7"
  // "os/arch[/variant]"; throws Error otherwise.
  static Platform parse(std::string_view text);
  nlohmann::ordered_json toJson() const;
  bool operator==(const Platform&) const = default;
};

// The five platforms of the multi-arch shapes, in this order:
// linux/amd64, linux/arm64/v8, linux/arm/v7, linux/s390x, linux/ppc64le.
const std::vector<Platform>& fivePlatforms();

struct FixtureImage {
  std::string name;  // the tag: index.json's org.opencontainers.image.ref.name
  std::string mediaType;
  ferry::Digest digest;
  int64_t size = 0;                      // bytes of the top manifest or index
  std::vector<ferry::Digest> blobs;      // distinct config and layer digests reachable, first seen first
  std::vector<ferry::Digest> manifests;  // distinct manifest and index digests reachable, this one first
};

// A layer that several images share: its bytes depend only on (seed, size), and
// on the platform as well when perPlatform is set (as real base images differ per
// architecture). Builders with different seeds and layouts produce the same blob.
struct SharedLayer {
  uint64_t seed = 0;
  uint64_t size = 0;  // content bytes; the blob is a little larger (tar headers)
  bool perPlatform = false;
};

// For image(): benchmark-style images of chosen size.
struct ImageSpec {
  std::vector<Platform> platforms;        // empty: one linux/amd64 image; else an index (OCI) or list (Docker)
  std::string format = "oci";             // "oci" or "docker"
  std::vector<SharedLayer> sharedLayers;  // bottom layers, in order
  int ownLayers = 2;                      // layers unique to each platform image, above the shared ones
  uint64_t ownLayerMinSize = 1 << 20;
  uint64_t ownLayerMaxSize = 3 << 20;
  int gzipLevel = 0;  // random content does not compress; stored gzip is fastest
  bool single = false;  // one platform given: a plain manifest of it, not an index
};

// Remembers layers already written, so a layer shared by many images or layouts
// is generated once. Layouts after the first get a hard link to the first copy
// (a plain copy across file systems): do not modify blobs in place in layouts
// that share a cache — replace them (rename) instead. Thread-safe.
class LayerCache {
 public:
  struct Entry {
    ferry::Digest digest;
    ferry::Digest diffId;
    int64_t size;
    std::filesystem::path path;  // where the blob was first written
  };
  std::optional<Entry> find(const std::string& key) const;
  void add(const std::string& key, Entry entry);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

// Not thread-safe: use one builder per thread (they may share a LayerCache).
class FixtureBuilder {
 public:
  // Creates the layout if needed; an existing index.json is kept and added to.
  FixtureBuilder(std::filesystem::path layoutDir, uint64_t seed, std::shared_ptr<LayerCache> cache = nullptr);

  const std::filesystem::path& layoutDir() const { return layoutDir_; }
  uint64_t seed() const { return seed_; }

  // Docker schema 2 manifest, linux/amd64, 2 layers.
  FixtureImage singleArchDocker(const std::string& tag);
  // OCI manifest, linux/amd64, 2 layers.
  FixtureImage singleArchOci(const std::string& tag);
  // Docker manifest list of fivePlatforms() with Docker-typed children; all children
  // share one base layer and have one layer of their own.
  FixtureImage dockerManifestList(const std::string& tag);
  // The same as an OCI index with OCI-typed children. In a fresh directory the
  // layout's index.json then holds exactly one index-typed descriptor.
  FixtureImage ociIndex(const std::string& tag);
  // OCI index: linux/amd64 and linux/arm64 images plus a buildx-style attestation
  // manifest (platform unknown/unknown, vnd.docker.reference.type=attestation-manifest,
  // vnd.docker.reference.digest=<amd64 image>, one application/vnd.in-toto+json layer).
  FixtureImage indexWithAttestation(const std::string& tag);
  // OCI index of two OCI indexes: {amd64, arm64} and {s390x, ppc64le}.
  FixtureImage nestedIndex(const std::string& tag);
  // A benchmark-style image; see ImageSpec.
  FixtureImage image(const std::string& tag, const ImageSpec& spec);

  // All six shapes under the standard tags: docker-single, oci-single,
  // docker-list, oci-index, attestation, nested.
  std::vector<FixtureImage> allShapes();

  // Low level, for tests that need odd shapes: store `bytes` as a blob and get
  // its descriptor ({mediaType, digest, size}); point `tag` at a descriptor.
  nlohmann::ordered_json writeBlob(std::string_view bytes, std::string_view mediaType);
  void setTag(const std::string& tag, nlohmann::ordered_json descriptor);

 private:
  struct Built;
  Built layer(uint64_t seed, uint64_t size, int gzipLevel, std::string_view mediaType);
  Built platformImage(const std::string& label, const Platform& platform, bool docker,
                      const std::vector<Built>& layers);
  // Each platform image of `spec`, with the fields its index entry adds (platform).
  std::vector<std::pair<Built, nlohmann::ordered_json>> platformImages(const std::string& label, const ImageSpec& spec);
  Built imageIndex(const std::vector<std::pair<Built, nlohmann::ordered_json>>& children, bool docker);
  ImageSpec shapeSpec(std::vector<Platform> platforms, bool docker, int ownLayers,
                      const std::string& sharedBaseLabel) const;
  FixtureImage finish(const std::string& tag, const Built& top);
  void writeIndexJson() const;

  std::filesystem::path layoutDir_;
  uint64_t seed_;
  std::shared_ptr<LayerCache> cache_;
  std::vector<nlohmann::ordered_json> entries_;  // index.json "manifests"
};

// Reads a blob of an OCI layout; throws Error when it is missing.
std::string readBlob(const std::filesystem::path& layoutDir, const ferry::Digest& digest);

// A fresh layout in `layoutDir` whose index.json has ONE descriptor, of type
// OCI index, tagged `tag`, pointing to an index blob (the ociIndex() shape).
FixtureImage layoutIndexPointingToIndexBlob(const std::filesystem::path& layoutDir, uint64_t seed,
                                            const std::string& tag = "latest");

}  // namespace ferry::testing
