// Writes a plain POSIX tar file, member by member, and says where each
// member's data starts so the archive can be read back with pread.
//
// Headers are ustar; a member whose name does not fit the 100-byte name field
// or whose size does not fit the 11 octal digits of the size field (8 GiB and
// more) gets a PAX extended header ('x') first, as POSIX.1-2001 says. GNU tar,
// bsdtar, Python's tarfile and Go's archive/tar all read this format.
//
// Every member is a regular file with mode 0644, owner 0:0 and one fixed
// modification time, so the same content gives the same tar bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "ferry/digest/digest.h"

namespace ferry {

class TarWriter {
 public:
  // Creates `path` (replacing a file of that name).
  TarWriter(std::filesystem::path path, int64_t modificationTime);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // The bytes a member takes in the tar: its headers, its data and the padding after it.
  static int64_t memberBytes(std::string_view name, int64_t size);

  // Appends a member holding `bytes`; returns the offset of its data in the file.
  int64_t add(std::string_view name, std::string_view bytes);
  // Appends a member copied from `file`, which must hold exactly `size` bytes.
  // `hasher`, when given, sees every byte. Returns the offset of the data.
  int64_t addFile(std::string_view name, const std::filesystem::path& file, int64_t size, Hasher* hasher = nullptr);
  // Reads `size` bytes at `offset` back from the file (a member written earlier).
  std::string readBack(int64_t offset, int64_t size) const;

  // Writes the end-of-archive marker and flushes the file to disk.
  void close();

  int64_t size() const { return offset_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void writeHeaders(std::string_view name, int64_t size);
  void writeAll(const char* data, size_t size);
  void pad();

  std::filesystem::path path_;
  int64_t modificationTime_;
  int fd_ = -1;
  int64_t offset_ = 0;
};

}  // namespace ferry
