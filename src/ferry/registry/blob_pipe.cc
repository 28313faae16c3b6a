#include "ferry/registry/blob_pipe.h"

#include <algorithm>
#include <cstring>

namespace ferry {

BlobPipe::BlobPipe(int64_t blobSize, size_t capacity)
    : blobSize_(blobSize), ring_(std::max<size_t>(capacity, 1)) {}

// Each side waits for half a ring of room or bytes (or the rest of the blob), not
// for one byte: handing the ring over in small pieces would cost a thread switch each.
size_t BlobPipe::half() const { return std::max<size_t>(ring_.size() / 2, 1); }

bool BlobPipe::write(const char* data, size_t size) {
  std::unique_lock lock(mutex_);
  while (size > 0) {
    changed_.wait(lock, [&] { return end_ != End::None || ring_.size() - count_ >= std::min(size, half()); });
    if (end_ != End::None) return false;
    size_t tail = (head_ + count_) % ring_.size();
    size_t piece = std::min({size, ring_.size() - count_, ring_.size() - tail});
    std::memcpy(ring_.data() + tail, data, piece);
    count_ += piece;
    data += piece;
    size -= piece;
    changed_.notify_all();
  }
  return true;
}

void BlobPipe::restart() {
  std::lock_guard lock(mutex_);
  if (end_ != End::None) return;
  if (taken_ == 0) {
    head_ = count_ = 0;
    return;
  }
  end_ = End::Restarted;
  changed_.notify_all();
}

void BlobPipe::finish() {
  std::lock_guard lock(mutex_);
  finished_ = true;
  changed_.notify_all();
}

void BlobPipe::fail() {
  std::lock_guard lock(mutex_);
  if (end_ == End::None) end_ = End::ProducerFailed;
  changed_.notify_all();
}

size_t BlobPipe::readable() const {
  if (finished_ || taken_ + static_cast<int64_t>(count_) < blobSize_) return count_;
  return count_ > 0 ? count_ - 1 : 0;
}

int64_t BlobPipe::read(char* buffer, size_t size) {
  std::unique_lock lock(mutex_);
  if (taken_ >= blobSize_) return 0;
  changed_.wait(lock, [&] {
    if (end_ != End::None) return true;
    auto rest = static_cast<size_t>(blobSize_ - taken_) - (finished_ ? 0 : 1);  // the last byte waits for finish()
    return readable() > 0 && readable() >= std::min({half(), size, rest});
  });
  if (end_ != End::None) return -1;
  size_t piece = std::min({size, readable(), ring_.size() - head_});
  std::memcpy(buffer, ring_.data() + head_, piece);
  head_ = (head_ + piece) % ring_.size();
  count_ -= piece;
  taken_ += static_cast<int64_t>(piece);
  if (taken_ == blobSize_ && end_ == End::None) end_ = End::Finished;
  changed_.notify_all();
  return static_cast<int64_t>(piece);
}

void BlobPipe::close() {
  std::lock_guard lock(mutex_);
  if (end_ == End::None) end_ = End::ReaderClosed;
  changed_.notify_all();
}

BlobPipe::End BlobPipe::endedBy() const {
  std::lock_guard lock(mutex_);
  return end_;
}

}  // namespace ferry
