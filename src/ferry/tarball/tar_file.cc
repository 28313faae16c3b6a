#include "ferry/tarball/tar_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ferry/base/error.h"

namespace ferry {

TarFile::TarFile(std::filesystem::path path, std::string kind) : path_(std::move(path)), kind_(std::move(kind)) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail("cannot open {}: {}", describe(), std::strerror(errno));
  try {
    auto listed = listTarMembers(fd_, path_.string(), TarListing{.allowLinks = true});
    if (listed.size() > kMaxMembers)
      fail("{} has {} members; ferry reads image tars of at most {}", describe(), listed.size(), kMaxMembers);
    for (auto& member : listed) {
      auto key = member.path;
      members_[key] = std::move(member);  // a later member of the same name replaces an earlier one, as tar does
    }
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

TarFile::~TarFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string TarFile::describe() const { return kind_ + " '" + path_.string() + "'"; }

const TarMember* TarFile::resolve(const std::string& memberPath, int depth) const {
  auto found = members_.find(memberPath);
  if (found == members_.end()) return nullptr;
  const auto& member = found->second;
  if (member.linkTarget.empty()) return member.directory ? nullptr : &member;
  if (depth >= kMaxLinkDepth)
    fail("{}: the link '{}' is part of a chain of more than {} links", describe(), memberPath, kMaxLinkDepth);
  std::string target = member.linkTarget;
  if (!member.hardLink) {
    // A symbolic link's target is relative to its own folder; it must stay inside the tar.
    if (target.starts_with("/")) fail("{}: the link '{}' points outside the archive ('{}')", describe(), memberPath, target);
    auto folder = std::filesystem::path(memberPath).parent_path();
    auto joined = (folder / target).lexically_normal().string();
    if (joined.starts_with("..")) fail("{}: the link '{}' points outside the archive ('{}')", describe(), memberPath, target);
    target = joined;
  }
  return resolve(checkedMemberPath(target, path_.string()), depth + 1);
}

const TarMember* TarFile::find(const std::string& memberPath) const {
  return resolve(checkedMemberPath(memberPath, path_.string()), 0);
}

const TarMember& TarFile::member(const std::string& memberPath) const {
  auto found = find(memberPath);
  if (!found) fail("{} has no file '{}'; the archive is incomplete or not of this kind", describe(), memberPath);
  return *found;
}

std::string TarFile::read(const std::string& memberPath, int64_t limit) const {
  const auto& found = member(memberPath);
  if (found.size > limit)
    fail("{}: '{}' is {} bytes; ferry reads at most {} bytes for it", describe(), memberPath, found.size, limit);
  return readAt(fd_, found.offset, found.size, path_.string());
}

std::string TarFile::head(const TarMember& member, int64_t count) const {
  return readAt(fd_, member.offset, std::min(count, member.size), path_.string());
}

void TarFile::stream(const TarMember& member, BlobWriter& out) const {
  std::string buffer(1 << 20, '\0');
  int64_t done = 0;
  while (done < member.size) {
    auto want = static_cast<size_t>(std::min<int64_t>(member.size - done, static_cast<int64_t>(buffer.size())));
    ssize_t got = ::pread(fd_, buffer.data(), want, member.offset + done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("cannot read {}: {}", describe(), std::strerror(errno));
    if (got == 0) fail("{} is truncated inside '{}'", describe(), member.path);
    if (!out.write(buffer.data(), static_cast<size_t>(got))) return;
    done += got;
  }
}

}  // namespace ferry
