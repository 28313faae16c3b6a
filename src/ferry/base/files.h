// Small file-system helpers with the guarantees ferry relies on: whole-file
// writes are atomic (a reader sees the old file or the new one, never half),
// and temporary names never collide between threads or processes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace ferry {

// Reads a whole file; throws Error naming the file when it cannot.
std::string readFile(const std::filesystem::path& path);

// Writes `bytes` to a temporary file beside `path`, syncs nothing, and renames it
// over `path`, so the file is replaced in one step.
void writeFileAtomically(const std::filesystem::path& path, std::string_view bytes);

// A name for a temporary file in `directory` that no other thread or process picks.
std::filesystem::path uniqueTemporaryPath(const std::filesystem::path& directory, std::string_view stem);

// An exclusive advisory lock (flock) on a lock file, held for the object's lifetime.
// Serialises read-modify-write cycles between processes as well as threads.
// `lockFile` may be a directory, which is locked without creating anything in it.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& lockFile);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// A directory removed with everything in it when the object goes away.
class TemporaryDirectory {
 public:
  explicit TemporaryDirectory(std::string_view stem = "ferry");
  ~TemporaryDirectory();
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ferry
