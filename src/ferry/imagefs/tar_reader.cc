#include "ferry/imagefs/tar_reader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <optional>

#include "ferry/imagefs/tar_header.h"
#include "ferry/base/error.h"

namespace ferry {
namespace {

// PAX headers and GNU long names larger than this are not what ferry writes,
// and are refused rather than read into memory.
constexpr int64_t kLargestMetadataHeader = 1 << 20;

std::string_view fieldText(const unsigned char* block, tar::Field field) {
  const char* start = reinterpret_cast<const char*>(block) + field.offset;
  size_t length = 0;
  while (length < field.length && start[length] != '\0') ++length;
  return {start, length};
}

std::optional<int64_t> parseNumber(const unsigned char* block, tar::Field field) {
  const unsigned char* start = block + field.offset;
  if (start[0] & 0x80) {  // GNU base-256, big-endian after the marker bit; 0xff would be negative
    if (start[0] == 0xff) return std::nullopt;
    int64_t value = start[0] & 0x7f;
    for (size_t i = 1; i < field.length; ++i) {
      if (value > (INT64_MAX >> 8)) return std::nullopt;
      value = (value << 8) | start[i];
    }
    return value;
  }
  int64_t value = 0;
  size_t i = 0;
  while (i < field.length && start[i] == ' ') ++i;
  bool any = false;
  for (; i < field.length && start[i] >= '0' && start[i] <= '7'; ++i) {
    value = value * 8 + (start[i] - '0');
    any = true;
  }
  for (; i < field.length; ++i)
    if (start[i] != ' ' && start[i] != '\0') return std::nullopt;
  return any ? std::optional<int64_t>(value) : std::optional<int64_t>(0);
}

struct PaxOverrides {
  std::optional<std::string> path;
  std::optional<std::string> linkPath;
  std::optional<int64_t> size;
};

// `name` is the tar's description.
PaxOverrides parsePax(std::string_view records, const std::string& name, int64_t at) {
  PaxOverrides overrides;
  while (!records.empty()) {
    auto space = records.find(' ');
    size_t length = 0;
    if (space == std::string_view::npos || space == 0) fail("{}: malformed PAX header at byte {}", name, at);
    for (char c : records.substr(0, space)) {
      if (c < '0' || c > '9') fail("{}: malformed PAX header at byte {}", name, at);
      length = length * 10 + static_cast<size_t>(c - '0');
      if (length > records.size()) break;
    }
    if (length <= space + 1 || length > records.size() || records[length - 1] != '\n')
      fail("{}: malformed PAX header at byte {}", name, at);
    auto record = records.substr(space + 1, length - space - 2);
    records.remove_prefix(length);
    auto equals = record.find('=');
    if (equals == std::string_view::npos) fail("{}: malformed PAX record at byte {}", name, at);
    auto key = record.substr(0, equals);
    auto value = record.substr(equals + 1);
    if (key == "path") {
      overrides.path = std::string(value);
    } else if (key == "linkpath") {
      overrides.linkPath = std::string(value);
    } else if (key == "size") {
      int64_t size = 0;
      if (value.empty() || value.size() > 18) fail("{}: bad PAX size at byte {}", name, at);
      for (char c : value) {
        if (c < '0' || c > '9') fail("{}: bad PAX size at byte {}", name, at);
        size = size * 10 + (c - '0');
      }
      overrides.size = size;
    }
  }
  return overrides;
}

bool allZero(const unsigned char* block) {
  for (size_t i = 0; i < tar::kBlock; ++i)
    if (block[i] != 0) return false;
  return true;
}

}  // namespace

std::string readAt(int fd, int64_t offset, int64_t size, const std::string& name) {
  std::string bytes(static_cast<size_t>(size), '\0');
  int64_t done = 0;
  while (done < size) {
    ssize_t got = ::pread(fd, bytes.data() + done, static_cast<size_t>(size - done), offset + done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("cannot read archive part '{}': {}", name, std::strerror(errno));
    if (got == 0) fail("archive part '{}' is truncated: it ends inside the member at byte {}", name, offset);
    done += got;
  }
  return bytes;
}

std::string checkedMemberPath(std::string_view path, const std::string& tarName) {
  if (path.empty()) fail("archive part '{}' has a member with an empty name; refusing it", tarName);
  if (path.front() == '/')
    fail("archive part '{}' has a member with an absolute path '{}'; refusing the part", tarName, path);
  if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos)
    fail("archive part '{}' has a member with a malformed name '{}'; refusing the part", tarName, path);
  std::string normal;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto component = path.substr(start, end - start);
    if (component == "..")
      fail("archive part '{}' has a member '{}' that climbs out of the archive with '..'; refusing the part", tarName,
           path);
    if (!component.empty() && component != ".") {
      if (!normal.empty()) normal += '/';
      normal += component;
    }
    start = end + 1;
  }
  if (normal.empty()) fail("archive part '{}' has a member with no name ('{}'); refusing it", tarName, path);
  return normal;
}

int64_t TarInput::skip(int64_t size) {
  char buffer[64 * 1024];
  int64_t skipped = 0;
  while (skipped < size) {
    size_t got = read(buffer, static_cast<size_t>(std::min<int64_t>(size - skipped, int64_t(sizeof buffer))));
    if (got == 0) break;
    skipped += static_cast<int64_t>(got);
  }
  return skipped;
}

TarFileInput::TarFileInput(int fd, std::string name) : fd_(fd), name_(std::move(name)) {
  struct stat status {};
  if (::fstat(fd_, &status) != 0) fail("cannot read archive part '{}': {}", name_, std::strerror(errno));
  length_ = status.st_size;
}

size_t TarFileInput::read(char* buffer, size_t size) {
  for (;;) {
    ssize_t got = ::pread(fd_, buffer, size, offset_);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("cannot read archive part '{}': {}", name_, std::strerror(errno));
    offset_ += got;
    return static_cast<size_t>(got);
  }
}

TarReader::TarReader(TarInput& input, std::string description)
    : input_(input), description_(std::move(description)) {}

size_t TarReader::readFully(char* buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    size_t got = input_.read(buffer + done, size - done);
    if (got == 0) break;
    done += got;
  }
  position_ += static_cast<int64_t>(done);
  return done;
}

void TarReader::skipBytes(int64_t size) {
  if (size <= 0) return;
  auto known = input_.length();
  if (known && size > *known - position_)
    fail("{} is truncated: it ends inside the {}-byte member at byte {}; copy it again", description_, size, position_);
  int64_t skipped = input_.skip(size);
  position_ += skipped;
  if (skipped < size) fail("{} is truncated: it ends inside the member before byte {}", description_, position_ + size - skipped);
}

size_t TarReader::readData(char* buffer, size_t size) {
  size_t wanted = static_cast<size_t>(std::min<int64_t>(dataLeft_, static_cast<int64_t>(size)));
  if (wanted == 0) return 0;
  size_t got = readFully(buffer, wanted);
  if (got < wanted) fail("{} is truncated: it ends inside the member at byte {}", description_, position_);
  dataLeft_ -= static_cast<int64_t>(got);
  return got;
}

std::optional<TarMemberHeader> TarReader::next() {
  if (ended_) return std::nullopt;
  skipBytes(dataLeft_ + paddingLeft_);
  dataLeft_ = paddingLeft_ = 0;

  PaxOverrides pending;
  std::optional<std::string> longName, longLink;
  const auto known = input_.length();
  for (;;) {
    const int64_t at = position_;
    unsigned char block[tar::kBlock];
    size_t got = readFully(reinterpret_cast<char*>(block), tar::kBlock);
    if (got == 0) {  // no end marker; tolerated, the last member is whole
      ended_ = true;
      return std::nullopt;
    }
    if (got < tar::kBlock) {
      if (known) fail("{} is truncated at byte {} (it has {} bytes); copy it again", description_, at, *known);
      fail("{} is truncated at byte {}: it ends inside a tar header", description_, at);
    }
    if (allZero(block)) {
      ended_ = sawEndMarker_ = true;
      return std::nullopt;
    }
    auto stored = parseNumber(block, tar::kChecksum);
    if (!stored || (*stored != tar::headerChecksum(block) && *stored != tar::signedHeaderChecksum(block)))
      fail("{} is damaged: the tar header at byte {} has a wrong checksum. Was the file changed or "
           "recompressed? Parts are plain tar files",
           description_, at);
    auto headerSize = parseNumber(block, tar::kSize);
    if (!headerSize) fail("{} is damaged: bad size field in the tar header at byte {}", description_, at);
    int64_t size = pending.size.value_or(*headerSize);
    char type = static_cast<char>(block[tar::kTypeFlag]);
    const int64_t dataOffset = position_;
    // size > known - offset, not offset + size > known: a base-256 size near INT64_MAX would overflow it.
    if (size < 0 || (known && size > *known - dataOffset))
      fail("{} is truncated: the member at byte {} needs {} bytes, the file ends first; copy it again", description_,
           at, size);

    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
      if (size > kLargestMetadataHeader)
        fail("{}: the extended header at byte {} is {} bytes, too large", description_, at, size);
      std::string data(static_cast<size_t>(size), '\0');
      if (readFully(data.data(), data.size()) < data.size())
        fail("{} is truncated: it ends inside the extended header at byte {}", description_, at);
      skipBytes(tar::paddedSize(size) - size);
      if (type == 'x') {
        auto overrides = parsePax(data, description_, at);
        if (overrides.path) pending.path = overrides.path;
        if (overrides.linkPath) pending.linkPath = overrides.linkPath;
        if (overrides.size) pending.size = overrides.size;
      } else if (type == 'L') {
        longName = std::string(data.c_str());
      } else if (type == 'K') {
        longLink = std::string(data.c_str());
      }
      continue;
    }

    TarMemberHeader header;
    if (pending.path) {
      header.path = *pending.path;
    } else if (longName) {
      header.path = *longName;
    } else {
      // The prefix field is POSIX ustar's; old GNU headers ("ustar  ") keep other things there.
      auto prefix = fieldText(block, tar::kPrefix);
      bool posix = fieldText(block, tar::kMagic) == "ustar" && block[tar::kMagic.offset + 5] == '\0';
      header.path = (posix && !prefix.empty() ? std::string(prefix) + "/" : std::string()) +
                    std::string(fieldText(block, tar::kName));
    }
    if (pending.linkPath) {
      header.linkTarget = *pending.linkPath;
    } else if (longLink) {
      header.linkTarget = *longLink;
    } else {
      header.linkTarget = std::string(fieldText(block, tar::kLinkName));
    }
    header.type = type;
    header.size = size;
    header.offset = dataOffset;
    dataLeft_ = size;
    paddingLeft_ = tar::paddedSize(size) - size;
    return header;
  }
}

std::vector<TarMember> listTarMembers(int fd, const std::string& name, TarListing listing) {
  TarFileInput input(fd, name);
  return listTarMembers(static_cast<TarInput&>(input), name, listing);
}

std::vector<TarMember> listTarMembers(TarInput& input, const std::string& name, TarListing listing) {
  TarReader reader(input, fmt::format("archive part '{}'", name));
  std::vector<TarMember> members;
  while (auto header = reader.next()) {
    if (listing.allowLinks && (header->isHardLink() || header->isSymlink())) {
      if (header->linkTarget.empty()) fail("archive '{}': the link '{}' has no target", name, header->path);
      TarMember link{checkedMemberPath(header->path, name), header->offset, 0, false};
      link.linkTarget = header->linkTarget;
      link.hardLink = header->isHardLink();
      members.push_back(std::move(link));
      continue;
    }
    if (!header->isFile() && !header->isDirectory()) {
      const char* what = header->isHardLink() ? "a hard link" : header->isSymlink() ? "a symbolic link" : "a special file";
      fail("archive part '{}' has a member '{}' that is {}; parts hold only regular files, refusing the part", name,
           header->path, what);
    }
    bool directory = header->isDirectory();
    members.push_back(TarMember{checkedMemberPath(header->path, name), header->offset, directory ? 0 : header->size,
                                directory});
  }
  if (members.empty() && !reader.sawEndMarker())
    fail("archive part '{}' is truncated at byte 0 (it has {} bytes); copy it again", name, input.length().value_or(0));
  return members;
}

}  // namespace ferry
