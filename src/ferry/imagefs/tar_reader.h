// The one tar reader of ferry. TarReader reads members one after another from
// a TarInput: a file read in place with pread (archive parts: the data is
// skipped, never read, so a member can later be read at its offset), or a
// stream (an image layer as it is decompressed, layer_extract.h).
//
// Understands ustar headers, PAX extended headers ('x': path, linkpath and
// size; global 'g' headers are skipped), GNU long names and link names ('L',
// 'K') and GNU base-256 sizes; checks every header's checksum.
//
// listTarMembers lists an archive part: only regular files and directories are
// accepted there: links, devices and FIFOs have no place in an archive part and
// are refused (links are listed instead with TarListing::allowLinks, for
// docker-archive: tars), as are member paths that are absolute or climb out with "..".
#pragma once

#include <cstdint>
#include <optional>
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

// Where a TarReader's bytes come from.
class TarInput {
 public:
  virtual ~TarInput() = default;
  // Up to `size` bytes; 0 only at the end.
  virtual size_t read(char* buffer, size_t size) = 0;
  // Passes over `size` bytes (reads and drops them unless the input can seek);
  // returns how many there were.
  virtual int64_t skip(int64_t size);
  // The input's length when it is known beforehand (a file), for early truncation reports.
  virtual std::optional<int64_t> length() const { return std::nullopt; }
};

// A tar file open at `fd`, read with pread from offset 0; the descriptor stays the caller's.
class TarFileInput : public TarInput {
 public:
  TarFileInput(int fd, std::string name);
  size_t read(char* buffer, size_t size) override;
  int64_t skip(int64_t size) override {
    offset_ += size;
    return size;
  }
  std::optional<int64_t> length() const override { return length_; }

 private:
  int fd_;
  std::string name_;
  int64_t length_ = 0;
  int64_t offset_ = 0;
};

// What one member's headers say.
struct TarMemberHeader {
  std::string path;        // as stored (PAX path, GNU long name, or ustar prefix/name), not normalised
  char type = '0';         // the ustar type flag: '0' (or '\0', '7') file, '1' hard link, '2' symbolic link, '5' directory...
  int64_t size = 0;        // of the data that follows
  std::string linkTarget;  // hard and symbolic links: PAX linkpath, GNU long link name, or the linkname field
  int64_t offset = 0;      // of the data in the tar

  bool isFile() const { return type == '0' || type == '\0' || type == '7'; }
  bool isDirectory() const { return type == '5'; }
  bool isHardLink() const { return type == '1'; }
  bool isSymlink() const { return type == '2'; }
};

class TarReader {
 public:
  // `description` names the tar in messages ("archive part 'x.tar'", "layer sha256:...").
  TarReader(TarInput& input, std::string description);

  // The next member, after the rest of the current one's data; nullopt at the
  // end-of-archive marker or when the input ends between members. Throws Error
  // for a damaged or truncated tar.
  std::optional<TarMemberHeader> next();
  // Reads the current member's data; 0 at its end. Throws Error when the tar ends first.
  size_t readData(char* buffer, size_t size);
  // Whether the tar ended with its end-of-archive marker (rather than the input just ending).
  bool sawEndMarker() const { return sawEndMarker_; }

 private:
  size_t readFully(char* buffer, size_t size);
  void skipBytes(int64_t size);

  TarInput& input_;
  std::string description_;
  int64_t position_ = 0;
  int64_t dataLeft_ = 0;     // of the current member
  int64_t paddingLeft_ = 0;  // after it
  bool ended_ = false;
  bool sawEndMarker_ = false;
};

// Lists the members of the tar open at `fd`; `name` is used in messages.
// Throws Error for a damaged or truncated tar and for unsafe members.
std::vector<TarMember> listTarMembers(int fd, const std::string& name, TarListing listing = {});
// The same for a tar read from `input` (an archive part in object storage).
std::vector<TarMember> listTarMembers(TarInput& input, const std::string& name, TarListing listing = {});

// A member path in normal form ("./a//b/" becomes "a/b"). Throws Error, naming
// `tarName`, for empty and absolute paths and for any ".." component.
std::string checkedMemberPath(std::string_view path, const std::string& tarName);

// Reads `size` bytes at `offset` of `fd`; throws Error naming `name` if the file is shorter.
std::string readAt(int fd, int64_t offset, int64_t size, const std::string& name);

}  // namespace ferry
