#include "ferry/mirror/history.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry::mirror {
namespace {

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

TEST(History, SinceCountsOnlyTheRunsBeforeThatDay) {
  TemporaryDirectory dir;
  History::record(dir.path(), "20261120T100000Z", {{kDigestA, {10, "mirror_000001.tar"}}}, {});
  History::record(dir.path(), "20261129T080000Z", {{kDigestB, {20, "mirror_000002.tar"}}}, {});
  EXPECT_EQ(History::load(dir.path()).shipped().size(), 2u);
  auto since = History::load(dir.path(), "2026-11-29");
  EXPECT_EQ(since.runs(), 1u);
  EXPECT_TRUE(since.shipped().contains(kDigestA));
  EXPECT_FALSE(since.shipped().contains(kDigestB)) << "shipped on the day itself: carried again";
  EXPECT_EQ(History::load(dir.path(), "2026-11-01").runs(), 0u);
  EXPECT_THROW(History::load(dir.path(), "29/11/2026"), Error);
  EXPECT_THROW(History::checkSince("2026-13-01"), Error);
  EXPECT_NO_THROW(History::checkSince("2026-02-28"));
}

}  // namespace
}  // namespace ferry::mirror
