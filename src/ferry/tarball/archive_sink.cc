#include "ferry/tarball/archive_sink.h"

#include <fmt/format.h>

#include "ferry/base/error.h"
#include "ferry/imagefs/tar_room_writer.h"

namespace ferry {

void ArchiveSink::streamMember(TarWriter& tar, std::mutex& tarMutex, const std::string& member,
                               const Descriptor& blob, const BlobProducer& produce) {
  TarWriter::Reserved room;
  {
    std::lock_guard lock(tarMutex);
    room = tar.reserve(member, blob.size);
  }
  TarRoomWriter out(tar, room);
  try {
    produce(out);
    out.finish(fmt::format("blob {} in {}", blob.digest.str(), describe()));
  } catch (...) {
    std::lock_guard lock(tarMutex);
    tar.abandon(room, "discarded/" + member);
    if (!out.error().empty()) fail("cannot store blob {} in {}: {}", blob.digest.str(), describe(), out.error());
    throw;
  }
}

}  // namespace ferry
