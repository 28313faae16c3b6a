#include "ferry/archive/tar_reader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>

#include "ferry/archive/tar_header.h"
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
  std::optional<int64_t> size;
};

PaxOverrides parsePax(std::string_view records, const std::string& name, int64_t at) {
  PaxOverrides overrides;
  while (!records.empty()) {
    auto space = records.find(' ');
    size_t length = 0;
    if (space == std::string_view::npos || space == 0) fail("archive part '{}': malformed PAX header at byte {}", name, at);
    for (char c : records.substr(0, space)) {
      if (c < '0' || c > '9') fail("archive part '{}': malformed PAX header at byte {}", name, at);
      length = length * 10 + static_cast<size_t>(c - '0');
      if (length > records.size()) break;
    }
    if (length <= space + 1 || length > records.size() || records[length - 1] != '\n')
      fail("archive part '{}': malformed PAX header at byte {}", name, at);
    auto record = records.substr(space + 1, length - space - 2);
    records.remove_prefix(length);
    auto equals = record.find('=');
    if (equals == std::string_view::npos) fail("archive part '{}': malformed PAX record at byte {}", name, at);
    auto key = record.substr(0, equals);
    auto value = record.substr(equals + 1);
    if (key == "path") {
      overrides.path = std::string(value);
    } else if (key == "size") {
      int64_t size = 0;
      if (value.empty() || value.size() > 18) fail("archive part '{}': bad PAX size at byte {}", name, at);
      for (char c : value) {
        if (c < '0' || c > '9') fail("archive part '{}': bad PAX size at byte {}", name, at);
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

std::vector<TarMember> listTarMembers(int fd, const std::string& name, TarListing listing) {
  struct stat status {};
  if (::fstat(fd, &status) != 0) fail("cannot read archive part '{}': {}", name, std::strerror(errno));
  const int64_t fileSize = status.st_size;

  std::vector<TarMember> members;
  PaxOverrides pending;
  std::optional<std::string> longName;
  int64_t at = 0;
  for (;;) {
    if (at + int64_t(tar::kBlock) > fileSize) {
      if (at == fileSize && !members.empty()) break;  // no end marker; tolerated, the last member is whole
      fail("archive part '{}' is truncated at byte {} (it has {} bytes); copy it again", name, at, fileSize);
    }
    auto text = readAt(fd, at, tar::kBlock, name);
    auto* block = reinterpret_cast<const unsigned char*>(text.data());
    if (allZero(block)) break;
    auto stored = parseNumber(block, tar::kChecksum);
    if (!stored || (*stored != tar::headerChecksum(block) && *stored != tar::signedHeaderChecksum(block)))
      fail("archive part '{}' is damaged: the tar header at byte {} has a wrong checksum. Was the file changed or "
           "recompressed? Parts are plain tar files",
           name, at);
    auto headerSize = parseNumber(block, tar::kSize);
    if (!headerSize) fail("archive part '{}' is damaged: bad size field in the tar header at byte {}", name, at);
    int64_t size = pending.size.value_or(*headerSize);
    char type = static_cast<char>(block[tar::kTypeFlag]);
    int64_t dataOffset = at + int64_t(tar::kBlock);
    if (size < 0 || dataOffset + size > fileSize)
      fail("archive part '{}' is truncated: the member at byte {} needs {} bytes, the file ends first; copy it again",
           name, at, size);
    int64_t next = dataOffset + tar::paddedSize(size);

    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
      if (size > kLargestMetadataHeader)
        fail("archive part '{}': the extended header at byte {} is {} bytes, too large", name, at, size);
      auto data = readAt(fd, dataOffset, size, name);
      if (type == 'x') {
        auto overrides = parsePax(data, name, at);
        if (overrides.path) pending.path = overrides.path;
        if (overrides.size) pending.size = overrides.size;
      } else if (type == 'L') {
        longName = std::string(data.c_str());
      }
      at = next;
      continue;
    }

    std::string rawPath;
    if (pending.path) {
      rawPath = *pending.path;
    } else if (longName) {
      rawPath = *longName;
    } else {
      auto prefix = fieldText(block, tar::kPrefix);
      bool ustar = fieldText(block, tar::kMagic).starts_with("ustar");
      rawPath = (ustar && !prefix.empty() ? std::string(prefix) + "/" : std::string()) +
                std::string(fieldText(block, tar::kName));
    }
    pending = {};
    longName.reset();

    bool directory = type == '5';
    if (listing.allowLinks && (type == '1' || type == '2')) {
      TarMember link{checkedMemberPath(rawPath, name), dataOffset, 0, false};
      link.linkTarget = std::string(fieldText(block, tar::kLinkName));
      link.hardLink = type == '1';
      if (link.linkTarget.empty()) fail("archive '{}': the link '{}' has no target", name, rawPath);
      members.push_back(std::move(link));
      at = next;
      continue;
    }
    if (type != '0' && type != '\0' && type != '7' && !directory) {
      const char* what = type == '1' ? "a hard link" : type == '2' ? "a symbolic link" : "a special file";
      fail("archive part '{}' has a member '{}' that is {}; parts hold only regular files, refusing the part", name,
           rawPath, what);
    }
    members.push_back(TarMember{checkedMemberPath(rawPath, name), dataOffset, directory ? 0 : size, directory});
    at = next;
  }
  return members;
}

}  // namespace ferry
