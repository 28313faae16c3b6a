// The one tar writer of ferry: a plain POSIX tar, member by member.
//
// Headers are ustar; a member whose name does not fit the 100-byte name field
// or whose size does not fit the 11 octal digits of the size field (8 GiB and
// more) gets a PAX extended header ('x') first, as POSIX.1-2001 says. GNU tar,
// bsdtar, Python's tarfile and Go's archive/tar all read this format.
//
// Every member is a regular file (0644) or a directory (0755, its name ending
// in '/'), owned by 0:0, with one fixed modification time, so the same content
// gives the same tar bytes.
//
// Two destinations: a file (archive parts), which says where each member's
// data starts so the part can be read back with pread and copies files into
// it in the kernel; or a stream handed to a function as it is written (image
// layers, which compress and hash it: layer_writer.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "ferry/digest/digest.h"

namespace ferry {

// What the members of a tar stream carry besides their names.
struct TarStyle {
  int64_t modificationTime = 0;
  std::string ownerName = "root";  // the uname and gname fields; empty leaves them out
};

// Where a tar file's bytes go when it is not a local file: object storage
// (archive/s3_part_output.h). Offsets are positions in the tar.
class TarFileOutput {
 public:
  virtual ~TarFileOutput() = default;
  // Thread-safe: reserved members are written by many threads.
  virtual void writeAt(int64_t offset, const char* data, size_t size) = 0;
  // Cuts the tar to `size` bytes (a member given up at its end).
  virtual void truncate(int64_t size) = 0;
  virtual std::string readAt(int64_t offset, int64_t size) = 0;
  // Every byte up to `size` is written: make the file whole (it is then visible).
  virtual void finish(int64_t size) = 0;
  // "archive part 's3://bucket/prefix/mirror_000001.tar'"
  virtual std::string describe() const = 0;
};

class TarWriter {
 public:
  // Receives the tar's bytes in order; throws to stop the writer.
  using Output = std::function<void(const char* data, size_t size)>;

  // Creates the tar file `path` (replacing a file of that name); owner names "root".
  TarWriter(std::filesystem::path path, int64_t modificationTime);
  // A tar file written through `output` (not a local file): reserved members,
  // readBack and abandon work as for a file.
  TarWriter(std::unique_ptr<TarFileOutput> output, int64_t modificationTime);
  // Hands the tar to `output`; `description` names it in messages ("layer '/tmp/x.tgz'").
  TarWriter(Output output, TarStyle style, std::string description);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // The bytes a file member takes in the tar: its headers, its data and the padding after it.
  static int64_t memberBytes(std::string_view name, int64_t size);

  // Appends a member holding `bytes`; returns the offset of its data in the tar.
  int64_t add(std::string_view name, std::string_view bytes);
  // Appends a member copied from `file`, which must hold exactly `size` bytes.
  // `hasher`, when given, sees every byte. Returns the offset of the data.
  int64_t addFile(std::string_view name, const std::filesystem::path& file, int64_t size, Hasher* hasher = nullptr);
  // A file member whose headers are written and whose data is not yet: the
  // data is written later with writeAt (by any thread, while members after it
  // are appended), or the member is given up with abandon(). Files only.
  struct Reserved {
    int64_t start = 0;       // where its headers begin
    int64_t dataOffset = 0;  // where its data begins
    int64_t size = 0;
  };
  Reserved reserve(std::string_view name, int64_t size);
  // Writes `size` bytes of a reserved member's data, `at` bytes into it. Thread-safe (pwrite).
  void writeAt(const Reserved& member, int64_t at, const char* data, size_t size) const;
  // Starts writing a filled member's data to disk without waiting for it
  // (sync_file_range), so close()'s fsync finds little left to write. Thread-safe.
  void startWriteback(const Reserved& member) const;
  // Gives up a reserved member: cut off the tar when nothing follows it
  // (returns true); otherwise renamed `replacementName` (whose headers must take
  // the same room) with its data zeroed, so the tar stays well-formed (false).
  bool abandon(const Reserved& member, std::string_view replacementName);
  // Appends a directory member (a '/' is added to the name).
  void addDirectory(std::string_view name);
  // Reads `size` bytes at `offset` back from the file (a member written earlier). Files only.
  std::string readBack(int64_t offset, int64_t size) const;

  // Writes the end-of-archive marker; a file is then flushed to disk and closed.
  void close();

  int64_t size() const { return offset_; }
  // The file written to; empty for a stream.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::string headers(std::string_view name, int64_t size, char type, int mode) const;
  void writeHeaders(std::string_view name, int64_t size, char type, int mode);
  void writeAll(const char* data, size_t size);
  void pad();

  std::filesystem::path path_;
  Output output_;
  TarStyle style_;
  std::string description_;
  int fd_ = -1;
  std::unique_ptr<TarFileOutput> remote_;
  int64_t offset_ = 0;
};

}  // namespace ferry
