#include "ferry/imagefs/tar_room_writer.h"

#include <algorithm>

#include "ferry/base/error.h"

namespace ferry {

TarRoomWriter::TarRoomWriter(const TarWriter& tar, TarWriter::Reserved room, Hasher* hasher)
    : tar_(tar), room_(room), hasher_(hasher) {
  pending_.reserve(static_cast<size_t>(std::min<int64_t>(room.size, kWriteBytes)));
}

bool TarRoomWriter::write(const char* data, size_t size) {
  if (received_ + static_cast<int64_t>(size) > room_.size) return false;
  if (hasher_) hasher_->update(data, size);
  received_ += static_cast<int64_t>(size);
  while (size > 0) {
    size_t taken = std::min(size, kWriteBytes - pending_.size());
    pending_.append(data, taken);
    data += taken;
    size -= taken;
    if (pending_.size() == kWriteBytes && !flush()) return false;
  }
  return true;
}

void TarRoomWriter::restart() {
  received_ = 0;
  written_ = 0;
  pending_.clear();
  if (hasher_) hasher_->reset();
}

bool TarRoomWriter::flush() {
  if (pending_.empty()) return true;
  try {
    tar_.writeAt(room_, written_, pending_.data(), pending_.size());
  } catch (const Error& e) {
    error_ = e.what();
    return false;
  }
  written_ += static_cast<int64_t>(pending_.size());
  pending_.clear();
  return true;
}

void TarRoomWriter::finish(std::string_view what) {
  if (!flush()) fail("cannot store {}: {}", what, error_);
  if (received_ != room_.size)
    fail("cannot store {}: {} bytes arrived for a room of {}", what, received_, room_.size);
}

}  // namespace ferry
