#include "ferry/archive/s3_part_output.h"

#include <cstring>

#include "ferry/base/error.h"
#include "ferry/base/log.h"

namespace ferry {

S3PartOutput::S3PartOutput(std::shared_ptr<S3Client> s3, std::string key, int64_t chunkSize)
    : s3_(std::move(s3)), key_(std::move(key)), chunkSize_(chunkSize) {
  if (chunkSize_ < kMinS3ChunkSize || chunkSize_ > kMaxS3ChunkSize)
    fail(ErrorKind::Limit, "--s3-part-size {} is outside what S3 allows for multipart upload parts (5 MiB to 5 GiB)",
         chunkSize_);
  uploadId_ = s3_->createMultipartUpload(key_);
}

S3PartOutput::~S3PartOutput() {
  if (finished_) return;
  auto problem = s3_->abortMultipartUpload(key_, uploadId_);
  if (!problem.empty())
    log::at(log::Level::Warn, "{}", fmt::format("could not abort the unfinished upload of {} ({}); no object was completed, and the "
                           "uploaded parts stay until a lifecycle rule (AbortIncompleteMultipartUpload) drops them",
                           s3_->describe(key_), problem));
}

std::string S3PartOutput::describe() const { return fmt::format("archive part '{}'", s3_->describe(key_)); }

void S3PartOutput::checkHealthy() const {
  if (!failure_.empty()) fail("cannot write {}: {}", describe(), failure_);
  if (finished_) fail("cannot write {}: it is complete", describe());
}

S3PartOutput::Chunk& S3PartOutput::chunkAt(int64_t index) {
  auto found = held_.find(index);
  if (found != held_.end()) return found->second;
  if (index >= kMaxS3Parts)
    fail(ErrorKind::Limit, "{} would need more than {} upload parts of {} bytes; raise --s3-part-size", describe(),
         kMaxS3Parts, chunkSize_);
  auto& chunk = held_[index];
  chunk.bytes.assign(static_cast<size_t>(chunkSize_), '\0');
  mostHeld_ = std::max(mostHeld_, held_.size());
  return chunk;
}

void S3PartOutput::addInterval(Chunk& chunk, int64_t start, int64_t end) {
  // Merge [start, end) into the disjoint intervals, keeping `covered` their total length.
  auto next = chunk.written.upper_bound(start);
  if (next != chunk.written.begin()) {
    auto before = std::prev(next);
    if (before->second >= start) {
      start = before->first;
      end = std::max(end, before->second);
      chunk.covered -= before->second - before->first;
      chunk.written.erase(before);
    }
  }
  for (auto it = chunk.written.lower_bound(start); it != chunk.written.end() && it->first <= end;) {
    end = std::max(end, it->second);
    chunk.covered -= it->second - it->first;
    it = chunk.written.erase(it);
  }
  chunk.written.emplace(start, end);
  chunk.covered += end - start;
}

void S3PartOutput::writeAt(int64_t offset, const char* data, size_t size) {
  std::vector<std::pair<int64_t, std::vector<char>>> full;
  {
    std::lock_guard lock(mutex_);
    checkHealthy();
    auto left = static_cast<int64_t>(size);
    while (left > 0) {
      int64_t index = offset / chunkSize_;
      int64_t within = offset % chunkSize_;
      int64_t piece = std::min(left, chunkSize_ - within);
      if (uploaded_.contains(index))
        fail("cannot write bytes {}-{} of {} again: upload part {} holding them was sent already (a blob restarted "
             "or given up after part of it was uploaded)",
             offset, offset + piece - 1, describe(), index + 1);
      auto& chunk = chunkAt(index);
      std::memcpy(chunk.bytes.data() + within, data, static_cast<size_t>(piece));
      addInterval(chunk, within, within + piece);
      if (chunk.covered == chunkSize_) {
        full.emplace_back(index, std::move(chunk.bytes));
        held_.erase(index);
        uploaded_.insert(index);
      }
      data += piece;
      offset += piece;
      left -= piece;
    }
  }
  for (auto& [index, bytes] : full) upload(index, std::move(bytes), static_cast<size_t>(chunkSize_));
}

void S3PartOutput::upload(int64_t index, std::vector<char> bytes, size_t size) {
  try {
    auto etag = s3_->uploadPart(key_, uploadId_, static_cast<int>(index + 1), std::string_view(bytes.data(), size));
    std::lock_guard lock(mutex_);
    etags_[index] = etag;
  } catch (const Error& e) {
    std::lock_guard lock(mutex_);
    if (failure_.empty()) failure_ = e.what();
    throw;
  }
}

void S3PartOutput::truncate(int64_t size) {
  std::lock_guard lock(mutex_);
  checkHealthy();
  if (!uploaded_.empty() && size < (*uploaded_.rbegin() + 1) * chunkSize_)
    fail("cannot cut {} back to {} bytes: upload part {} after that was sent already", describe(), size,
         *uploaded_.rbegin() + 1);
  int64_t last = size / chunkSize_;
  for (auto it = held_.lower_bound(last); it != held_.end();) {
    if (it->first > last || size % chunkSize_ == 0) {
      it = held_.erase(it);
      continue;
    }
    auto& chunk = it->second;
    int64_t keep = size % chunkSize_;
    std::map<int64_t, int64_t> kept;
    chunk.covered = 0;
    for (auto [start, end] : chunk.written)
      if (start < keep) {
        kept.emplace(start, std::min(end, keep));
        chunk.covered += std::min(end, keep) - start;
      }
    chunk.written = std::move(kept);
    std::memset(chunk.bytes.data() + keep, 0, static_cast<size_t>(chunkSize_ - keep));
    ++it;
  }
}

std::string S3PartOutput::readAt(int64_t offset, int64_t size) {
  std::lock_guard lock(mutex_);
  std::string bytes;
  while (size > 0) {
    int64_t index = offset / chunkSize_;
    int64_t within = offset % chunkSize_;
    int64_t piece = std::min(size, chunkSize_ - within);
    auto found = held_.find(index);
    if (found == held_.end())
      fail("cannot read back bytes at {} of {}: {}", offset, describe(),
           uploaded_.contains(index) ? "they were uploaded already" : "they were never written");
    bytes.append(found->second.bytes.data() + within, static_cast<size_t>(piece));
    offset += piece;
    size -= piece;
  }
  return bytes;
}

void S3PartOutput::finish(int64_t size) {
  std::vector<std::pair<int64_t, std::vector<char>>> rest;
  int64_t chunks = (size + chunkSize_ - 1) / chunkSize_;
  {
    std::lock_guard lock(mutex_);
    checkHealthy();
    for (int64_t index = 0; index < chunks; ++index) {
      if (uploaded_.contains(index)) continue;
      auto& chunk = chunkAt(index);  // a chunk nobody wrote is zeros, as a hole in a file
      rest.emplace_back(index, std::move(chunk.bytes));
      held_.erase(index);
      uploaded_.insert(index);
    }
    held_.clear();
  }
  for (auto& [index, bytes] : rest) {
    auto length = static_cast<size_t>(std::min(chunkSize_, size - index * chunkSize_));
    upload(index, std::move(bytes), length);
  }
  std::vector<std::string> etags;
  {
    std::lock_guard lock(mutex_);
    for (int64_t index = 0; index < chunks; ++index) {
      auto found = etags_.find(index);
      if (found == etags_.end()) fail("cannot complete {}: upload part {} was not sent", describe(), index + 1);
      etags.push_back(found->second);
    }
  }
  s3_->completeMultipartUpload(key_, uploadId_, etags);
  std::lock_guard lock(mutex_);
  finished_ = true;
}

size_t S3PartOutput::chunksHeld() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

size_t S3PartOutput::mostChunksHeld() const {
  std::lock_guard lock(mutex_);
  return mostHeld_;
}

}  // namespace ferry
