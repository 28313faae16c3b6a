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
    std::unique_lock lock(mutex_);
    while (!stop_) {
      draw(false);
      wake_.wait_for(lock, std::chrono::milliseconds(250));
    }
  });
}

ProgressDisplay::~ProgressDisplay() {
  if (!interactive_) return;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  draw(true);
}

void ProgressDisplay::draw(bool final) {
  std::fprintf(stderr, "\r\033[K%s%s", statusLine(final).c_str(), final ? "\n" : "");
  std::fflush(stderr);
}

std::string ProgressDisplay::statusLine(bool final) const {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  auto sent = progress_.bytesDone.load();
  auto reused = progress_.bytesReused.load();
  double rate = seconds > 0 ? static_cast<double>(sent) / seconds : 0;
  if (final)
    return fmt::format("done: images {}/{}  blobs {}/{}  {} sent, {} reused  in {:.1f} s ({}/s)",
                       progress_.imagesDone.load(), progress_.imagesTotal.load(), progress_.blobsDone.load(),
                       progress_.blobsTotal.load(), humanBytes(sent), humanBytes(reused), seconds,
                       humanBytes(static_cast<int64_t>(rate)));
  // The Copier reads every image graph before the first blob moves: until then the totals are still growing.
  if (progress_.planning)
    return fmt::format("reading images {}/{}  blobs {}  {} to copy so far", progress_.imagesPlanned.load(),
                       progress_.imagesTotal.load(), progress_.blobsTotal.load(),
                       humanBytes(progress_.bytesTotal.load()));
  auto done = sent + reused;
  auto remaining = progress_.bytesTotal.load() - done;
  std::string eta =
      rate > 0 && remaining > 0 ? fmt::format("  ETA {:.0f} s", static_cast<double>(remaining) / rate) : "";
  return fmt::format("images {}/{}  blobs {}/{}  {} / {}  {}/s{}", progress_.imagesDone.load(),
                     progress_.imagesTotal.load(), progress_.blobsDone.load(), progress_.blobsTotal.load(),
                     humanBytes(done), humanBytes(progress_.bytesTotal.load()), humanBytes(static_cast<int64_t>(rate)),
                     eta);
}

std::string ProgressDisplay::summary(const std::vector<CopyResult>& results) const {
  size_t images = results.size(), present = 0, failed = 0;
  for (const auto& result : results) {
    present += result.alreadyPresent ? 1 : 0;
    failed += result.ok ? 0 : 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  auto bytes = progress_.bytesDone.load();
  return fmt::format("{} image{} ({} already present{}), {} blobs sent, {} reused, {} in {:.1f} s ({}/s)", images,
                     images == 1 ? "" : "s", present, failed ? fmt::format(", {} failed", failed) : "",
                     progress_.blobsSent.load(), progress_.blobsReused.load(),
                     humanBytes(bytes), seconds,
                     humanBytes(seconds > 0 ? static_cast<int64_t>(static_cast<double>(bytes) / seconds) : 0));
}

}  // namespace ferry
