// An archive part written into S3 through S3PartOutput: bytes written at any
// offset by many threads become one object once finished, with memory bounded
// by chunks in flight, and nothing when never finished.
#include "ferry/archive/s3_part_output.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "ferry/base/error.h"
#include "support/s3_server.h"

namespace ferry {
namespace {

using testing::S3Server;

std::shared_ptr<S3Client> clientFor(const S3Server& server) {
  S3Settings settings;
  settings.endpoint = server.url();
  settings.accessKeyId = S3Server::kAccessKey;
  settings.secretAccessKey = S3Server::kSecretKey;
  settings.retry.times = 0;
  return std::make_shared<S3Client>(settings, "parts");
}

constexpr int64_t kChunk = kMinS3ChunkSize;

TEST(S3PartOutput, RoomsFilledByManyThreadsOutOfOrderBecomeOneObjectWithFewChunksHeld) {
  S3Server server;
  server.createBucket("parts");
  auto s3 = clientFor(server);
  // Eight "rooms" of 3.5 chunks each, filled by eight threads in 64 KiB pieces, while
  // the head (offset 0..4096) is written last, as tar headers of a part are not.
  const int64_t room = kChunk * 7 / 2;
  const int rooms = 8;
  const int64_t total = 4096 + room * rooms + 100;
  std::string expected(static_cast<size_t>(total), '\0');
  std::mt19937 random(7);
  for (auto& c : expected) c = static_cast<char>(random());
  {
    S3PartOutput output(s3, "a/mirror_000001.tar", kChunk);
    std::vector<std::thread> writers;
    for (int r = 0; r < rooms; ++r)
      writers.emplace_back([&, r] {
        int64_t start = 4096 + r * room;
        for (int64_t at = 0; at < room; at += 64 << 10) {
          auto size = std::min<int64_t>(64 << 10, room - at);
          output.writeAt(start + at, expected.data() + start + at, static_cast<size_t>(size));
        }
      });
    for (auto& writer : writers) writer.join();
    output.writeAt(4096 + room * rooms, expected.data() + 4096 + room * rooms, 100);
    EXPECT_TRUE(server.objectKeys("parts").empty());
    output.writeAt(0, expected.data(), 4096);
    output.finish(total);
    // Each room holds at most its current chunk and the one it shares with the room before.
    EXPECT_LE(output.mostChunksHeld(), static_cast<size_t>(2 * rooms + 1));
    EXPECT_EQ(output.chunksHeld(), 0u);
  }
  EXPECT_EQ(server.objectKeys("parts"), std::vector<std::string>{"a/mirror_000001.tar"});
  EXPECT_TRUE(server.object("parts", "a/mirror_000001.tar") == expected);
  EXPECT_EQ(server.completedUploads(), 1);
  EXPECT_EQ(server.abortedUploads(), 0);
}

TEST(S3PartOutput, APartNeverFinishedIsAbortedAndLeavesNoObject) {
  S3Server server;
  server.createBucket("parts");
  {
    S3PartOutput output(clientFor(server), "a/cut.tar", kChunk);
    std::string bytes(static_cast<size_t>(kChunk * 2), 'z');
    output.writeAt(0, bytes.data(), bytes.size());
    EXPECT_EQ(server.uploadedParts(), 2);
  }
  EXPECT_TRUE(server.objectKeys("parts").empty());
  EXPECT_EQ(server.pendingUploads(), 0u);
  EXPECT_EQ(server.abortedUploads(), 1);
}

TEST(S3PartOutput, BytesOfAnUploadedChunkCannotBeWrittenOrCutAgainButHeldOnesCan) {
  S3Server server;
  server.createBucket("parts");
  S3PartOutput output(clientFor(server), "a/p.tar", kChunk);
  std::string bytes(static_cast<size_t>(kChunk + 10), 'q');
  output.writeAt(0, bytes.data(), bytes.size());  // chunk 0 goes up, chunk 1 is held
  EXPECT_EQ(output.readAt(kChunk + 2, 3), "qqq");
  EXPECT_THROW(output.readAt(5, 3), Error);
  EXPECT_THROW(output.writeAt(5, "x", 1), Error);
  EXPECT_THROW(output.truncate(10), Error);
  output.truncate(kChunk + 4);  // within the held chunk: fine
  output.writeAt(kChunk + 4, "end", 3);
  output.finish(kChunk + 7);
  EXPECT_EQ(server.object("parts", "a/p.tar"), std::string(static_cast<size_t>(kChunk + 4), 'q') + "end");
  EXPECT_THROW(S3PartOutput(clientFor(server), "a/small.tar", 1 << 20), Error);
}

}  // namespace
}  // namespace ferry
