#include "ferry/cli/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "ferry/cli/inspect.h"

namespace ferry {

ProgressDisplay::ProgressDisplay(const CopyProgress& progress, bool quiet)
    : progress_(progress), interactive_(!quiet && ::isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {
  if (!interactive_) return;
  thread_ = std::thread([this] {
    while (!stop_) {
      draw(false);
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  });
}

ProgressDisplay::~ProgressDisplay() {
  if (!interactive_) return;
  stop_ = true;
  thread_.join();
  draw(true);
}

void ProgressDisplay::draw(bool final) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  auto bytes = progress_.bytesDone.load();
  double rate = seconds > 0 ? static_cast<double>(bytes) / seconds : 0;
  std::string line = fmt::format("images {}/{}  blobs {}/{}  {} / {}  {}/s", progress_.imagesDone.load(),
                                 progress_.imagesTotal.load(), progress_.blobsDone.load(), progress_.blobsTotal.load(),
                                 humanBytes(bytes), humanBytes(progress_.bytesTotal.load()),
                                 humanBytes(static_cast<int64_t>(rate)));
  std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  std::fflush(stderr);
}

std::string ProgressDisplay::summary(size_t images, size_t alreadyPresent) const {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  auto bytes = progress_.bytesDone.load();
  return fmt::format("{} image{} ({} already present), {} blobs sent, {} reused, {} in {:.1f} s ({}/s)", images,
                     images == 1 ? "" : "s", alreadyPresent, progress_.blobsSent.load(), progress_.blobsReused.load(),
                     humanBytes(bytes), seconds,
                     humanBytes(seconds > 0 ? static_cast<int64_t>(static_cast<double>(bytes) / seconds) : 0));
}

}  // namespace ferry
