#include "ferry/base/error.h"

#include <gtest/gtest.h>

namespace ferry {
namespace {

TEST(Error, FailWithoutAKindKeepsTheMessageAndMeansOther) {
  try {
    fail("cannot read '{}': {}", "a.yaml", "no such file");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot read 'a.yaml': no such file");
    EXPECT_EQ(e.kind(), ErrorKind::Other);
  }
}

TEST(Error, FailWithAKindCarriesIt) {
  try {
    fail(ErrorKind::NotFound, "manifest {} not found", "sha256:ab");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "manifest sha256:ab not found");
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  EXPECT_EQ(Error(ErrorKind::Timeout, "slow").kind(), ErrorKind::Timeout);
  EXPECT_EQ(errorKindName(ErrorKind::Unauthorized), "unauthorized");
  EXPECT_EQ(errorKindName(ErrorKind::InvalidInput), "invalid input");
}

}  // namespace
}  // namespace ferry
