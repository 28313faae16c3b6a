#include "ferry/imagefs/tar_room_writer.h"

#include "ferry/base/error.h"

namespace ferry {

TarRoomWriter::TarRoomWriter(const TarWriter& tar, TarWriter::Reserved room, Hasher* hasher)
    : tar_(tar), room_(room), hasher_(hasher) {}

bool TarRoomWriter::write(const char* data, size_t size) {
  if (written_ + static_cast<int64_t>(size) > room_.size) return false;
  try {
    tar_.writeAt(room_, written_, data, size);
  } catch (const Error& e) {
    error_ = e.what();
    return false;
  }
  if (hasher_) hasher_->update(data, size);
  written_ += static_cast<int64_t>(size);
  return true;
}

void TarRoomWriter::restart() {
  written_ = 0;
  if (hasher_) hasher_->reset();
}

void TarRoomWriter::finish(std::string_view what) {
  if (written_ != room_.size) fail("cannot store {}: {} bytes arrived for a room of {}", what, written_, room_.size);
  tar_.startWriteback(room_);
}

}  // namespace ferry
