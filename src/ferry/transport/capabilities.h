// Optional abilities of a transport, beyond reading (ImageSource) and writing
// (ImageSink): listing tags, listing referrers, deleting manifests. A store that
// has one implements its interface as well; callers ask at run time with
// capability<T>(store), and say what to do when a store does not have it.
//
//   if (auto* tags = capability<TagLister>(*source)) for (auto& tag : tags->listTags()) ...
//
// Implemented by the registry repository, the OCI layout and the in-memory store
// (see each one's header for how it answers).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/oci/manifest.h"

namespace ferry {

class TagLister {
 public:
  virtual ~TagLister() = default;
  // Every tag of the repository (or layout), in the store's order; none when it has no tags.
  virtual std::vector<std::string> listTags() = 0;
};

class ReferrerLister {
 public:
  virtual ~ReferrerLister() = default;
  // Descriptors of the manifests whose subject is `subject` (signatures,
  // SBOMs, attestations), each with its artifactType; only those of
  // `artifactType` when it is not empty. None when there are none.
  virtual std::vector<Descriptor> listReferrers(const Digest& subject, const std::string& artifactType = {}) = 0;
};

class ReferrersApi {
 public:
  virtual ~ReferrersApi() = default;
  // The OCI 1.1 referrers API's answer for `subject` (an OCI index of its
  // referrers, as the fallback tag would hold it), or nullopt when the store has
  // no referrers API; a store that found it has none stops asking.
  virtual std::optional<RawManifest> referrersIndex(const Digest& subject) = 0;
};

class BlobChecker {
 public:
  virtual ~BlobChecker() = default;
  // Whether the store holds the blob (a HEAD at a registry), without starting an upload.
  virtual bool hasBlob(const Digest& digest) = 0;
};

// A sink of one shard's own (its archive parts, docs/sharding.md), unlike a
// registry all shards share: a shard writes its manifests there too, each part
// saying which shard carries the blobs of other shares.
class ShardPartsSink {
 public:
  virtual ~ShardPartsSink() = default;
  // `blob` belongs to the share of shard `shard` of `count`, not to this one.
  virtual void blobOfAnotherShard(const Descriptor& blob, int shard, int count) = 0;
};

class ManifestDeleter {
 public:
  virtual ~ManifestDeleter() = default;
  // Removes the manifest `digest` and every tag naming it. Throws Error of kind
  // NotFound when there is no such manifest; blobs are left to the store's own
  // garbage collection.
  virtual void deleteManifest(const Digest& digest) = 0;
};

// The capability `Capability` of `store`, or nullptr when it lacks it.
template <typename Capability, typename Store>
Capability* capability(Store& store) {
  return dynamic_cast<Capability*>(&store);
}
template <typename Capability, typename Store>
std::shared_ptr<Capability> capability(const std::shared_ptr<Store>& store) {
  return std::dynamic_pointer_cast<Capability>(store);
}

// The referrers a store lists from the descriptors of an OCI index (the
// referrers API answer, or the fallback tag's index): those of `artifactType`
// when it is not empty.
std::vector<Descriptor> filterReferrers(std::vector<Descriptor> referrers, const std::string& artifactType);

// The fallback tag of the OCI distribution spec's referrers tag schema:
// "sha256-<hex>" for subject "sha256:<hex>".
std::string referrersTag(const Digest& subject);

}  // namespace ferry
