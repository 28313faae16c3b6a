// Lists the members of a tar file by reading their headers only: the data is
// skipped, never extracted, so a member can later be read in place with
// pread at its offset.
//
// Understands ustar headers, PAX extended headers ('x': path and size;
// global 'g' headers are skipped), GNU long names ('L') and GNU base-256
// sizes. Only regular files and directories are accepted: links, devices and
// FIFOs have no place in an archive part and are refused, as are member paths
// that are absolute or climb out with "..".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ferry {

struct TarMember {
  std::string path;  // normalised: no "./" prefix, no trailing '/'
  int64_t offset = 0;  // of the data in the file
  int64_t size = 0;
  bool directory = false;
  // With TarListing::allowLinks: the target of a symbolic link (relative to the
  // member's folder) or of a hard link (a member path); empty for other members.
  std::string linkTarget;
  bool hardLink = false;
};

struct TarListing {
  // `docker save` and skopeo's docker-archive: write symbolic links between
  // layer files; their readers list them and resolve them inside the tar.
  bool allowLinks = false;
};

// Lists the members of the tar open at `fd`; `name` is used in messages.
// Throws Error for a damaged or truncated tar and for unsafe members.
std::vector<TarMember> listTarMembers(int fd, const std::string& name, TarListing listing = {});

// A member path in normal form ("./a//b/" becomes "a/b"). Throws Error, naming
// `tarName`, for empty and absolute paths and for any ".." component.
std::string checkedMemberPath(std::string_view path, const std::string& tarName);

// Reads `size` bytes at `offset` of `fd`; throws Error naming `name` if the file is shorter.
std::string readAt(int fd, int64_t offset, int64_t size, const std::string& name);

}  // namespace ferry
