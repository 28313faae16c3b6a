#include "ferry/registry/challenge.h"

#include <gtest/gtest.h>

namespace ferry {

TEST(Challenge, ParsesBearerWithQuotedParameters) {
  auto challenge = parseAuthChallenge(
      R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push")");
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge->scheme, "bearer");
  EXPECT_EQ(challenge->parameter("realm"), "https://auth.example/token");
  EXPECT_EQ(challenge->parameter("service"), "registry.example");
  EXPECT_EQ(challenge->parameter("scope"), "repository:a/b:pull,push");
}

TEST(Challenge, ParsesBasicAndUnquotedValues) {
  auto basic = parseAuthChallenge(R"(Basic realm="harness-realm")");
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->scheme, "basic");
  EXPECT_EQ(basic->parameter("realm"), "harness-realm");
  auto unquoted = parseAuthChallenge("bearer realm=https://x/token, service=svc");
  ASSERT_TRUE(unquoted);
  EXPECT_EQ(unquoted->parameter("realm"), "https://x/token");
  EXPECT_EQ(unquoted->parameter("service"), "svc");
  EXPECT_FALSE(parseAuthChallenge(""));
  EXPECT_FALSE(parseAuthChallenge("   "));
}

TEST(Challenge, NextLink) {
  EXPECT_EQ(nextLink({R"(</v2/app/tags/list?last=b&n=2>; rel="next")"}), "/v2/app/tags/list?last=b&n=2");
  EXPECT_EQ(nextLink({R"(<https://x/prev>; rel="prev", <https://x/next>; rel="next")"}), "https://x/next");
  EXPECT_FALSE(nextLink({R"(<https://x/prev>; rel="prev")"}));
  EXPECT_FALSE(nextLink({}));
}

TEST(Challenge, RegistryErrorSummary) {
  EXPECT_EQ(registryErrorSummary(R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"),
            "MANIFEST_UNKNOWN: manifest unknown");
  EXPECT_EQ(registryErrorSummary("<html>"), "");
}

}  // namespace ferry
