#include "ferry/tarball/oci_archive.h"

#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/layout/oci_layout.h"
#include "ferry/oci/media_types.h"

namespace ferry {
namespace {

using nlohmann::json;

// index.json and manifests are JSON documents; 8 MiB is the manifest limit registries and ferry use.
constexpr int64_t kLargestDocument = 8 << 20;

std::string blobMember(const Digest& digest) { return "blobs/" + digest.blobPath().string(); }

}  // namespace

OciArchiveSource::OciArchiveSource(const std::filesystem::path& file) : tar_(file, "oci-archive") {
  if (!tar_.find("oci-layout") || !tar_.find("index.json"))
    fail("{} is not an OCI archive: it has no oci-layout and index.json (is it a docker-archive? use "
         "docker-archive:{})",
         tar_.describe(), file.string());
  auto bytes = tar_.read("index.json", kLargestDocument);
  try {
    entries_ = Manifest::parse(bytes, media::kOciIndex).manifests;
  } catch (const Error& e) {
    fail("{}: index.json: {}", tar_.describe(), e.what());
  }
}

std::string OciArchiveSource::describe() const { return "oci-archive:" + tar_.path().string(); }

RawManifest OciArchiveSource::getManifest(const std::string& reference) {
  auto entry = findLayoutEntry(entries_, reference);
  auto digest = Digest::tryParse(reference);
  if (!entry && !digest)
    fail("cannot find image '{}' in {}; it holds: {}", reference, tar_.describe(), layoutRefNames(entries_));
  Digest wanted = entry ? entry->digest : *digest;
  if (!tar_.find(blobMember(wanted)))
    fail("{} has no manifest {}", tar_.describe(), wanted.str());
  auto bytes = tar_.read(blobMember(wanted), kLargestDocument);
  auto raw = RawManifest::of(std::move(bytes), entry ? entry->mediaType : std::string());
  if (raw.digest != wanted)
    fail("manifest {} in {} does not match its digest; the archive is damaged", wanted.str(), tar_.describe());
  raw.mediaType = Manifest::parse(raw.bytes, raw.mediaType).mediaType;
  return raw;
}

void OciArchiveSource::readBlob(const Descriptor& blob, BlobWriter& out) {
  auto member = tar_.find(blobMember(blob.digest));
  if (!member) fail("{} has no blob {}", tar_.describe(), blob.digest.str());
  tar_.stream(*member, out);
}

OciArchiveSink::OciArchiveSink(std::filesystem::path file) : file_(std::move(file)) {
  partial_ = file_;
  partial_ += ".partial";
  if (std::filesystem::is_directory(file_))
    fail("oci-archive '{}' is a directory; an oci-archive is one tar file (for a layout directory use oci:{})",
         file_.string(), file_.string());
  std::error_code ignored;
  if (file_.has_parent_path()) std::filesystem::create_directories(file_.parent_path(), ignored);
  // One fixed modification time: the same images give the same archive bytes.
  tar_ = std::make_unique<TarWriter>(partial_, 0);
}

OciArchiveSink::~OciArchiveSink() {
  if (committed_) return;
  tar_.reset();
  std::error_code ignored;
  std::filesystem::remove(partial_, ignored);
}

std::string OciArchiveSink::describe() const { return "oci-archive:" + file_.string(); }

std::optional<Digest> OciArchiveSink::manifestDigest(const std::string& reference) {
  // The archive is written new each run: it holds nothing before this run puts it there.
  std::lock_guard lock(mutex_);
  for (const auto& entry : entries_) {
    auto name = entry.annotations.find(std::string(kRefNameAnnotation));
    if ((name != entry.annotations.end() && name->second == reference) || entry.digest.str() == reference)
      return entry.digest;
  }
  return std::nullopt;
}

bool OciArchiveSink::reuseBlob(const Descriptor& blob, const std::optional<std::string>&) {
  std::lock_guard lock(mutex_);
  return written_.contains(blob.digest);
}

void OciArchiveSink::writeBlob(const Descriptor& blob, const BlobProducer& produce) {
  {
    std::lock_guard lock(mutex_);
    if (committed_) fail("{} is already complete; cannot add blob {}", describe(), blob.digest.str());
    if (written_.contains(blob.digest)) return;
  }
  streamMember(*tar_, mutex_, blobMember(blob.digest), blob, produce);
  std::lock_guard lock(mutex_);
  written_.insert(blob.digest);
}

void OciArchiveSink::putBlob(const Descriptor& blob, const std::filesystem::path& file) {
  std::lock_guard lock(mutex_);
  if (committed_) fail("{} is already complete; cannot add blob {}", describe(), blob.digest.str());
  if (written_.contains(blob.digest)) return;
  tar_->addFile(blobMember(blob.digest), file, blob.size);
  written_.insert(blob.digest);
}

void OciArchiveSink::putBlobBytes(const Descriptor& blob, std::string bytes) {
  std::lock_guard lock(mutex_);
  if (committed_) fail("{} is already complete; cannot add blob {}", describe(), blob.digest.str());
  if (written_.contains(blob.digest)) return;
  tar_->add(blobMember(blob.digest), bytes);
  written_.insert(blob.digest);
}

void OciArchiveSink::putManifest(const RawManifest& manifest, const std::optional<std::string>& tag, bool root) {
  putBlobBytes(Descriptor{.mediaType = manifest.mediaType, .digest = manifest.digest,
                          .size = static_cast<int64_t>(manifest.bytes.size())},
               manifest.bytes);
  if (!root) return;
  std::lock_guard lock(mutex_);
  Descriptor entry{.mediaType = manifest.mediaType, .digest = manifest.digest,
                   .size = static_cast<int64_t>(manifest.bytes.size())};
  if (tag) entry.annotations[std::string(kRefNameAnnotation)] = *tag;
  std::erase_if(entries_, [&](const Descriptor& existing) {
    auto name = existing.annotations.find(std::string(kRefNameAnnotation));
    bool named = name != existing.annotations.end();
    return tag ? (named && name->second == *tag) : (!named && existing.digest == manifest.digest);
  });
  entries_.push_back(std::move(entry));
}

void OciArchiveSink::commit() {
  std::lock_guard lock(mutex_);
  if (committed_) return;
  if (entries_.empty()) fail("{}: no image was written, so the archive was not created", describe());
  json manifests = json::array();
  for (const auto& entry : entries_) {
    json item{{"mediaType", entry.mediaType}, {"digest", entry.digest.str()}, {"size", entry.size}};
    if (!entry.annotations.empty()) item["annotations"] = entry.annotations;
    manifests.push_back(std::move(item));
  }
  tar_->add("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  tar_->add("index.json", json{{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", manifests}}.dump());
  tar_->close();
  std::error_code error;
  std::filesystem::rename(partial_, file_, error);
  if (error) fail("cannot move '{}' into place as '{}': {}", partial_.string(), file_.string(), error.message());
  committed_ = true;
}

}  // namespace ferry
