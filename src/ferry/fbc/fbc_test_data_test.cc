// Prints, once per run of the unit tests, whether the real-catalog tests run.
#include <gtest/gtest.h>

#include <cstdio>

#include "ferry/fbc/fbc_test_data.h"

namespace ferry::catalog {
namespace {

class FbcDataReport : public ::testing::Environment {
 public:
  void SetUp() override { std::printf("[ FBC data ] %s\n", fbcDataStatus().c_str()); }
};

[[maybe_unused]] ::testing::Environment* const kReport = ::testing::AddGlobalTestEnvironment(new FbcDataReport);

TEST(FbcTestData, TheDefaultIsTheSharedFolderBesideTheSourceTree) {
  const char* configured = std::getenv("FERRY_FBC_DATA");
  if (configured != nullptr && *configured != '\0') {
    EXPECT_EQ(fbcDataDirectory(), std::filesystem::path(configured));
  } else {
    EXPECT_EQ(fbcDataDirectory(),
              (std::filesystem::path(FERRY_SOURCE_DIR).parent_path() / "shared" / "fbc-data").lexically_normal());
  }
  EXPECT_NE(fbcDataStatus().find(fbcDataDirectory().string()), std::string::npos);
}

}  // namespace
}  // namespace ferry::catalog
