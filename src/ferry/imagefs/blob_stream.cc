#include "ferry/imagefs/blob_stream.h"

#include "ferry/base/error.h"

namespace ferry {
namespace {

// Chunks waiting for the reader; a transport's chunks are at most a few hundred KiB.
constexpr size_t kQueuedChunks = 16;

}  // namespace

class BlobStream::QueueWriter : public BlobWriter {
 public:
  explicit QueueWriter(BlobStream& stream) : stream_(stream) {}

  bool write(const char* data, size_t size) override {
    // After a restart, the bytes the reader already has are skipped.
    size_t skip = 0;
    if (attemptBytes_ < stream_.delivered_)
      skip = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(size), stream_.delivered_ - attemptBytes_));
    attemptBytes_ += static_cast<int64_t>(size);
    if (skip == size) return true;
    size_t length = size - skip;
    if (stream_.delivered_ + static_cast<int64_t>(length) > stream_.blob_.size) return false;  // more than described

    std::unique_lock lock(stream_.mutex_);
    stream_.changed_.wait(lock, [&] { return stream_.cancelled_ || stream_.queue_.size() < kQueuedChunks; });
    if (stream_.cancelled_) return false;
    stream_.hasher_.update(data + skip, length);
    stream_.delivered_ += static_cast<int64_t>(length);
    stream_.queue_.emplace_back(data + skip, length);
    stream_.changed_.notify_all();
    return true;
  }

  void restart() override { attemptBytes_ = 0; }

 private:
  BlobStream& stream_;
  int64_t attemptBytes_ = 0;
};

BlobStream::BlobStream(ImageSource& source, Descriptor blob, std::string name)
    : source_(source), blob_(std::move(blob)), name_(std::move(name)), hasher_(blob_.digest.algorithm()) {
  thread_ = std::thread([this] { produce(); });
}

BlobStream::~BlobStream() { stop(); }

void BlobStream::produce() {
  std::exception_ptr error;
  try {
    QueueWriter writer(*this);
    source_.readBlob(blob_, writer);
  } catch (...) {
    error = std::current_exception();
  }
  std::lock_guard lock(mutex_);
  received_ = hasher_.finish();
  error_ = error;
  done_ = true;
  changed_.notify_all();
}

void BlobStream::stop() {
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    changed_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

std::string_view BlobStream::next() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !queue_.empty() || done_; });
  if (!queue_.empty()) {
    current_ = std::move(queue_.front());
    queue_.pop_front();
    changed_.notify_all();
    return current_;
  }
  if (error_) {
    try {
      std::rethrow_exception(error_);
    } catch (const std::exception& e) {
      fail("cannot read blob {} of {}: {}", blob_.digest.str(), name_, e.what());
    }
  }
  current_.clear();
  return {};
}

void BlobStream::finish() {
  while (!next().empty()) {
  }
  stop();
  if (delivered_ != blob_.size || !received_ || *received_ != blob_.digest)
    fail("blob {} of {} from {} does not match its descriptor ({} bytes received, {} expected, digest {}); refusing "
         "it",
         blob_.digest.str(), name_, source_.describe(), delivered_, blob_.size,
         received_ ? received_->str() : std::string("unknown"));
}

}  // namespace ferry
