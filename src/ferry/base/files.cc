#include "ferry/base/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "ferry/base/error.h"

namespace ferry {

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read '{}': {}", path.string(), std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::filesystem::path uniqueTemporaryPath(const std::filesystem::path& directory, std::string_view stem) {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 random{std::random_device{}()};
  return directory / fmt::format(".{}.{}.{}.{:x}.tmp", stem, ::getpid(), counter++, random() & 0xffffff);
}

void writeFileAtomically(const std::filesystem::path& path, std::string_view bytes) {
  auto directory = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  auto temporary = uniqueTemporaryPath(directory, path.filename().string());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) fail("cannot write '{}': {}", temporary.string(), std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      fail("cannot write '{}': {}", temporary.string(), std::strerror(errno));
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    fail("cannot replace '{}': {}", path.string(), error.message());
  }
}

FileLock::FileLock(const std::filesystem::path& lockFile) {
  // A directory can be locked too (opened read-only), which needs no extra file in it.
  fd_ = std::filesystem::is_directory(lockFile) ? ::open(lockFile.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                                                : ::open(lockFile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open lock file '{}': {}", lockFile.string(), std::strerror(errno));
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) {
      ::close(fd_);
      fail("cannot lock '{}': {}", lockFile.string(), std::strerror(errno));
    }
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

TemporaryDirectory::TemporaryDirectory(std::string_view stem) {
  auto pattern = (std::filesystem::temp_directory_path() / (std::string(stem) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) fail("cannot create a temporary directory: {}", std::strerror(errno));
  path_ = pattern;
}

TemporaryDirectory::~TemporaryDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace ferry
