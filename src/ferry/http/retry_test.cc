#include "ferry/http/retry.h"

#include <gtest/gtest.h>

#include <atomic>

#include "ferry/base/error.h"
#include "support/http_server.h"

namespace ferry {

TEST(Retry, BackoffDoublesIsCappedAndJittersInItsUpperHalf) {
  RetryPolicy policy{.times = 5, .delay = std::chrono::milliseconds(100), .maxDelay = std::chrono::milliseconds(1000)};
  EXPECT_EQ(policy.backoff(1, 0.0).count(), 50);
  EXPECT_EQ(policy.backoff(1, 0.999).count(), 99);
  EXPECT_EQ(policy.backoff(2, 0.0).count(), 100);
  EXPECT_EQ(policy.backoff(3, 1.0).count(), 400);
  EXPECT_EQ(policy.backoff(10, 0.0).count(), 500);  // capped at 1000, then halved at worst
  EXPECT_EQ(policy.backoff(10, 1.0).count(), 1000);
}

TEST(Retry, RetryableStatuses) {
  for (long status : {500, 502, 503, 504, 429, 408}) EXPECT_TRUE(isRetryableStatus(status)) << status;
  for (long status : {200, 201, 202, 206, 307, 400, 401, 403, 404, 405, 409, 416}) EXPECT_FALSE(isRetryableStatus(status)) << status;
}

TEST(Retry, RetryAfterInSecondsOrAsAnHttpDate) {
  auto now = std::chrono::system_clock::from_time_t(1700000000);  // Tue, 14 Nov 2023 22:13:20 GMT
  EXPECT_EQ(parseRetryAfter("3", now), std::chrono::milliseconds(3000));
  EXPECT_EQ(parseRetryAfter(" 0 ", now), std::chrono::milliseconds(0));
  EXPECT_EQ(parseRetryAfter("Tue, 14 Nov 2023 22:13:30 GMT", now), std::chrono::milliseconds(10000));
  EXPECT_EQ(parseRetryAfter("Tuesday, 14-Nov-23 22:13:25 GMT", now), std::chrono::milliseconds(5000));
  EXPECT_EQ(parseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT", now), std::chrono::milliseconds(0));  // in the past
  EXPECT_EQ(parseRetryAfter("", now), std::nullopt);
  EXPECT_EQ(parseRetryAfter("soon", now), std::nullopt);
  EXPECT_GT(parseRetryAfter("99999999999999999999999", now).value(), std::chrono::hours(24));
}

}  // namespace ferry
