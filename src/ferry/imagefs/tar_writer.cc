#include "ferry/imagefs/tar_writer.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "ferry/imagefs/tar_header.h"
#include "ferry/base/error.h"

namespace ferry {
namespace {

void putText(char* block, tar::Field field, std::string_view text) {
  std::memcpy(block + field.offset, text.data(), std::min(text.size(), field.length));
}

// length-1 octal digits and a NUL, as ustar numeric fields are written.
void putOctal(char* block, tar::Field field, int64_t value) {
  auto digits = fmt::format("{:0{}o}", value, field.length - 1);
  std::memcpy(block + field.offset, digits.data(), field.length - 1);
  block[field.offset + field.length - 1] = '\0';
}

// GNU's base-256 form for numbers too large for octal: high bit set, big-endian.
void putBase256(char* block, tar::Field field, int64_t value) {
  for (size_t i = field.length; i-- > 0; value >>= 8) block[field.offset + i] = static_cast<char>(value & 0xff);
  block[field.offset] = static_cast<char>(static_cast<unsigned char>(block[field.offset]) | 0x80);
}

// One PAX record, "<length> <key>=<value>\n", where length counts the whole record.
std::string paxRecord(std::string_view key, std::string_view value) {
  size_t body = 1 + key.size() + 1 + value.size() + 1;
  size_t length = body + 1;
  while (std::to_string(length).size() + body != length) length = std::to_string(length).size() + body;
  return fmt::format("{} {}={}\n", length, key, value);
}

std::string paxRecords(std::string_view name, int64_t size) {
  std::string records;
  if (name.size() > tar::kName.length) records += paxRecord("path", name);
  if (size > tar::kLargestOctalSize) records += paxRecord("size", std::to_string(size));
  return records;
}

std::string headerBlock(std::string_view name, int64_t size, char type, int mode, const TarStyle& style) {
  std::string block(tar::kBlock, '\0');
  char* data = block.data();
  putText(data, tar::kName, name.substr(0, tar::kName.length));
  putOctal(data, tar::kMode, mode);
  putOctal(data, tar::kUid, 0);
  putOctal(data, tar::kGid, 0);
  if (size > tar::kLargestOctalSize)
    putBase256(data, tar::kSize, size);
  else
    putOctal(data, tar::kSize, size);
  putOctal(data, tar::kMtime, style.modificationTime);
  data[tar::kTypeFlag] = type;
  putText(data, tar::kMagic, std::string_view("ustar\0", 6));
  putText(data, tar::kVersion, "00");
  putText(data, tar::kUname, style.ownerName);
  putText(data, tar::kGname, style.ownerName);
  auto checksum = fmt::format("{:06o}", tar::headerChecksum(reinterpret_cast<const unsigned char*>(data)));
  std::memcpy(data + tar::kChecksum.offset, checksum.data(), 6);
  data[tar::kChecksum.offset + 6] = '\0';
  data[tar::kChecksum.offset + 7] = ' ';
  return block;
}

}  // namespace

TarWriter::TarWriter(std::filesystem::path path, int64_t modificationTime)
    : path_(std::move(path)),
      style_{.modificationTime = modificationTime, .ownerName = "root"},
      description_(fmt::format("archive part '{}'", path_.string())) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot create {}: {}", description_, std::strerror(errno));
}

TarWriter::TarWriter(std::unique_ptr<TarFileOutput> output, int64_t modificationTime)
    : style_{.modificationTime = modificationTime, .ownerName = "root"},
      description_(output->describe()),
      remote_(std::move(output)) {}

TarWriter::TarWriter(Output output, TarStyle style, std::string description)
    : output_(std::move(output)), style_(std::move(style)), description_(std::move(description)) {}

TarWriter::~TarWriter() {
  if (fd_ >= 0) ::close(fd_);
}

int64_t TarWriter::memberBytes(std::string_view name, int64_t size) {
  auto records = paxRecords(name, size);
  int64_t bytes = int64_t(tar::kBlock) + tar::paddedSize(size);
  if (!records.empty()) bytes += int64_t(tar::kBlock) + tar::paddedSize(static_cast<int64_t>(records.size()));
  return bytes;
}

void TarWriter::writeAll(const char* data, size_t size) {
  if (output_) {
    output_(data, size);
    offset_ += static_cast<int64_t>(size);
    return;
  }
  if (remote_) {
    remote_->writeAt(offset_, data, size);
    offset_ += static_cast<int64_t>(size);
    return;
  }
  while (size > 0) {
    ssize_t written = ::write(fd_, data, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) fail("cannot write {}: {}", description_, std::strerror(errno));
    data += written;
    size -= static_cast<size_t>(written);
    offset_ += written;
  }
}

void TarWriter::pad() {
  static const char zeros[tar::kBlock] = {};
  auto padding = tar::paddedSize(offset_) - offset_;
  writeAll(zeros, static_cast<size_t>(padding));
}

std::string TarWriter::headers(std::string_view name, int64_t size, char type, int mode) const {
  std::string bytes;
  auto records = paxRecords(name, size);
  if (!records.empty()) {
    auto base = name.substr(name.rfind('/') + 1);
    std::string paxName = "PaxHeaders/" + std::string(base.substr(0, 80));
    bytes += headerBlock(paxName, static_cast<int64_t>(records.size()), 'x', 0644, style_);
    bytes += records;
    bytes.resize(static_cast<size_t>(tar::paddedSize(static_cast<int64_t>(bytes.size()))), '\0');
  }
  bytes += headerBlock(name, size, type, mode, style_);
  return bytes;
}

void TarWriter::writeHeaders(std::string_view name, int64_t size, char type, int mode) {
  auto bytes = headers(name, size, type, mode);
  writeAll(bytes.data(), bytes.size());
}

TarWriter::Reserved TarWriter::reserve(std::string_view name, int64_t size) {
  if (output_) fail("cannot reserve room in {}: it is a stream", description_);
  Reserved reserved{.start = offset_, .size = size};
  writeHeaders(name, size, '0', 0644);
  reserved.dataOffset = offset_;
  // The data and its padding are left as a hole (zeros) that writeAt fills.
  offset_ = reserved.dataOffset + tar::paddedSize(size);
  if (remote_) return reserved;
  if (::lseek(fd_, offset_, SEEK_SET) != offset_) fail("cannot write {}: {}", description_, std::strerror(errno));
  return reserved;
}

void TarWriter::writeAt(const Reserved& member, int64_t at, const char* data, size_t size) const {
  if (at < 0 || at + static_cast<int64_t>(size) > member.size)
    fail("cannot write {}: {} bytes at {} do not fit the member's {}", description_, size, at, member.size);
  int64_t position = member.dataOffset + at;
  if (remote_) {
    remote_->writeAt(position, data, size);
    return;
  }
  while (size > 0) {
    ssize_t written = ::pwrite(fd_, data, size, position);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) fail("cannot write {}: {}", description_, std::strerror(errno));
    data += written;
    size -= static_cast<size_t>(written);
    position += written;
  }
}

void TarWriter::startWriteback(const Reserved& member) const {
  // Only a hint to the kernel: an error here surfaces, if it is real, in close()'s fsync.
  if (remote_) return;
  ::sync_file_range(fd_, member.dataOffset, member.size, SYNC_FILE_RANGE_WRITE);
}

bool TarWriter::abandon(const Reserved& member, std::string_view replacementName) {
  int64_t end = member.dataOffset + tar::paddedSize(member.size);
  if (end == offset_ && remote_) {
    remote_->truncate(member.start);
    offset_ = member.start;
    return true;
  }
  if (end == offset_) {
    if (::ftruncate(fd_, member.start) != 0 || ::lseek(fd_, member.start, SEEK_SET) != member.start)
      fail("cannot cut a member out of {}: {}", description_, std::strerror(errno));
    offset_ = member.start;
    return true;
  }
  auto renamed = headers(replacementName, member.size, '0', 0644);
  if (member.start + static_cast<int64_t>(renamed.size()) != member.dataOffset)
    fail("cannot give up a member of {}: its replacement's headers take another size", description_);
  if (remote_) {
    remote_->writeAt(member.start, renamed.data(), renamed.size());
    std::vector<char> zeros(static_cast<size_t>(std::min<int64_t>(member.size, 1 << 20)), '\0');
    for (int64_t at = 0; at < member.size; at += static_cast<int64_t>(zeros.size()))
      writeAt(member, at, zeros.data(), static_cast<size_t>(std::min<int64_t>(member.size - at, static_cast<int64_t>(zeros.size()))));
    return false;
  }
  for (int64_t done = 0; done < static_cast<int64_t>(renamed.size());) {
    ssize_t written = ::pwrite(fd_, renamed.data() + done, renamed.size() - static_cast<size_t>(done), member.start + done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) fail("cannot write {}: {}", description_, std::strerror(errno));
    done += written;
  }
  // Zero what was written of the data (and give the disk space back).
  if (member.size > 0 &&
      ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, member.dataOffset, member.size) != 0) {
    std::vector<char> zeros(static_cast<size_t>(std::min<int64_t>(member.size, 1 << 20)), '\0');
    for (int64_t at = 0; at < member.size; at += static_cast<int64_t>(zeros.size()))
      writeAt(member, at, zeros.data(), static_cast<size_t>(std::min<int64_t>(member.size - at, static_cast<int64_t>(zeros.size()))));
  }
  return false;
}

void TarWriter::addDirectory(std::string_view name) {
  std::string withSlash(name);
  if (!withSlash.ends_with('/')) withSlash += '/';
  writeHeaders(withSlash, 0, '5', 0755);
}

int64_t TarWriter::add(std::string_view name, std::string_view bytes) {
  writeHeaders(name, static_cast<int64_t>(bytes.size()), '0', 0644);
  int64_t dataOffset = offset_;
  writeAll(bytes.data(), bytes.size());
  pad();
  return dataOffset;
}

int64_t TarWriter::addFile(std::string_view name, const std::filesystem::path& file, int64_t size, Hasher* hasher) {
  int in = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) fail("cannot read '{}' to add it to {}: {}", file.string(), description_, std::strerror(errno));
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } closeIn{in};
  struct stat status {};
  if (::fstat(in, &status) != 0 || status.st_size != size)
    fail("cannot add '{}' to {}: it has {} bytes, {} were expected", file.string(), description_,
         static_cast<int64_t>(status.st_size), size);
  ::posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);

  writeHeaders(name, size, '0', 0644);
  int64_t dataOffset = offset_;
  int64_t left = size;
  // In-kernel copy into a tar file when nobody needs to see the bytes; plain reads and
  // writes otherwise (and when the file systems do not support it).
  if (!hasher && !output_ && !remote_) {
    while (left > 0) {
      loff_t target = offset_;
      ssize_t copied = ::copy_file_range(in, nullptr, fd_, &target, static_cast<size_t>(std::min<int64_t>(left, 1 << 30)), 0);
      if (copied < 0 && errno == EINTR) continue;
      if (copied <= 0) break;
      offset_ += copied;
      left -= copied;
    }
    // copy_file_range writes at `target` without moving the file offset.
    if (::lseek(fd_, offset_, SEEK_SET) != offset_)
      fail("cannot write {}: {}", description_, std::strerror(errno));
  }
  std::vector<char> buffer(left > 0 ? 1 << 20 : 0);
  while (left > 0) {
    ssize_t got = ::read(in, buffer.data(), static_cast<size_t>(std::min<int64_t>(left, int64_t(buffer.size()))));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("cannot read '{}': {}", file.string(), std::strerror(errno));
    if (got == 0) fail("'{}' became shorter while it was added to {}", file.string(), description_);
    if (hasher) hasher->update(buffer.data(), static_cast<size_t>(got));
    writeAll(buffer.data(), static_cast<size_t>(got));
    left -= got;
  }
  pad();
  return dataOffset;
}

std::string TarWriter::readBack(int64_t offset, int64_t size) const {
  if (remote_) return remote_->readAt(offset, size);
  if (fd_ < 0) fail("cannot read back from {}: it is not a tar file", description_);
  std::string bytes(static_cast<size_t>(size), '\0');
  int64_t done = 0;
  while (done < size) {
    ssize_t got = ::pread(fd_, bytes.data() + done, static_cast<size_t>(size - done), offset + done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) fail("cannot read back from {}: {}", description_, got < 0 ? std::strerror(errno) : "unexpected end of file");
    done += got;
  }
  return bytes;
}

void TarWriter::close() {
  static const char zeros[2 * tar::kBlock] = {};
  writeAll(zeros, sizeof zeros);
  if (output_) return;
  if (remote_) {
    remote_->finish(offset_);
    return;
  }
  if (::fsync(fd_) != 0) fail("cannot flush {} to disk: {}", description_, std::strerror(errno));
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("cannot close {}: {}", description_, std::strerror(errno));
}

}  // namespace ferry
