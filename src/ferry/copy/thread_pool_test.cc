#include "ferry/copy/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>

namespace ferry {

TEST(ThreadPool, RunsEveryTaskBeforeItIsDestroyed) {
  std::atomic<int> count{0};
  {
    ThreadPool pool(3);
    for (int i = 0; i < 100; ++i) pool.submit([&] { ++count; });
  }
  EXPECT_EQ(count, 100);
}

TEST(Completion, WaitAndThenSeeTheError) {
  Completion completion;
  std::string seen = "unset";
  completion.then([&](const std::string& error) { seen = error; });
  EXPECT_EQ(seen, "unset");
  std::thread finisher([&] { completion.complete("boom"); });
  EXPECT_EQ(completion.wait(), "boom");
  finisher.join();
  EXPECT_EQ(seen, "boom");
  std::string late;
  completion.then([&](const std::string& error) { late = error; });  // already complete: runs at once
  EXPECT_EQ(late, "boom");
}

}  // namespace ferry
