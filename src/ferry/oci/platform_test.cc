#include "ferry/oci/platform.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"

namespace ferry {

TEST(Platform, ParsesAndPrints) {
  auto platform = Platform::parse("linux/arm/v7");
  EXPECT_EQ(platform.os, "linux");
  EXPECT_EQ(platform.architecture, "arm");
  EXPECT_EQ(platform.variant, "v7");
  EXPECT_EQ(platform.str(), "linux/arm/v7");
  EXPECT_EQ(Platform::parse("linux/amd64").str(), "linux/amd64");
}

TEST(Platform, RefusesMalformed) {
  for (const char* text : {"linux", "linux/", "/amd64", "linux/arm/v7/x", ""}) EXPECT_THROW(Platform::parse(text), Error);
}

TEST(Platform, AliasesCompareEqual) {
  EXPECT_TRUE(Platform::parse("linux/arm64").sameAs(Platform::parse("linux/arm64/v8")));
  EXPECT_TRUE(Platform::parse("linux/arm").sameAs(Platform::parse("linux/arm/v7")));
  EXPECT_TRUE(Platform::parse("linux/x86_64").sameAs(Platform::parse("linux/amd64")));
  EXPECT_TRUE(Platform::parse("linux/aarch64").sameAs(Platform::parse("linux/arm64")));
  EXPECT_FALSE(Platform::parse("linux/arm/v6").sameAs(Platform::parse("linux/arm/v7")));
  EXPECT_FALSE(Platform::parse("linux/amd64").sameAs(Platform::parse("windows/amd64")));
  EXPECT_FALSE(Platform::parse("linux/s390x").sameAs(Platform::parse("linux/ppc64le")));
}

TEST(Platform, UnknownIsNotReal) {
  EXPECT_FALSE(Platform::parse("unknown/unknown").isReal());
  EXPECT_FALSE(Platform{}.isReal());
  EXPECT_TRUE(Platform::parse("linux/amd64").isReal());
}

}  // namespace ferry
