// A bounded pipe between a blob's producer (a download, on its own thread) and
// the upload request that sends it (libcurl pulling the request body).
//
// The producer write()s the blob's bytes and calls finish() once it verified
// them; the upload read()s them. The blob's last byte is held back until
// finish(), so an upload can only complete, and the registry can only commit
// the blob, after the bytes were verified: a producer that fails instead
// (fail()) makes the next read() abort the request.
//
// The pipe holds at most `capacity` bytes: the memory one streamed blob costs,
// whatever its size. Either side can end the transfer early: the reader by
// close() (the request ended), the producer by fail(); the first to end it is
// what endedBy() reports, so the caller knows whose failure to report.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "ferry/transport/image_store.h"

namespace ferry {

class BlobPipe : public BlobWriter {
 public:
  enum class End { None, Finished, ProducerFailed, ReaderClosed, Restarted };

  BlobPipe(int64_t blobSize, size_t capacity);

  // Producer side. write() blocks while the pipe is full; it returns false once
  // the reader closed the pipe (or after a restart that cannot be honoured).
  bool write(const char* data, size_t size) override;
  // The producer starts again from the first byte: fine while the reader has
  // taken nothing; otherwise the transfer ends (End::Restarted) and is retried whole.
  void restart() override;
  // Every byte was written and verified: releases the last byte.
  void finish();
  void fail();

  // Reader side: fills up to `size` bytes, blocking until some are there;
  // 0 at the end of the blob, -1 when the transfer ended early.
  int64_t read(char* buffer, size_t size);
  void close();

  End endedBy() const;

 private:
  // Bytes the reader may take now (the last byte waits for finish()).
  size_t readable() const;
  size_t half() const;

  const int64_t blobSize_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<char> ring_;
  size_t head_ = 0;   // where the next byte is read
  size_t count_ = 0;  // bytes in the ring
  int64_t taken_ = 0; // bytes the reader has taken
  End end_ = End::None;
  bool finished_ = false;
};

}  // namespace ferry
