// `ferry list tags`: a registry repository's tags (skopeo list-tags' job), and a layout's or oci-archive's.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "integration/ferry_test_env.h"

namespace ferry::testing {
namespace {

TEST(ListTags, RegistryLayoutAndOciArchive) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 66);
  builder.singleArchOci("one");
  builder.ociIndex("two");
  TestRegistry registry;
  for (std::string tag : {"one", "two"})
    ASSERT_EQ(runFerry({"copy", "-q", "--dest-use-http", "oci:" + fixtures.string() + ":" + tag,
                        dockerRef(registry, "app", "v-" + tag)})
                  .exitCode,
              0);
  // The registry's order, as skopeo list-tags prints it.
  auto skopeo = nlohmann::json::parse(
      runChecked({"skopeo", "list-tags", "--tls-verify=false", "docker://" + registry.host() + "/app"}));
  auto expected = skopeo["Tags"].get<std::vector<std::string>>();
  auto sorted = expected;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_EQ(sorted, (std::vector<std::string>{"v-one", "v-two"}));
  auto listed = runFerry({"list", "tags", "--use-http", "docker://" + registry.host() + "/app"});
  ASSERT_EQ(listed.exitCode, 0) << listed.err;
  EXPECT_EQ(listed.out, expected[0] + "\n" + expected[1] + "\n");
  auto json = runFerry({"list", "tags", "--use-http", "-o", "json", "docker://" + registry.host() + "/app"});
  ASSERT_EQ(json.exitCode, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)["Tags"], skopeo["Tags"]);

  auto layout = runFerry({"list", "tags", "oci:" + fixtures.string()});
  ASSERT_EQ(layout.exitCode, 0) << layout.err;
  EXPECT_EQ(layout.out, "one\ntwo\n");
  auto archive = work.path() / "a.tar";
  ASSERT_EQ(runFerry({"copy", "-q", "oci:" + fixtures.string() + ":two", "oci-archive:" + archive.string() + ":two"}).exitCode, 0);
  auto archived = runFerry({"list", "tags", "oci-archive:" + archive.string()});
  ASSERT_EQ(archived.exitCode, 0) << archived.err;
  EXPECT_EQ(archived.out, "two\n");
  EXPECT_NE(runFerry({"list", "tags", "--use-http", "docker://" + registry.host() + "/app:v-one"}).exitCode, 0);
}

}  // namespace
}  // namespace ferry::testing
