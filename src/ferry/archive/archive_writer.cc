#include "ferry/archive/archive_writer.h"

#include "ferry/archive/s3_part_output.h"
#include "ferry/s3/s3_client.h"
#include "ferry/transport/capabilities.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "ferry/imagefs/tar_reader.h"
#include "ferry/imagefs/tar_room_writer.h"
#include "ferry/imagefs/tar_writer.h"
#include "ferry/base/error.h"
#include "ferry/layout/oci_layout.h"
#include "ferry/oci/media_types.h"
#include "ferry/transport/image_graph.h"

namespace ferry {

// The manifests this run stored, as an ImageSource, so an image's graph is read
// back with the copy engine's walk (fetchImageGraph). Used with the writer's lock held.
class StoredManifests : public ImageSource {
 public:
  StoredManifests(const ArchiveWriter& writer, std::string name) : writer_(writer), name_(std::move(name)) {}
  std::string describe() const override { return name_; }
  RawManifest getManifest(const std::string& reference) override {
    auto digest = Digest::parse(reference);
    if (!writer_.stored_.contains(digest))
      fail("its index lists manifest {}, which was not stored before it", digest.str());
    // The media type comes from the bytes' own field (Manifest::parse), as for a manifest read by digest.
    return RawManifest{.bytes = writer_.readStored(digest), .mediaType = {}, .digest = digest};
  }
  void readBlob(const Descriptor& blob, BlobWriter&) override {
    fail("{}: blob {} is not read back from the archive being written", name_, blob.digest.str());
  }

 private:
  const ArchiveWriter& writer_;
  std::string name_;
};

// The ImageSink the copy engine writes one image name through.
class ArchiveImageSink : public ImageSink, public ShardPartsSink {
 public:
  ArchiveImageSink(ArchiveWriter& writer, std::string name) : writer_(writer), name_(std::move(name)) {}

  std::string describe() const override { return "archive:" + writer_.directory().string() + " (" + name_ + ")"; }
  std::optional<Digest> manifestDigest(const std::string& reference) override {
    return writer_.rootDigest(name_, reference);
  }
  bool reuseBlob(const Descriptor& blob, const std::optional<std::string>&) override {
    return writer_.hasBlob(blob.digest);
  }
  void putBlob(const Descriptor& blob, const std::filesystem::path& file) override {
    writer_.putBlob(blob, &file, nullptr);
  }
  void putBlobBytes(const Descriptor& blob, std::string bytes) override { writer_.putBlob(blob, nullptr, &bytes); }
  // Streamed blobs are written once, straight into their room in the part.
  void writeBlob(const Descriptor& blob, const BlobProducer& produce) override { writer_.writeBlob(blob, produce); }
  void putManifest(const RawManifest& manifest, const std::optional<std::string>& tag, bool root) override {
    writer_.putManifest(name_, manifest, tag, root);
  }
  void blobOfAnotherShard(const Descriptor& blob, int shard, int count) override {
    writer_.carriedByShard(blob.digest, shard, count);
  }
  // One scope for the whole archive: the copy engine then sends each blob once.
  std::string blobScope() const override { return "archive:" + writer_.directory().string(); }

 private:
  ArchiveWriter& writer_;
  std::string name_;
};

namespace {

constexpr std::string_view kLayoutFile = R"({"imageLayoutVersion":"1.0.0"})";
constexpr std::string_view kPartialSuffix = ".partial";

std::string sha256Hex(std::string_view bytes) { return std::string(Digest::sha256Of(bytes).hex()); }

// A name for the ferry/ folder: relative, plain characters, not one ferry writes itself.
std::string extraFileMember(std::string name) {
  if (name.starts_with("ferry/")) name.erase(0, 6);
  bool plain = !name.empty();
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '/')) plain = false;
  std::string member = "ferry/" + name;
  if (!plain || name.front() == '/' || name.back() == '/' || name.find("..") != std::string::npos ||
      member == kPartInfoMember || member == kChecksumsMember)
    fail("cannot add '{}' to the archive's ferry/ folder: use a relative name of letters, digits, '.', '_', '-' "
         "and '/', other than part.json and checksums.sha256",
         name);
  return member;
}

void syncDirectory(const std::filesystem::path& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

ArchiveWriter::ArchiveWriter(std::filesystem::path directory, int64_t partSizeBytes, std::string runId,
                             std::map<Digest, std::string> alreadyShipped, std::string series)
    : directory_(std::move(directory)),
      series_(std::move(series)),
      partSizeBytes_(partSizeBytes),
      runId_(std::move(runId)),
      startTime_(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                     .count()),
      alreadyShipped_(std::move(alreadyShipped)) {
  if (partSizeBytes_ <= 0) fail("the archive part size must be positive, not {} bytes", partSizeBytes_);
  if (runId_.empty()) fail("an archive needs a run id");
  if (auto location = S3Location::parse(directory_.string())) {
    // No directory lock in object storage: one writer per prefix is the user's to arrange (docs/scale.md).
    s3_ = std::make_shared<S3Client>(S3Settings::resolve(), location->bucket);
    s3Prefix_ = location->prefix;
    for (const auto& object : s3_->list(location->prefix.empty() ? "" : location->prefix + "/")) {
      auto name = object.key.substr(object.key.rfind('/') + 1);
      if (auto part = parsePartFileName(name); part && part->series == series_)
        firstPartNumber_ = std::max(firstPartNumber_, part->number + 1);
    }
    return;
  }
  std::error_code error;
  std::filesystem::create_directories(directory_, error);
  if (error) fail("cannot create archive directory '{}': {}", directory_.string(), error.message());

  // One writer per series: the shards of a split run write side by side, each locking a file of its own.
  auto lockPath = series_.empty() ? directory_ : directory_ / (".mirror_" + series_ + ".lock");
  lockFd_ = series_.empty() ? ::open(lockPath.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                            : ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lockFd_ < 0) fail("cannot open archive directory '{}': {}", directory_.string(), std::strerror(errno));
  if (::flock(lockFd_, LOCK_EX | LOCK_NB) != 0) {
    int cause = errno;
    ::close(lockFd_);
    if (cause == EWOULDBLOCK)
      fail("another ferry process is writing {} in '{}'; wait for it to finish or choose another directory",
           series_.empty() ? "an archive" : "the parts of " + series_, directory_.string());
    fail("cannot lock archive directory '{}': {}", directory_.string(), std::strerror(cause));
  }

  try {
    // With the lock held nobody else writes here, so .partial files are left over from an interrupted run.
    // Parts of earlier runs stay (they may not have been carried yet); this run's parts continue the numbering.
    for (const auto& entry : std::filesystem::directory_iterator(directory_)) {
      auto name = entry.path().filename().string();
      bool partial = name.ends_with(kPartialSuffix);
      auto part = parsePartFileName(partial ? name.substr(0, name.size() - kPartialSuffix.size()) : name);
      if (!part || part->series != series_) continue;
      if (partial) std::filesystem::remove(entry.path());
      else firstPartNumber_ = std::max(firstPartNumber_, part->number + 1);
    }
  } catch (const std::filesystem::filesystem_error& e) {
    ::close(lockFd_);
    fail("cannot prepare archive directory '{}': {}", directory_.string(), e.code().message());
  } catch (...) {
    ::close(lockFd_);
    throw;
  }
}

ArchiveWriter::~ArchiveWriter() {
  std::error_code ignored;
  if (s3_) {
    current_.reset();  // an unfinished part's upload is aborted
    return;
  }
  if (current_) {
    auto partial = current_->tar->path();
    current_.reset();
    std::filesystem::remove(partial, ignored);
  }
  ::close(lockFd_);  // releases the lock
}

std::shared_ptr<ImageSink> ArchiveWriter::imageSink(std::string name) {
  auto last = name.substr(name.rfind('/') + 1);
  if (name.empty() || last.empty() || last.find_first_of(":@") != std::string::npos)
    fail("'{}' cannot name images in an archive: give the repository without a tag or digest "
         "(\"registry.example/ns/repo\")",
         name);
  return std::make_shared<ArchiveImageSink>(*this, std::move(name));
}

void ArchiveWriter::addFile(std::string name, std::string bytes) {
  auto member = extraFileMember(std::move(name));
  std::lock_guard lock(writeMutex_);
  for (auto& [existing, content] : extraFiles_)
    if (existing == member) {
      content = std::move(bytes);
      return;
    }
  extraFiles_.emplace_back(member, std::move(bytes));
}

void ArchiveWriter::onPartFinished(std::function<void(const std::string&, const PartInfo&)> hook) {
  std::lock_guard lock(writeMutex_);
  partFinished_ = std::move(hook);
}

std::vector<std::string> ArchiveWriter::partFiles() const {
  std::lock_guard lock(writeMutex_);
  return finishedParts_;
}

std::map<Digest, std::string> ArchiveWriter::shippedBlobs() const {
  std::lock_guard lock(stateMutex_);
  return shipped_;
}

void ArchiveWriter::checkUsable() const {
  if (!failure_.empty())
    fail("the archive in '{}' cannot be written any more: an earlier write failed ({})", directory_.string(), failure_);
  if (finished_) fail("the archive in '{}' is finished; nothing more can be added", directory_.string());
}

bool ArchiveWriter::hasBlob(const Digest& digest) {
  std::lock_guard lock(stateMutex_);
  return stored_.contains(digest) || alreadyShipped_.contains(digest);
}

void ArchiveWriter::carriedByShard(const Digest& digest, int shard, int count) {
  std::lock_guard lock(writeMutex_);
  otherShards_.try_emplace(digest, fmt::format("shard {}/{} of this run, mirror_{}_NNNNNN.tar", shard, count,
                                               shardSeries(shard, count)));
}

void ArchiveWriter::setShippedImages(std::map<std::string, Digest> images) {
  std::lock_guard lock(stateMutex_);
  shippedRoots_ = std::move(images);
}

std::optional<Digest> ArchiveWriter::rootDigest(const std::string& name, const std::string& reference) {
  std::lock_guard lock(stateMutex_);
  for (const auto* roots : {&roots_, &shippedRoots_}) {
    if (auto digest = Digest::tryParse(reference)) {
      for (const auto& [listed, rootDigest] : *roots)
        if (rootDigest == *digest && (listed == name + "@" + reference || listed.starts_with(name + ":")))
          return rootDigest;
      continue;
    }
    if (auto found = roots->find(name + ":" + reference); found != roots->end()) return found->second;
  }
  return std::nullopt;
}

void ArchiveWriter::startPart() {
  OpenPart part;
  part.number = firstPartNumber_ + static_cast<int>(finishedParts_.size());
  if (s3_) {
    auto key = s3Prefix_.empty() ? fileOf(part.number) : s3Prefix_ + "/" + fileOf(part.number);
    auto chunk = s3_->settings().partSize > 0 ? s3_->settings().partSize : kDefaultS3ChunkSize;
    part.tar = std::make_unique<TarWriter>(std::make_unique<S3PartOutput>(s3_, key, chunk), startTime_);
    openPartManifests_.clear();
  } else {
    part.tar = std::make_unique<TarWriter>(directory_ / (fileOf(part.number) + std::string(kPartialSuffix)),
                                           startTime_);
  }
  part.info.runId = runId_;
  part.info.part = part.number;
  part.tar->add("oci-layout", kLayoutFile);
  part.checksums.emplace_back("oci-layout", sha256Hex(kLayoutFile));
  current_ = std::move(part);
}

void ArchiveWriter::makeRoom(int64_t memberBytes) {
  // Another writer is closing the part: wait for the next one.
  drained_.wait(writeMutex_, [this] { return !current_ || !current_->closing; });
  if (current_ && current_->holdsBlobs && current_->tar->size() + memberBytes > partSizeBytes_) closeWhenDrained();
  if (!current_) startPart();
}

void ArchiveWriter::closeWhenDrained() {
  current_->closing = true;
  drained_.wait(writeMutex_, [this] { return current_->streaming == 0; });
  try {
    closePart();
  } catch (...) {
    drained_.notify_all();
    throw;
  }
  drained_.notify_all();
}

void ArchiveWriter::closePart() {
  auto& part = *current_;
  auto add = [&part](const std::string& member, const std::string& bytes) {
    part.tar->add(member, bytes);
    part.checksums.emplace_back(member, sha256Hex(bytes));
  };

  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const auto& root : part.roots) {
    entries.push_back({{"mediaType", root.image.mediaType},
                       {"digest", root.image.digest.str()},
                       {"size", root.size},
                       {"annotations", {{std::string(kRefNameAnnotation), root.image.reference()}}}});
    part.info.images.push_back(root.image);
  }
  nlohmann::ordered_json index{{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", entries}};
  add("index.json", index.dump(2) + "\n");

  part.info.created = utcNow();
  add(std::string(kPartInfoMember), part.info.toJson());
  for (const auto& [member, bytes] : extraFiles_) add(member, bytes);

  std::string sums;
  for (const auto& [member, hex] : part.checksums) sums += hex + "  " + member + "\n";
  part.tar->add(kChecksumsMember, sums);
  part.tar->close();

  if (s3_) {
    // close() completed the multipart upload: the part exists from now on.
    finishedParts_.push_back(fileOf(part.number));
    auto info = std::move(part.info);
    current_.reset();
    openPartManifests_.clear();
    if (partFinished_) partFinished_(finishedParts_.back(), info);
    return;
  }
  auto partial = part.tar->path();
  auto complete = directory_ / fileOf(part.number);
  std::error_code error;
  std::filesystem::rename(partial, complete, error);
  if (error) fail("cannot rename '{}' to '{}': {}", partial.string(), complete.string(), error.message());
  syncDirectory(directory_);
  finishedParts_.push_back(fileOf(part.number));
  auto info = std::move(part.info);
  current_.reset();
  if (partFinished_) partFinished_(finishedParts_.back(), info);
}

void ArchiveWriter::writeManifest(const Digest& digest, const std::string& bytes) {
  auto member = blobMember(digest);
  auto offset = current_->tar->add(member, bytes);
  auto size = static_cast<int64_t>(bytes.size());
  {
    std::lock_guard state(stateMutex_);
    stored_[digest] = Stored{current_->number, offset, size};
  }
  current_->info.blobs.push_back({digest, size});
  current_->checksums.emplace_back(member, sha256Hex(bytes));
  current_->holdsBlobs = true;
  if (s3_) openPartManifests_[digest] = bytes;
}

std::string ArchiveWriter::readStored(const Digest& digest) const {
  const auto& where = stored_.at(digest);
  if (s3_) {
    if (current_ && where.part == current_->number) {
      if (auto held = openPartManifests_.find(digest); held != openPartManifests_.end()) return held->second;
      return current_->tar->readBack(where.offset, where.size);
    }
    auto name = fileOf(where.part);
    return s3_->getRangeBytes(s3Prefix_.empty() ? name : s3Prefix_ + "/" + name, where.offset, where.size);
  }
  if (current_ && where.part == current_->number) return current_->tar->readBack(where.offset, where.size);
  auto path = directory_ / fileOf(where.part);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot read back '{}': {}", path.string(), std::strerror(errno));
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } close{fd};
  return readAt(fd, where.offset, where.size, path.string());
}

void ArchiveWriter::putBlob(const Descriptor& blob, const std::filesystem::path* file, const std::string* bytes) {
  std::lock_guard lock(writeMutex_);
  checkUsable();
  if (stored_.contains(blob.digest)) return;
  if (file) {
    std::error_code error;
    auto size = std::filesystem::file_size(*file, error);
    if (error || static_cast<int64_t>(size) != blob.size)
      fail("cannot store blob {} in archive '{}': '{}' has {} bytes, the blob has {}", blob.digest.str(),
           directory_.string(), file->string(), error ? 0 : size, blob.size);
  } else if (static_cast<int64_t>(bytes->size()) != blob.size) {
    fail("cannot store blob {} in archive '{}': {} bytes given, the blob has {}", blob.digest.str(),
         directory_.string(), bytes->size(), blob.size);
  }
  auto member = blobMember(blob.digest);
  checkFits(blob, member);
  try {
    makeRoom(TarWriter::memberBytes(member, blob.size));
    // checksums.sha256 needs a sha256 of the bytes: a sha256 blob's digest is one
    // (the copy engine verified it); blobs of other algorithms are hashed as they are written.
    bool isSha256 = blob.digest.algorithm() == "sha256";
    std::string hex;
    int64_t offset = 0;
    if (file) {
      Hasher hasher("sha256");
      offset = current_->tar->addFile(member, *file, blob.size, isSha256 ? nullptr : &hasher);
      hex = isSha256 ? std::string(blob.digest.hex()) : std::string(hasher.finish().hex());
    } else {
      offset = current_->tar->add(member, *bytes);
      hex = isSha256 ? std::string(blob.digest.hex()) : sha256Hex(*bytes);
    }
    {
      std::lock_guard state(stateMutex_);
      stored_[blob.digest] = Stored{current_->number, offset, blob.size};
      shipped_.insert_or_assign(blob.digest, shippedIn(runId_, fileOf(current_->number)));
    }
    current_->info.blobs.push_back({blob.digest, blob.size});
    current_->checksums.emplace_back(member, hex);
    current_->holdsBlobs = true;
  } catch (const std::exception& e) {
    failure_ = e.what();
    throw;
  }
}

void ArchiveWriter::checkFits(const Descriptor& blob, const std::string& member) const {
  if (refuseOversized_ && TarWriter::memberBytes(member, blob.size) > partSizeBytes_)
    fail("cannot store blob {} ({} bytes) in archive '{}': it is larger than the archive size ({} bytes) and "
         "--strict-archive refuses a part larger than that; raise archiveSize, or drop --strict-archive to give it "
         "a part of its own",
         blob.digest.str(), blob.size, directory_.string(), partSizeBytes_);
}

namespace {

std::string sha256OfZeros(int64_t size) {
  Hasher hasher("sha256");
  std::vector<char> zeros(static_cast<size_t>(std::min<int64_t>(size, 1 << 20)), '\0');
  for (int64_t done = 0; done < size; done += static_cast<int64_t>(zeros.size()))
    hasher.update(zeros.data(), static_cast<size_t>(std::min<int64_t>(size - done, static_cast<int64_t>(zeros.size()))));
  return std::string(hasher.finish().hex());
}

}  // namespace

void ArchiveWriter::writeBlob(const Descriptor& blob, const BlobProducer& produce) {
  auto member = blobMember(blob.digest);
  TarWriter::Reserved room;
  const TarWriter* tar = nullptr;
  {
    std::lock_guard lock(writeMutex_);
    checkUsable();
    if (stored_.contains(blob.digest)) return;
    checkFits(blob, member);
    try {
      makeRoom(TarWriter::memberBytes(member, blob.size));
      room = current_->tar->reserve(member, blob.size);
    } catch (const std::exception& e) {
      failure_ = e.what();
      throw;
    }
    tar = current_->tar.get();
    ++current_->streaming;
  }
  // The part cannot close while this blob streams into it (closeWhenDrained waits), so `tar` stays valid.
  // checksums.sha256 lists every member by sha256: a blob of another digest algorithm is hashed on the way in.
  bool isSha256 = blob.digest.algorithm() == "sha256";
  std::optional<Hasher> sha256;
  if (!isSha256) sha256.emplace("sha256");
  TarRoomWriter out(*tar, room, sha256 ? &*sha256 : nullptr);
  std::exception_ptr failed;
  try {
    produce(out);
    out.finish(fmt::format("blob {} in archive '{}'", blob.digest.str(), directory_.string()));
  } catch (...) {
    failed = std::current_exception();
  }

  std::lock_guard lock(writeMutex_);
  auto& part = *current_;
  --part.streaming;
  drained_.notify_all();
  try {
    if (failed) {
      // Nothing of a blob that failed stays: cut out of the part, or (with members after it) renamed and zeroed.
      std::string discarded = fmt::format("ferry/discarded/{}.{}", blob.digest.hex(), ++discardedMembers_);
      if (!part.tar->abandon(room, discarded)) part.checksums.emplace_back(discarded, sha256OfZeros(blob.size));
    } else {
      {
        std::lock_guard state(stateMutex_);
        stored_[blob.digest] = Stored{part.number, room.dataOffset, blob.size};
        shipped_.insert_or_assign(blob.digest, shippedIn(runId_, fileOf(part.number)));
      }
      part.info.blobs.push_back({blob.digest, blob.size});
      part.checksums.emplace_back(member, isSha256 ? std::string(blob.digest.hex()) : std::string(sha256->finish().hex()));
      part.holdsBlobs = true;
    }
  } catch (const std::exception& e) {
    failure_ = e.what();
    throw;
  }
  if (!failed) return;
  if (!out.error().empty()) fail("cannot store blob {} in archive '{}': {}", blob.digest.str(), directory_.string(), out.error());
  std::rethrow_exception(failed);
}

void ArchiveWriter::putManifest(const std::string& name, const RawManifest& manifest,
                                const std::optional<std::string>& tag, bool root) {
  std::lock_guard lock(writeMutex_);
  checkUsable();
  auto member = blobMember(manifest.digest);
  if (!root) {
    if (stored_.contains(manifest.digest)) return;  // the root's turn copies it into its part if need be
    try {
      makeRoom(TarWriter::memberBytes(member, static_cast<int64_t>(manifest.bytes.size())));
      writeManifest(manifest.digest, manifest.bytes);
    } catch (const std::exception& e) {
      failure_ = e.what();
      throw;
    }
    return;
  }

  // The root's graph, read back from what this run stored (the copy engine
  // stores children before their index), walked as the copy engine walks it.
  StoredManifests storedSoFar(*this, name);
  ImageGraph graph = [&] {
    try {
      // A sparse index (only some platforms carried) lists children that were not stored: they are left out.
      return fetchImageGraph(storedSoFar, manifest, [this](const Manifest& parent, size_t index) {
        return !stored_.contains(parent.manifests[index].digest);
      });
    } catch (const Error& e) {
      fail("cannot store image {} in archive '{}': {}", name, directory_.string(), e.what());
    }
  }();
  std::vector<std::pair<Digest, std::string>> manifests;  // children first
  for (const auto* node : graph.bottomUp()) manifests.emplace_back(node->raw.digest, node->raw.bytes);
  std::vector<Descriptor> blobs = graph.blobs();
  const std::string& rootMediaType = graph.manifest.mediaType;

  // A part's manifests never point at a blob that is neither in the part, nor in
  // an earlier part of this run, nor in the history: the copy engine stores blobs
  // before their manifests, so this only fails on a bug.
  for (const auto& blob : blobs)
    if (!stored_.contains(blob.digest) && !alreadyShipped_.contains(blob.digest) &&
        !otherShards_.contains(blob.digest))
      fail("cannot list image {} in archive '{}': it needs blob {}, which is neither in this archive nor in the "
           "history of earlier runs (it was not stored before the manifest)",
           name, directory_.string(), blob.digest.str());

  try {
    auto inOpenPart = [this](const Digest& digest) {
      auto found = stored_.find(digest);
      return current_ && found != stored_.end() && found->second.part == current_->number;
    };
    int64_t needed = 0;
    for (const auto& [digest, bytes] : manifests)
      if (!inOpenPart(digest)) needed += TarWriter::memberBytes(blobMember(digest), static_cast<int64_t>(bytes.size()));
    makeRoom(needed);
    for (const auto& [digest, bytes] : manifests)
      if (!inOpenPart(digest)) writeManifest(digest, bytes);

    auto& part = *current_;
    for (const auto& blob : blobs) {
      if (inOpenPart(blob.digest)) continue;
      auto found = stored_.find(blob.digest);
      std::string where = found != stored_.end() ? shippedIn(runId_, fileOf(found->second.part))
                          : alreadyShipped_.contains(blob.digest) ? alreadyShipped_.at(blob.digest)
                                                                  : otherShards_.at(blob.digest);
      if (part.notCarried.insert(blob.digest).second) part.info.notCarried.push_back({blob.digest, blob.size, where});
    }

    PartImage image{.name = name, .tag = tag, .digest = manifest.digest, .mediaType = rootMediaType};
    auto reference = image.reference();
    std::erase_if(part.roots, [&](const RootEntry& entry) { return entry.image.reference() == reference; });
    part.roots.push_back({image, static_cast<int64_t>(manifest.bytes.size())});
    std::lock_guard state(stateMutex_);
    roots_.insert_or_assign(reference, manifest.digest);
  } catch (const std::exception& e) {
    failure_ = e.what();
    throw;
  }
}

void ArchiveWriter::finish() {
  std::lock_guard lock(writeMutex_);
  if (finished_) return;
  checkUsable();
  try {
    if (current_) closeWhenDrained();
  } catch (const std::exception& e) {
    failure_ = e.what();
    throw;
  }
  finished_ = true;
}

}  // namespace ferry
