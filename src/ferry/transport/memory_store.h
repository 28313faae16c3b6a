// An image store held in memory: ImageSource, ImageSink and every capability
// (capabilities.h), for unit tests of the copy engine and of the mirror run's
// phases, in the manner of go-containerregistry's in-memory registry.
//
// It behaves as a strict registry would: a manifest is refused unless every
// blob and child manifest it names is already there, so a test that pushes in
// the wrong order fails at the push. Every call is recorded, in order, so a test
// can assert the order of a copy (blobs before manifests, children before their
// index, the tag last) and how often each blob moved. Failures can be injected
// per blob or manifest, to test what a copy leaves behind when one fails.
//
// Safe to share between threads, as the interfaces require.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ferry/transport/capabilities.h"
#include "ferry/transport/image_store.h"

namespace ferry {

class MemoryStore : public ImageSource,
                    public ImageSink,
                    public TagLister,
                    public ReferrerLister,
                    public ManifestDeleter {
 public:
  // `name` is the blob scope and appears in describe() ("memory:NAME");
  // stores with the same non-empty `mountDomain` can mount blobs from each other.
  explicit MemoryStore(std::string name = "store", std::string mountDomain = {});

  struct Call {
    enum class Kind { GetManifest, ReadBlob, ManifestDigest, ReuseBlob, PutBlob, PutManifest, Delete };
    Kind kind;
    std::string target;  // the reference, or the digest
    std::optional<std::string> tag;  // PutManifest: the tag it was pushed with
    std::optional<std::string> mountFrom;  // ReuseBlob
  };

  // Test set-up (not recorded as calls).
  Descriptor addBlob(std::string bytes, std::string mediaType = "application/vnd.oci.image.layer.v1.tar");
  // Stores a manifest (its blobs and children need not be there) and, if given, tags it.
  void addManifest(const RawManifest& manifest, const std::optional<std::string>& tag = std::nullopt);
  // The next `times` (-1: every) reads and writes of this blob, or of the manifest this
  // digest or tag names, throw Error(`why`).
  void failBlob(const Digest& digest, std::string why = "injected blob failure", int times = -1);
  void failManifest(const std::string& reference, std::string why = "injected manifest failure", int times = -1);

  // What the store holds and what was asked of it.
  bool hasBlob(const Digest& digest) const;
  bool hasManifest(const Digest& digest) const;
  std::optional<Digest> tagged(const std::string& tag) const;
  std::vector<Call> calls() const;
  // Calls of one kind, optionally only those for `target`.
  size_t count(Call::Kind kind, const std::string& target = {}) const;
  void clearCalls();

  // ImageSource
  std::string describe() const override;
  RawManifest getManifest(const std::string& reference) override;
  void readBlob(const Descriptor& blob, BlobWriter& out) override;

  // ImageSink
  std::optional<Digest> manifestDigest(const std::string& reference) override;
  bool reuseBlob(const Descriptor& blob, const std::optional<std::string>& mountFrom) override;
  // Collects the streamed bytes (a test double may hold a blob) and stores them once `produce` returned.
  void writeBlob(const Descriptor& blob, const BlobProducer& produce) override;
  void putBlob(const Descriptor& blob, const std::filesystem::path& file) override;
  void putBlobBytes(const Descriptor& blob, std::string bytes) override;
  void putManifest(const RawManifest& manifest, const std::optional<std::string>& tag, bool root) override;
  std::string mountDomain() const override { return mountDomain_; }
  std::string mountName() const override { return name_; }
  std::string blobScope() const override { return describe(); }

  // Capabilities
  std::vector<std::string> listTags() override;
  std::vector<Descriptor> listReferrers(const Digest& subject, const std::string& artifactType = {}) override;
  void deleteManifest(const Digest& digest) override;

  // A store that mounts from this one (same mount domain) finds its blobs through this.
  void setMountPeers(std::vector<MemoryStore*> peers);

 private:
  struct Injected {
    std::string why;
    int times;
  };
  void record(Call call);
  // Throws when a failure is injected for `key`; called with mutex_ held.
  void maybeFail(const std::string& key);
  void storeBlob(const Descriptor& blob, std::string bytes);
  std::optional<Digest> resolve(const std::string& reference) const;

  std::string name_;
  std::string mountDomain_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> blobs_;  // by digest
  std::map<std::string, RawManifest> manifests_;  // by digest
  std::map<std::string, std::string> tags_;  // tag -> digest
  std::map<std::string, Injected> failures_;  // by digest or tag
  std::vector<Call> calls_;
  std::vector<MemoryStore*> peers_;
};

}  // namespace ferry
