#include "ferry/transport/memory_store.h"

#include <algorithm>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry {

MemoryStore::MemoryStore(std::string name, std::string mountDomain)
    : name_(std::move(name)), mountDomain_(std::move(mountDomain)) {}

std::string MemoryStore::describe() const { return "memory:" + name_; }

Descriptor MemoryStore::addBlob(std::string bytes, std::string mediaType) {
  Descriptor blob{.mediaType = std::move(mediaType), .digest = Digest::sha256Of(bytes), .size = static_cast<int64_t>(bytes.size())};
  std::lock_guard lock(mutex_);
  blobs_[blob.digest.str()] = std::move(bytes);
  return blob;
}

void MemoryStore::addManifest(const RawManifest& manifest, const std::optional<std::string>& tag) {
  std::lock_guard lock(mutex_);
  manifests_.insert_or_assign(manifest.digest.str(), manifest);
  if (tag) tags_[*tag] = manifest.digest.str();
}

void MemoryStore::failBlob(const Digest& digest, std::string why, int times) {
  std::lock_guard lock(mutex_);
  failures_[digest.str()] = Injected{std::move(why), times};
}

void MemoryStore::failManifest(const std::string& reference, std::string why, int times) {
  std::lock_guard lock(mutex_);
  failures_[reference] = Injected{std::move(why), times};
}

void MemoryStore::maybeFail(const std::string& key) {
  auto it = failures_.find(key);
  if (it == failures_.end() || it->second.times == 0) return;
  if (it->second.times > 0) --it->second.times;
  throw Error(it->second.why);
}

void MemoryStore::record(Call call) { calls_.push_back(std::move(call)); }

bool MemoryStore::hasBlob(const Digest& digest) const {
  std::lock_guard lock(mutex_);
  return blobs_.contains(digest.str());
}

bool MemoryStore::hasManifest(const Digest& digest) const {
  std::lock_guard lock(mutex_);
  return manifests_.contains(digest.str());
}

std::optional<Digest> MemoryStore::tagged(const std::string& tag) const {
  std::lock_guard lock(mutex_);
  auto it = tags_.find(tag);
  if (it == tags_.end()) return std::nullopt;
  return Digest::parse(it->second);
}

std::vector<MemoryStore::Call> MemoryStore::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

size_t MemoryStore::count(Call::Kind kind, const std::string& target) const {
  std::lock_guard lock(mutex_);
  return std::count_if(calls_.begin(), calls_.end(), [&](const Call& call) {
    return call.kind == kind && (target.empty() || call.target == target);
  });
}

void MemoryStore::clearCalls() {
  std::lock_guard lock(mutex_);
  calls_.clear();
}

void MemoryStore::setMountPeers(std::vector<MemoryStore*> peers) {
  std::lock_guard lock(mutex_);
  peers_ = std::move(peers);
}

std::optional<Digest> MemoryStore::resolve(const std::string& reference) const {
  if (auto digest = Digest::tryParse(reference)) {
    if (manifests_.contains(digest->str())) return digest;
    return std::nullopt;
  }
  auto it = tags_.find(reference);
  if (it == tags_.end()) return std::nullopt;
  return Digest::parse(it->second);
}

RawManifest MemoryStore::getManifest(const std::string& reference) {
  std::lock_guard lock(mutex_);
  record({.kind = Call::Kind::GetManifest, .target = reference});
  maybeFail(reference);
  auto digest = resolve(reference);
  if (!digest) fail(ErrorKind::NotFound, "cannot read manifest '{}:{}': not found", describe(), reference);
  maybeFail(digest->str());
  return manifests_.at(digest->str());
}

void MemoryStore::readBlob(const Descriptor& blob, BlobWriter& out) {
  std::string bytes;
  {
    std::lock_guard lock(mutex_);
    record({.kind = Call::Kind::ReadBlob, .target = blob.digest.str()});
    maybeFail(blob.digest.str());
    auto it = blobs_.find(blob.digest.str());
    if (it == blobs_.end()) fail(ErrorKind::NotFound, "{} has no blob {}", describe(), blob.digest.str());
    bytes = it->second;
  }
  out.write(bytes.data(), bytes.size());
}

std::optional<Digest> MemoryStore::manifestDigest(const std::string& reference) {
  std::lock_guard lock(mutex_);
  record({.kind = Call::Kind::ManifestDigest, .target = reference});
  return resolve(reference);
}

bool MemoryStore::reuseBlob(const Descriptor& blob, const std::optional<std::string>& mountFrom) {
  std::vector<MemoryStore*> peers;
  {
    std::lock_guard lock(mutex_);
    record({.kind = Call::Kind::ReuseBlob, .target = blob.digest.str(), .mountFrom = mountFrom});
    if (blobs_.contains(blob.digest.str())) return true;
    if (!mountFrom) return false;
    peers = peers_;
  }
  for (auto* peer : peers) {
    if (peer->name_ != *mountFrom) continue;
    std::optional<std::string> bytes;
    {
      std::lock_guard lock(peer->mutex_);
      if (auto it = peer->blobs_.find(blob.digest.str()); it != peer->blobs_.end()) bytes = it->second;
    }
    if (!bytes) return false;
    std::lock_guard lock(mutex_);
    blobs_[blob.digest.str()] = std::move(*bytes);
    return true;
  }
  return false;
}

void MemoryStore::storeBlob(const Descriptor& blob, std::string bytes) {
  std::lock_guard lock(mutex_);
  record({.kind = Call::Kind::PutBlob, .target = blob.digest.str()});
  maybeFail(blob.digest.str());
  Hasher hasher(blob.digest.algorithm());
  hasher.update(bytes);
  if (hasher.finish() != blob.digest) fail(ErrorKind::Integrity, "{}: blob {} does not match its digest", describe(), blob.digest.str());
  blobs_[blob.digest.str()] = std::move(bytes);
}

void MemoryStore::putBlob(const Descriptor& blob, const std::filesystem::path& file) { storeBlob(blob, readFile(file)); }

void MemoryStore::writeBlob(const Descriptor& blob, const BlobProducer& produce) {
  StringWriter collected;
  produce(collected);
  storeBlob(blob, std::move(collected.bytes));
}

void MemoryStore::putBlobBytes(const Descriptor& blob, std::string bytes) { storeBlob(blob, std::move(bytes)); }

void MemoryStore::putManifest(const RawManifest& manifest, const std::optional<std::string>& tag, bool) {
  std::lock_guard lock(mutex_);
  record({.kind = Call::Kind::PutManifest, .target = manifest.digest.str(), .tag = tag});
  maybeFail(manifest.digest.str());
  if (tag) maybeFail(*tag);
  auto parsed = Manifest::parse(manifest.bytes, manifest.mediaType);
  // A strict registry: everything the manifest names must be here first.
  for (const auto& blob : parsed.blobs())
    if (!blobs_.contains(blob.digest.str()))
      fail("{}: manifest {} names blob {}, which is not here (MANIFEST_BLOB_UNKNOWN)", describe(),
           manifest.digest.str(), blob.digest.str());
  for (const auto& child : parsed.manifests)
    if (!manifests_.contains(child.digest.str()))
      fail("{}: index {} names manifest {}, which is not here (MANIFEST_BLOB_UNKNOWN)", describe(),
           manifest.digest.str(), child.digest.str());
  manifests_.insert_or_assign(manifest.digest.str(), manifest);
  if (tag) tags_[*tag] = manifest.digest.str();
}

std::vector<std::string> MemoryStore::listTags() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> tags;
  for (const auto& [tag, digest] : tags_) tags.push_back(tag);
  return tags;
}

std::vector<Descriptor> MemoryStore::listReferrers(const Digest& subject, const std::string& artifactType) {
  std::lock_guard lock(mutex_);
  std::vector<Descriptor> referrers;
  for (const auto& [digest, raw] : manifests_) {
    auto parsed = Manifest::parse(raw.bytes, raw.mediaType);
    if (!parsed.subject || parsed.subject->digest != subject) continue;
    // As the referrers API answers: the artifactType, else the config's media type.
    std::string type = !parsed.artifactType.empty() ? parsed.artifactType
                       : parsed.config                ? parsed.config->mediaType
                                                      : std::string();
    referrers.push_back(Descriptor{.mediaType = raw.mediaType,
                                   .digest = raw.digest,
                                   .size = static_cast<int64_t>(raw.bytes.size()),
                                   .annotations = parsed.annotations,
                                   .artifactType = type});
  }
  return filterReferrers(std::move(referrers), artifactType);
}

void MemoryStore::deleteManifest(const Digest& digest) {
  std::lock_guard lock(mutex_);
  record({.kind = Call::Kind::Delete, .target = digest.str()});
  if (!manifests_.erase(digest.str()))
    fail(ErrorKind::NotFound, "cannot delete manifest {} from {}: not found", digest.str(), describe());
  std::erase_if(tags_, [&](const auto& entry) { return entry.second == digest.str(); });
}

}  // namespace ferry
