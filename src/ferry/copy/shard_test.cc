#include "ferry/copy/shard.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <random>

#include "ferry/base/error.h"

namespace ferry {
namespace {

TEST(ShardSpec, ParsesIndexOfCountAndRefusesWhatIsOutOfRange) {
  auto spec = parseShardSpec("2/3");
  EXPECT_EQ(spec.index, 2);
  EXPECT_EQ(spec.count, 3);
  EXPECT_EQ(spec.str(), "2/3");
  for (const char* bad : {"3/3", "-1/3", "1", "1/0", "a/2", "1/2x", "0/1025", "/2"}) {
    try {
      parseShardSpec(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << bad;
      EXPECT_NE(std::string(e.what()).find("--shard"), std::string::npos) << e.what();
    }
  }
}

TEST(ShardSpec, AutoTakesTheIndexFromTheIndexedJob) {
  ::unsetenv("JOB_COMPLETION_INDEX");
  try {
    parseShardSpec("auto/4");
    ADD_FAILURE() << "auto/4 without JOB_COMPLETION_INDEX was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("JOB_COMPLETION_INDEX"), std::string::npos) << e.what();
  }
  ::setenv("JOB_COMPLETION_INDEX", "3", 1);
  EXPECT_EQ(parseShardSpec("auto/4").index, 3);
  ::setenv("JOB_COMPLETION_INDEX", "4", 1);
  EXPECT_THROW(parseShardSpec("auto/4"), Error);
  ::unsetenv("JOB_COMPLETION_INDEX");
}

std::vector<int64_t> bytesPerShard(const std::vector<ShardedBlob>& blobs, const std::map<std::string, int>& owners,
                                   int count) {
  std::vector<int64_t> bytes(count, 0);
  std::set<std::string> seen;
  for (const auto& blob : blobs)
    if (seen.insert(blob.digest).second) bytes[owners.at(blob.digest)] += blob.size;
  return bytes;
}

TEST(SplitByBytes, EveryBlobHasOneOwnerWhateverTheOrderTheWorkersSawThemIn) {
  std::vector<ShardedBlob> blobs{{"sha256:a", 50}, {"sha256:b", 50}, {"sha256:c", 10}, {"sha256:a", 50},
                                 {"sha256:d", 90}, {"sha256:e", 0}};
  auto owners = splitByBytes(blobs, 2);
  EXPECT_EQ(owners.size(), 5u);
  // Largest first, each to the lighter shard: d→0, a→1, b→1 (50 < 90), c→0, e→1 (0 bytes, the lighter one).
  EXPECT_EQ(owners["sha256:d"], 0);
  EXPECT_EQ(owners["sha256:a"], 1);
  EXPECT_EQ(owners["sha256:b"], 1);
  EXPECT_EQ(owners["sha256:c"], 0);
  std::reverse(blobs.begin(), blobs.end());
  EXPECT_EQ(splitByBytes(blobs, 2), owners);
  EXPECT_EQ(splitByBytes(blobs, 1).at("sha256:d"), 0);
}

// The plan split of issue 17: 10,000 images of a generated world (a few shared
// bases, per-repository layers, per-image layers, sizes from 1 KiB to 2 GiB),
// over 2, 4 and 16 workers: the shares differ by less than the largest blob
// (2 GiB) and by less than 2 % of a share.
TEST(SplitByBytes, ATenThousandImagePlanIsBalancedByBytes) {
  std::mt19937_64 random(17);
  auto size = [&](int64_t low, int64_t high) { return std::uniform_int_distribution<int64_t>(low, high)(random); };
  std::vector<ShardedBlob> bases;
  for (int b = 0; b < 20; ++b) bases.push_back({"sha256:base" + std::to_string(b), size(20 << 20, 800 << 20)});
  std::vector<ShardedBlob> blobs;
  for (int image = 0; image < 10000; ++image) {
    int repository = image / 10;
    blobs.push_back(bases[image % bases.size()]);
    blobs.push_back({"sha256:repo" + std::to_string(repository), size(1 << 20, 64 << 20)});
    blobs.push_back({"sha256:config" + std::to_string(image), size(1 << 10, 16 << 10)});
    for (int layer = 0; layer < 3; ++layer)
      blobs.push_back({"sha256:image" + std::to_string(image) + "-" + std::to_string(layer),
                       layer == 0 && image % 1000 == 0 ? size(1LL << 30, 2LL << 30) : size(1 << 10, 40 << 20)});
  }
  int64_t largest = 0;
  for (const auto& blob : blobs) largest = std::max(largest, blob.size);
  for (int count : {2, 4, 16}) {
    auto owners = splitByBytes(blobs, count);
    auto bytes = bytesPerShard(blobs, owners, count);
    auto [least, most] = std::minmax_element(bytes.begin(), bytes.end());
    int64_t total = 0;
    for (auto b : bytes) total += b;
    EXPECT_LE(*most - *least, largest) << count << " shards";
    double spread = static_cast<double>(*most - *least) / (static_cast<double>(total) / count);
    EXPECT_LT(spread, 0.02) << count << " shards";
    std::printf("10000 images, %zu unique blobs, %.1f GiB over %d shards: largest share %.3f GiB, smallest %.3f GiB "
                "(spread %.4f %% of the mean)\n",
                owners.size(), total / 1073741824.0, count, *most / 1073741824.0, *least / 1073741824.0,
                spread * 100);
  }
}

}  // namespace
}  // namespace ferry
