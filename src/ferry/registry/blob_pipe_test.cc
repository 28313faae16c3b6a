#include "ferry/registry/blob_pipe.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace ferry {
namespace {

std::string readAll(BlobPipe& pipe, int64_t& result) {
  std::string bytes;
  char buffer[7];
  while ((result = pipe.read(buffer, sizeof buffer)) > 0) bytes.append(buffer, static_cast<size_t>(result));
  return bytes;
}

TEST(BlobPipe, CarriesEveryByteThroughASmallRingAndHoldsTheLastOneUntilFinish) {
  std::string blob(10000, '\0');
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>(i * 31);
  BlobPipe pipe(static_cast<int64_t>(blob.size()), 64);
  std::atomic<bool> finished{false};
  std::thread producer([&] {
    for (size_t at = 0; at < blob.size(); at += 1000) ASSERT_TRUE(pipe.write(blob.data() + at, 1000));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    finished = true;
    pipe.finish();
  });
  std::string received;
  char buffer[100];
  while (static_cast<int64_t>(received.size()) < static_cast<int64_t>(blob.size()) - 1) {
    auto got = pipe.read(buffer, sizeof buffer);
    ASSERT_GT(got, 0);
    received.append(buffer, static_cast<size_t>(got));
  }
  EXPECT_FALSE(finished);  // the last byte waits for the producer's verdict
  auto got = pipe.read(buffer, sizeof buffer);
  EXPECT_TRUE(finished);
  ASSERT_EQ(got, 1);
  received.append(buffer, 1);
  EXPECT_EQ(pipe.read(buffer, sizeof buffer), 0);
  producer.join();
  EXPECT_EQ(received, blob);
  EXPECT_EQ(pipe.endedBy(), BlobPipe::End::Finished);
}

TEST(BlobPipe, AFailedProducerAbortsTheReaderBeforeTheLastByte) {
  BlobPipe pipe(10, 64);
  ASSERT_TRUE(pipe.write("0123456789", 10));
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pipe.fail();
  });
  int64_t result = 0;
  EXPECT_EQ(readAll(pipe, result), "012345678");
  EXPECT_EQ(result, -1);
  producer.join();
  EXPECT_EQ(pipe.endedBy(), BlobPipe::End::ProducerFailed);
}

TEST(BlobPipe, AClosedReaderStopsTheProducer) {
  BlobPipe pipe(1000, 16);
  std::thread reader([&] {
    char buffer[8];
    EXPECT_EQ(pipe.read(buffer, sizeof buffer), 8);
    pipe.close();
  });
  std::string bytes(1000, 'x');
  EXPECT_FALSE(pipe.write(bytes.data(), bytes.size()));  // blocks on the full ring until the reader closes
  reader.join();
  EXPECT_EQ(pipe.endedBy(), BlobPipe::End::ReaderClosed);
}

TEST(BlobPipe, ARestartBeforeTheReaderTookAnythingStartsAfreshAfterItEndsTheTransfer) {
  BlobPipe fresh(4, 16);
  ASSERT_TRUE(fresh.write("ab", 2));
  fresh.restart();
  ASSERT_TRUE(fresh.write("wxyz", 4));
  fresh.finish();
  int64_t result = 0;
  EXPECT_EQ(readAll(fresh, result), "wxyz");

  BlobPipe taken(4, 16);
  ASSERT_TRUE(taken.write("ab", 2));
  char buffer[2];
  ASSERT_EQ(taken.read(buffer, 2), 2);
  taken.restart();
  EXPECT_EQ(taken.endedBy(), BlobPipe::End::Restarted);
  EXPECT_FALSE(taken.write("wxyz", 4));
  EXPECT_EQ(taken.read(buffer, 2), -1);
}

}  // namespace
}  // namespace ferry
