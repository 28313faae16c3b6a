// `ferry version [-o json]`: the project() version and the configure-time commit.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/ferry_test_env.h"

namespace ferry::testing {
namespace {

TEST(Version, TextAndJsonCarryTheVersionAndCommit) {
  auto text = runFerry({"version"});
  ASSERT_EQ(text.exitCode, 0) << text.err;
  EXPECT_EQ(text.out, std::string("ferry ") + FERRY_EXPECTED_VERSION + " (commit " + FERRY_EXPECTED_COMMIT + ")\n");
  auto json = runFerry({"version", "-o", "json"});
  ASSERT_EQ(json.exitCode, 0) << json.err;
  auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["version"], FERRY_EXPECTED_VERSION);
  EXPECT_EQ(parsed["commit"], FERRY_EXPECTED_COMMIT);
  EXPECT_NE(std::string(FERRY_EXPECTED_COMMIT), "unknown");  // the tests are built from a git checkout
  EXPECT_NE(runFerry({"version", "-o", "yaml"}).exitCode, 0);
}

}  // namespace
}  // namespace ferry::testing
