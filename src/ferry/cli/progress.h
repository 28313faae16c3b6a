// Shows a running copy: a redrawn status line on a terminal, nothing extra
// (only the per-image lines the caller prints) elsewhere, nothing with -q.
//
// While the Copier plans (reads every image graph) the line counts images read;
// then it shows the known totals ("images 3/12  blobs 40/96  1.2 GiB / 3.4 GiB",
// reused blobs counted as done) with an ETA; the last line starts with "done:"
// and gives the final numbers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "ferry/copy/copier.h"

namespace ferry {

class ProgressDisplay {
 public:
  // Draws to stderr every quarter second while alive, when stderr is a terminal and not quiet.
  ProgressDisplay(const CopyProgress& progress, bool quiet);
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // "12 images (3 already present, 1 failed), 40 blobs sent, 8 reused, 1.0 GiB in 4.2 s (250 MiB/s)"
  std::string summary(const std::vector<CopyResult>& results) const;
  bool interactive() const { return interactive_; }
  // The status line as drawn now; `final` gives the closing "done: ..." line.
  std::string statusLine(bool final) const;

 private:
  void draw(bool final);

  const CopyProgress& progress_;
  bool interactive_ = false;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ferry
