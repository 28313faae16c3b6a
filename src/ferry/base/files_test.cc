#include "ferry/base/files.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "ferry/base/error.h"

namespace ferry {

TEST(Files, AtomicWriteReplacesAndLeavesNoTemporaries) {
  TemporaryDirectory dir;
  auto file = dir.path() / "index.json";
  writeFileAtomically(file, "first");
  writeFileAtomically(file, "second");
  EXPECT_EQ(readFile(file), "second");
  int entries = 0;
  for ([[maybe_unused]] auto& entry : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(Files, ReadMissingFileNamesIt) {
  try {
    readFile("/nonexistent/ferry-file");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ferry-file"), std::string::npos);
  }
}

TEST(Files, FileLockSerialisesReadModifyWrite) {
  TemporaryDirectory dir;
  auto file = dir.path() / "counter";
  writeFileAtomically(file, "0");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        FileLock lock(dir.path() / "counter.lock");
        int value = std::stoi(readFile(file));
        writeFileAtomically(file, std::to_string(value + 1));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(readFile(file), "200");
}

}  // namespace ferry
