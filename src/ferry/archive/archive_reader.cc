#include "ferry/archive/archive_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "ferry/base/error.h"
#include "ferry/s3/s3_client.h"
#include "ferry/layout/oci_layout.h"
#include "ferry/oci/media_types.h"
#include "ferry/transport/capabilities.h"

namespace ferry {
namespace {

constexpr int64_t kLargestManifest = 8 << 20;
constexpr int64_t kLargestMetadataFile = 256 << 20;

std::string refNameOf(const Descriptor& entry) {
  auto name = entry.annotations.find(std::string(kRefNameAnnotation));
  return name == entry.annotations.end() ? std::string() : name->second;
}

// "host:5000/ns/repo:tag" → ("host:5000/ns/repo", "tag"); "name@sha256:…" → ("name", none).
std::pair<std::string, std::optional<std::string>> splitReference(const std::string& reference) {
  if (auto at = reference.find('@'); at != std::string::npos) return {reference.substr(0, at), std::nullopt};
  auto colon = reference.rfind(':');
  auto slash = reference.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return {reference, std::nullopt};
  return {reference.substr(0, colon), reference.substr(colon + 1)};
}

class ArchiveImageSource : public ImageSource, public TagLister {
 public:
  ArchiveImageSource(std::shared_ptr<ArchiveReader> reader, std::string name)
      : reader_(std::move(reader)), name_(std::move(name)) {}
  std::string describe() const override { return "archive:" + reader_->path().string() + " (" + name_ + ")"; }
  RawManifest getManifest(const std::string& reference) override { return reader_->manifest(name_, reference); }
  void readBlob(const Descriptor& blob, BlobWriter& out) override { reader_->readBlob(blob, out); }
  // The tags the loaded parts list for this name (signatures and referrers travel as tags: copy/attachments.h).
  std::vector<std::string> listTags() override {
    std::vector<std::string> tags;
    for (const auto& image : reader_->images())
      if (image.name == name_ && image.tag) tags.push_back(*image.tag);
    return tags;
  }

 private:
  std::shared_ptr<ArchiveReader> reader_;
  std::string name_;
};

// Streams `size` bytes at `offset` of `fd` to `consume` in 1 MiB pieces; stops when it returns false.
template <typename Consume>
void streamAt(int fd, int64_t offset, int64_t size, const std::string& name, Consume consume) {
  std::vector<char> buffer(static_cast<size_t>(std::min<int64_t>(size, 1 << 20)));
  int64_t done = 0;
  while (done < size) {
    auto want = static_cast<size_t>(std::min<int64_t>(size - done, static_cast<int64_t>(buffer.size())));
    ssize_t got = ::pread(fd, buffer.data(), want, offset + done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("cannot read archive part '{}': {}", name, std::strerror(errno));
    if (got == 0) fail("archive part '{}' is truncated: it ends inside the member at byte {}", name, offset);
    if (!consume(buffer.data(), static_cast<size_t>(got))) return;
    done += got;
  }
}

// A part in object storage read for its tar headers: ranged GETs of a window
// at a time, data skipped without reading it (kS3HeaderWindow bytes per request).
constexpr int64_t kS3HeaderWindow = 256 << 10;

class S3TarInput : public TarInput {
 public:
  S3TarInput(S3Client& s3, std::string key, int64_t length) : s3_(s3), key_(std::move(key)), length_(length) {}
  size_t read(char* buffer, size_t size) override {
    if (position_ >= length_) return 0;
    if (position_ < windowStart_ || position_ >= windowStart_ + static_cast<int64_t>(window_.size())) {
      windowStart_ = position_;
      window_ = s3_.getRangeBytes(key_, position_, std::min(kS3HeaderWindow, length_ - position_));
    }
    auto within = static_cast<size_t>(position_ - windowStart_);
    size_t n = std::min(size, window_.size() - within);
    std::memcpy(buffer, window_.data() + within, n);
    position_ += static_cast<int64_t>(n);
    return n;
  }
  int64_t skip(int64_t size) override {
    auto n = std::min(size, length_ - position_);
    position_ += n;
    return n;
  }
  std::optional<int64_t> length() const override { return length_; }

 private:
  S3Client& s3_;
  std::string key_;
  int64_t length_;
  int64_t position_ = 0;
  int64_t windowStart_ = 0;
  std::string window_;
};

}  // namespace

std::string ArchiveReader::readPart(const Part& part, int64_t offset, int64_t size) const {
  if (s3_) return s3_->getRangeBytes(part.key, offset, size);
  return readAt(part.fd, offset, size, part.path.string());
}

void ArchiveReader::streamPart(const Part& part, int64_t offset, int64_t size,
                               const std::function<bool(const char*, size_t)>& consume) const {
  if (s3_) return s3_->getRange(part.key, offset, size, consume);
  streamAt(part.fd, offset, size, part.path.string(), consume);
}

std::shared_ptr<ArchiveReader> ArchiveReader::open(const std::filesystem::path& path) {
  std::shared_ptr<ArchiveReader> reader(new ArchiveReader(path));
  if (auto location = S3Location::parse(path.string())) {
    reader->s3_ = std::make_shared<S3Client>(S3Settings::resolve(), location->bucket);
    auto leaf = location->prefix.substr(location->prefix.rfind('/') + 1);
    if (parsePartFileName(leaf)) {  // one part: s3://bucket/…/mirror_000002.tar
      auto size = reader->s3_->objectSize(location->prefix);
      if (!size) fail(ErrorKind::NotFound, "archive part {} does not exist", reader->s3_->describe(location->prefix));
      reader->loadS3(location->prefix, *size);
      return reader;
    }
    std::vector<std::pair<PartFileName, S3Object>> parts;
    for (auto& object : reader->s3_->list(location->prefix.empty() ? "" : location->prefix + "/"))
      if (auto name = parsePartFileName(object.key.substr(object.key.rfind('/') + 1)))
        parts.emplace_back(std::move(*name), std::move(object));
    if (parts.empty())
      fail(ErrorKind::NotFound,
           "{} holds no archive parts (mirror_000001.tar, …) at {}; a part still being uploaded is not listed "
           "until it is complete",
           location->str(), reader->s3_->settings().endpoint);
    std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [number, object] : parts) reader->loadS3(object.key, object.size);
    return reader;
  }
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    std::vector<std::pair<PartFileName, std::filesystem::path>> parts;
    bool unfinished = false;
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      auto name = entry.path().filename().string();
      if (auto part = parsePartFileName(name)) parts.emplace_back(std::move(*part), entry.path());
      if (name.ends_with(".tar.partial")) unfinished = true;
    }
    if (parts.empty())
      fail("'{}' holds no archive parts (mirror_000001.tar, …){}", path.string(),
           unfinished ? "; only an unfinished .partial part of an interrupted run, which ferry does not read" : "");
    std::sort(parts.begin(), parts.end());
    for (const auto& [number, file] : parts) reader->load(file);
  } else if (std::filesystem::is_regular_file(path, error)) {
    reader->load(path);
  } else {
    fail("archive '{}' does not exist: give a directory of mirror_NNNNNN.tar parts or one part file", path.string());
  }
  return reader;
}

ArchiveReader::~ArchiveReader() {
  for (auto& part : parts_)
    if (part.fd >= 0) ::close(part.fd);
}

void ArchiveReader::load(const std::filesystem::path& file) {
  Part part;
  part.path = file;
  part.file = file.filename().string();
  part.fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (part.fd < 0) fail("cannot open archive part '{}': {}", file.string(), std::strerror(errno));
  parts_.push_back(part);  // owns the descriptor from here on, closed by the destructor
  auto& loaded = parts_.back();
  const std::string name = file.string();
  struct stat status {};
  if (::fstat(loaded.fd, &status) != 0) fail("cannot read archive part '{}': {}", name, std::strerror(errno));
  loaded.size = status.st_size;
  loadMembers(loaded, listTarMembers(loaded.fd, name));
}

void ArchiveReader::loadS3(const std::string& key, int64_t size) {
  Part part;
  part.key = key;
  part.path = s3_->describe(key);
  part.file = key.substr(key.rfind('/') + 1);
  part.size = size;
  parts_.push_back(part);
  auto& loaded = parts_.back();
  S3TarInput input(*s3_, key, size);
  loadMembers(loaded, listTarMembers(static_cast<TarInput&>(input), loaded.path.string()));
}

void ArchiveReader::loadMembers(Part& loaded, std::vector<TarMember> listed) {
  const std::string name = loaded.path.string();
  for (auto& member : listed) {
    if (member.directory) continue;
    if (loaded.members.contains(member.path))
      fail("archive part '{}' has two members named '{}'; refusing the part", name, member.path);
    if (member.path.starts_with("blobs/")) {
      // blobs/<algorithm>/<hex>, a valid digest, before it is used for anything.
      auto rest = member.path.substr(6);
      auto slash = rest.find('/');
      std::optional<Digest> digest;
      if (slash != std::string::npos) digest = Digest::tryParse(rest.substr(0, slash) + ":" + rest.substr(slash + 1));
      if (!digest || blobMember(*digest) != member.path)
        fail("archive part '{}' has a member '{}' under blobs/ that is not named by a valid digest; refusing the part",
             name, member.path);
      blobs_.try_emplace(*digest, Located{parts_.size() - 1, member});
    }
    loaded.members.emplace(member.path, member);
  }

  auto readMember = [&](std::string_view memberName, int64_t limit) -> std::optional<std::string> {
    auto found = loaded.members.find(std::string(memberName));
    if (found == loaded.members.end()) return std::nullopt;
    if (found->second.size > limit)
      fail("archive part '{}': {} is {} bytes, more than ferry reads ({})", name, memberName, found->second.size, limit);
    return readPart(loaded, found->second.offset, found->second.size);
  };
  auto info = readMember(kPartInfoMember, kLargestMetadataFile);
  if (!info)
    fail("'{}' is not a ferry archive part: it has no {}; it may be some other tar file", name, kPartInfoMember);
  loaded.info = PartInfo::parse(*info, name);
  auto index = readMember("index.json", kLargestMetadataFile);
  if (!index || !loaded.members.contains("oci-layout"))
    fail("archive part '{}' is not an OCI image layout: it has no index.json or oci-layout", name);
  try {
    loaded.entries = Manifest::parse(*index, media::kOciIndex).manifests;
  } catch (const Error& e) {
    fail("archive part '{}': index.json: {}", name, e.what());
  }
}

std::vector<std::string> ArchiveReader::partFiles() const {
  std::vector<std::string> files;
  for (const auto& part : parts_) files.push_back(part.file);
  return files;
}

std::vector<PartInfo> ArchiveReader::partInfos() const {
  std::vector<PartInfo> infos;
  for (const auto& part : parts_) infos.push_back(part.info);
  return infos;
}

std::vector<int64_t> ArchiveReader::partSizes() const {
  std::vector<int64_t> sizes;
  for (const auto& part : parts_) sizes.push_back(part.size);
  return sizes;
}

std::vector<ArchiveImage> ArchiveReader::images() const {
  std::map<std::string, ArchiveImage> byReference;
  for (const auto& part : parts_) {
    for (const auto& entry : part.entries) {
      auto reference = refNameOf(entry);
      if (reference.empty()) continue;
      auto [name, tag] = splitReference(reference);
      byReference.insert_or_assign(reference, ArchiveImage{name, tag, reference, entry.digest, entry.mediaType, part.file});
    }
  }
  std::vector<ArchiveImage> images;
  for (auto& [reference, image] : byReference) images.push_back(std::move(image));
  return images;
}

std::shared_ptr<ImageSource> ArchiveReader::source(const std::string& name) {
  return std::make_shared<ArchiveImageSource>(shared_from_this(), name);
}

std::optional<ArchiveReader::Located> ArchiveReader::find(const Digest& digest) const {
  auto found = blobs_.find(digest);
  if (found == blobs_.end()) return std::nullopt;
  return found->second;
}

std::optional<int64_t> ArchiveReader::blobSize(const Digest& digest) const {
  auto found = find(digest);
  if (!found) return std::nullopt;
  return found->member.size;
}

std::map<Digest, int64_t> ArchiveReader::carriedBlobs() const {
  std::map<Digest, int64_t> carried;
  for (const auto& [digest, located] : blobs_) carried.emplace(digest, located.member.size);
  return carried;
}

std::vector<MissingBlob> ArchiveReader::missingBlobs() const {
  std::map<Digest, MissingBlob> missing;
  for (const auto& part : parts_) {
    for (const auto& blob : part.info.notCarried) {
      if (blobs_.contains(blob.digest)) continue;
      auto [it, added] = missing.try_emplace(blob.digest, MissingBlob{blob.digest, blob.size, blob.shippedIn, {}});
      it->second.neededBy.push_back(part.file);
    }
  }
  std::vector<MissingBlob> list;
  for (auto& [digest, blob] : missing) list.push_back(std::move(blob));
  return list;
}

std::string ArchiveReader::whereShipped(const Digest& digest) const {
  for (const auto& part : parts_)
    for (const auto& blob : part.info.notCarried)
      if (blob.digest == digest)
        return fmt::format("; {} says it was shipped in {}: load that part as well, or copy to a destination that "
                           "already has the blob",
                           part.file, blob.shippedIn);
  return "; no loaded part mentions it";
}

RawManifest ArchiveReader::manifest(const std::string& name, const std::string& reference) const {
  auto digest = Digest::tryParse(reference);
  std::string mediaType;
  if (!digest) {
    std::string wanted = name + ":" + reference;
    for (auto part = parts_.rbegin(); part != parts_.rend() && !digest; ++part)
      for (const auto& entry : part->entries)
        if (refNameOf(entry) == wanted) {
          digest = entry.digest;
          mediaType = entry.mediaType;
        }
    if (!digest) {
      std::string held;
      int count = 0;
      for (const auto& image : images())
        if (image.name == name && count++ < 10) held += (held.empty() ? "" : ", ") + image.reference;
      fail("archive '{}' has no image {}; {}", path_.string(), wanted,
           held.empty() ? fmt::format("the loaded parts hold no image named {}", name) : "it holds " + held);
    }
  } else {
    for (const auto& part : parts_)
      for (const auto& entry : part.entries)
        if (entry.digest == *digest) mediaType = entry.mediaType;
  }

  auto found = find(*digest);
  if (!found) fail("archive '{}' has no manifest {} for {}{}", path_.string(), digest->str(), name, whereShipped(*digest));
  const auto& part = parts_[found->part];
  if (found->member.size > kLargestManifest)
    fail("manifest {} in archive part '{}' is larger than 8 MiB, which ferry refuses", digest->str(), part.file);
  auto bytes = readPart(part, found->member.offset, found->member.size);
  Hasher hasher(digest->algorithm());
  hasher.update(bytes);
  if (hasher.finish() != *digest)
    fail("manifest {} in archive part '{}' does not match its digest; the part is damaged, copy it again",
         digest->str(), part.path.string());
  auto raw = RawManifest::of(std::move(bytes), mediaType);
  raw.digest = *digest;
  raw.mediaType = Manifest::parse(raw.bytes, raw.mediaType).mediaType;
  return raw;
}

void ArchiveReader::readBlob(const Descriptor& blob, BlobWriter& out) const {
  auto found = find(blob.digest);
  if (!found)
    fail("blob {} is not in the loaded parts of archive '{}'{}", blob.digest.str(), path_.string(),
         whereShipped(blob.digest));
  const auto& part = parts_[found->part];
  if (found->member.size != blob.size)
    fail("blob {} in archive part '{}' has {} bytes, its descriptor says {}; the part is damaged", blob.digest.str(),
         part.path.string(), found->member.size, blob.size);
  streamPart(part, found->member.offset, found->member.size,
             [&out](const char* data, size_t size) { return out.write(data, size); });
}

std::shared_ptr<ArchiveReader> ArchiveReader::openVerified(const std::filesystem::path& path, ArchiveCheck check) {
  auto archive = open(path);
  archive->verify(check);
  return archive;
}

std::vector<std::string> ArchiveReader::checksumProblems(ArchiveCheck check) const {
  std::vector<std::string> problems;
  for (const auto& part : parts_) {
    auto sums = part.members.find(std::string(kChecksumsMember));
    if (sums == part.members.end()) {
      problems.push_back(fmt::format("{}: it has no {}", part.file, kChecksumsMember));
      continue;
    }
    if (sums->second.size > kLargestMetadataFile) {
      problems.push_back(fmt::format("{}: {} is too large", part.file, kChecksumsMember));
      continue;
    }
    auto text = readPart(part, sums->second.offset, sums->second.size);
    std::set<std::string> listed;
    size_t lineNumber = 0;
    for (size_t start = 0; start < text.size();) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(start, end - start);
      start = end + 1;
      ++lineNumber;
      if (line.empty()) continue;
      // "<64 hex>  <path>" (text mode) or "<64 hex> *<path>" (binary mode), as sha256sum writes.
      if (line.size() < 67 || line[64] != ' ' || (line[65] != ' ' && line[65] != '*') ||
          !Digest::tryParse("sha256:" + line.substr(0, 64))) {
        problems.push_back(fmt::format("{}: {} line {} is malformed", part.file, kChecksumsMember, lineNumber));
        continue;
      }
      std::string member = line.substr(66);
      listed.insert(member);
      auto found = part.members.find(member);
      if (found == part.members.end()) {
        problems.push_back(fmt::format("{}: {} lists {}, which the part does not have", part.file, kChecksumsMember, member));
        continue;
      }
      if (check == ArchiveCheck::Quick && member.starts_with("blobs/") && found->second.size > kQuickCheckBlobSize)
        continue;  // verified against its digest while it streams
      Hasher hasher("sha256");
      streamPart(part, found->second.offset, found->second.size, [&](const char* data, size_t size) {
        hasher.update(data, size);
        return true;
      });
      if (hasher.finish().hex() != line.substr(0, 64))
        problems.push_back(fmt::format("{}: {} does not match its checksum; the part is damaged, copy it again",
                                       part.file, member));
    }
    for (const auto& [member, entry] : part.members)
      if (member != kChecksumsMember && !listed.contains(member))
        problems.push_back(fmt::format("{}: {} is not listed in {}", part.file, member, kChecksumsMember));
  }
  return problems;
}

void ArchiveReader::verify(ArchiveCheck check) const {
  auto problems = checksumProblems(check);
  if (problems.empty()) return;
  std::string list;
  for (const auto& problem : problems) list += (list.empty() ? "" : "; ") + problem;
  fail("archive '{}' is damaged: {}", path_.string(), list);
}

std::optional<std::string> ArchiveReader::file(const std::string& name) const {
  auto all = files(name);
  if (all.empty()) return std::nullopt;
  return std::move(all.front());
}

std::vector<std::string> ArchiveReader::files(const std::string& name) const {
  std::string member = name.starts_with("ferry/") ? name : "ferry/" + name;
  std::vector<std::string> texts;
  for (const auto& part : parts_) {
    auto found = part.members.find(member);
    if (found == part.members.end()) continue;
    if (found->second.size > kLargestMetadataFile)
      fail("archive part '{}': {} is {} bytes, more than ferry reads ({} MiB, see docs/limits.md)", part.file, member,
           found->second.size, kLargestMetadataFile >> 20);
    auto text = readPart(part, found->second.offset, found->second.size);
    if (std::find(texts.begin(), texts.end(), text) == texts.end()) texts.push_back(std::move(text));
  }
  return texts;
}

}  // namespace ferry
