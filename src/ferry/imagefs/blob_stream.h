// A blob read as a stream of chunks the reader pulls, checked against its
// digest as it goes.
//
// ImageSource pushes a blob's bytes into a BlobWriter; the layer reader pulls them
// as it decompresses them (layer_extract.h). BlobStream bridges the two with a thread that runs
// readBlob and a small bounded queue, so a layer is never held whole in memory
// or on disk. It hashes exactly the bytes it hands out: when a transport
// retries from the start (BlobWriter::restart), the bytes already handed out
// are skipped in the new attempt, and the final digest check covers what the
// reader saw. finish() reads what is left and throws unless size and digest
// match; a stream dropped before finish() stops the transfer.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "ferry/transport/image_store.h"

namespace ferry {

class BlobStream {
 public:
  // Starts reading `blob` from `source`; `name` says which image it belongs to, for messages.
  BlobStream(ImageSource& source, Descriptor blob, std::string name);
  ~BlobStream();
  BlobStream(const BlobStream&) = delete;
  BlobStream& operator=(const BlobStream&) = delete;

  // The next chunk; empty at the end of the blob. The view stays valid until the
  // next call. Throws Error when the transfer failed.
  std::string_view next();
  // Reads the rest, then throws Error unless the bytes match the descriptor's size and digest.
  void finish();

  const Descriptor& blob() const { return blob_; }

 private:
  class QueueWriter;
  void produce();
  void stop();

  ImageSource& source_;
  Descriptor blob_;
  std::string name_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> queue_;
  bool done_ = false;
  bool cancelled_ = false;
  std::exception_ptr error_;
  std::string current_;
  // Producer side: bytes handed to the queue, and their hash.
  int64_t delivered_ = 0;
  Hasher hasher_;
  std::optional<Digest> received_;  // set by the producer when the transfer ends

  std::thread thread_;
};

}  // namespace ferry
