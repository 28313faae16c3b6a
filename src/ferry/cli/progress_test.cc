#include "ferry/cli/progress.h"

#include <gtest/gtest.h>

namespace ferry {
namespace {

TEST(Progress, SaysItIsReadingImagesWhilePlanning) {
  CopyProgress progress;
  progress.planning = true;
  progress.imagesTotal = 12;
  progress.imagesPlanned = 5;
  progress.blobsTotal = 40;
  ProgressDisplay display(progress, /*quiet=*/true);
  auto line = display.statusLine(false);
  EXPECT_TRUE(line.starts_with("reading images 5/12")) << line;
}

TEST(Progress, CountsReusedBytesAsDoneAndTheLastLineSaysDone) {
  CopyProgress progress;
  progress.imagesTotal = 2;
  progress.imagesDone = 2;
  progress.blobsTotal = 4;
  progress.blobsDone = 4;
  progress.bytesTotal = 3 << 20;
  progress.bytesDone = 2 << 20;
  progress.bytesReused = 1 << 20;
  ProgressDisplay display(progress, /*quiet=*/true);
  auto running = display.statusLine(false);
  EXPECT_NE(running.find("3.0 MiB / 3.0 MiB"), std::string::npos) << running;
  auto last = display.statusLine(true);
  EXPECT_TRUE(last.starts_with("done: images 2/2  blobs 4/4  2.0 MiB sent, 1.0 MiB reused")) << last;
  EXPECT_EQ(last.find(" / "), std::string::npos) << last;
}

}  // namespace
}  // namespace ferry
