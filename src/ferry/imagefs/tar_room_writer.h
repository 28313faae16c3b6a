// Streams a blob into a room TarWriter::reserve made in a tar file, so a blob
// goes from the socket into its archive member once, with no staging file.
//
// Each piece the producer hands over is written where it belongs with pwrite
// (collecting them into larger writes was measured: no faster, 1 MiB more per
// transfer). The owner reserves the room, hands the writer to the producer,
// calls finish() once the producer returned, and on any failure gives the room
// up with TarWriter::abandon.
#pragma once

#include <cstdint>
#include <string>

#include "ferry/digest/digest.h"
#include "ferry/imagefs/tar_writer.h"
#include "ferry/transport/image_store.h"

namespace ferry {

class TarRoomWriter : public BlobWriter {
 public:
  // `hasher`, when given, sees every byte (restarted with the writer).
  TarRoomWriter(const TarWriter& tar, TarWriter::Reserved room, Hasher* hasher = nullptr);

  // False when the bytes overrun the room or cannot be written (error() says why).
  bool write(const char* data, size_t size) override;
  void restart() override;
  // Checks the room is full and starts writing it to disk (the tar's close()
  // then waits for less); throws Error naming `what` when it is not full.
  void finish(std::string_view what);
  // Why write() returned false, when the tar could not be written.
  const std::string& error() const { return error_; }

 private:
  const TarWriter& tar_;
  TarWriter::Reserved room_;
  Hasher* hasher_;
  int64_t written_ = 0;
  std::string error_;
};

}  // namespace ferry
