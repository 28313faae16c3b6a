// Streams a blob into a room TarWriter::reserve made in a tar file, so a blob
// goes from the socket into its archive member once, with no staging file.
//
// Bytes are written in pieces of up to kWriteBytes (a socket hands over a few
// KiB at a time; one pwrite each made writing archives cost kernel time), so
// one writer holds at most kWriteBytes. The owner reserves the room, hands the
// writer to the producer, calls finish() once the producer returned, and on
// any failure gives the room up with TarWriter::abandon.
#pragma once

#include <cstdint>
#include <string>

#include "ferry/digest/digest.h"
#include "ferry/imagefs/tar_writer.h"
#include "ferry/transport/image_store.h"

namespace ferry {

class TarRoomWriter : public BlobWriter {
 public:
  static constexpr size_t kWriteBytes = 1 << 20;

  // `hasher`, when given, sees every byte (restarted with the writer).
  TarRoomWriter(const TarWriter& tar, TarWriter::Reserved room, Hasher* hasher = nullptr);

  // False when the bytes overrun the room or cannot be written (error() says why).
  bool write(const char* data, size_t size) override;
  void restart() override;
  // Writes what is still held; throws Error naming `what` when it cannot.
  void finish(std::string_view what);
  // Why write() returned false, when the tar could not be written.
  const std::string& error() const { return error_; }

 private:
  bool flush();

  const TarWriter& tar_;
  TarWriter::Reserved room_;
  Hasher* hasher_;
  std::string pending_;
  int64_t received_ = 0;
  int64_t written_ = 0;
  std::string error_;
};

}  // namespace ferry
