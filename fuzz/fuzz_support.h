// What the fuzz targets share. A target feeds its input to one parser and
// accepts only a ferry::Error as a refusal: any other exception escaping, a
// crash, a sanitizer report, a hang or an allocation past -rss_limit_mb is a
// finding (docs/fuzzing.md).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ferry/base/error.h"

namespace ferry::fuzz {

inline std::string_view text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `parse`; a ferry::Error is the parser refusing the input, which is fine.
template <typename Parse>
void refusalsAllowed(Parse&& parse) {
  try {
    parse();
  } catch (const ferry::Error&) {
  }
}

// A property of accepted input that does not hold: a finding.
[[noreturn]] inline void broken(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
  std::abort();
}

// The input as an anonymous in-memory file, for readers that take a file
// descriptor or a path (/proc/self/fd/N). Closed when it goes out of scope.
class MemoryFile {
 public:
  MemoryFile(const uint8_t* data, size_t size) {
    fd_ = ::memfd_create("fuzz-input", MFD_CLOEXEC);
    if (fd_ < 0) broken("memfd_create failed");
    for (size_t written = 0; written < size;) {
      auto n = ::write(fd_, data + written, size - written);
      if (n <= 0) broken("writing the memfd failed");
      written += static_cast<size_t>(n);
    }
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  int fd() const { return fd_; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_ = -1;
};

}  // namespace ferry::fuzz
