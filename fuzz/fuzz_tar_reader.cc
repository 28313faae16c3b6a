// The tar reader (imagefs/tar_reader.h) on a whole file, and its member-path check.
#include "ferry/imagefs/tar_reader.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  fuzz::MemoryFile file(data, size);
  fuzz::refusalsAllowed([&] {
    for (const auto& member : listTarMembers(file.fd(), "part.tar")) {
      if (member.offset < 0 || member.size < 0 || member.offset + member.size > static_cast<int64_t>(size))
        fuzz::broken("member '" + member.path + "' lies outside the file");
      if (member.path != checkedMemberPath(member.path, "part.tar"))
        fuzz::broken("member path '" + member.path + "' is not in normal form");
      (void)readAt(file.fd(), member.offset, member.size, "part.tar");
    }
  });
  fuzz::refusalsAllowed([&] { (void)checkedMemberPath(fuzz::text(data, size), "part.tar"); });
  return 0;
}
