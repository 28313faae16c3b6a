// `ferry copy --all-tags SRC DEST`: every tag of a repository (skopeo sync's job), in one run.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "ferry/base/strings.h"
#include "ferry/digest/digest.h"
#include "integration/ferry_test_env.h"

namespace ferry::testing {
namespace {

std::string repositoryRef(const TestRegistry& registry, const std::string& repository) {
  return "docker://" + registry.host() + "/" + repository;
}

TEST(CopyAllTags, EveryTagOfARegistryRepositoryToAnotherRegistry) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 91);
  std::map<std::string, FixtureImage> images{{"one", builder.singleArchOci("one")},
                                             {"two", builder.ociIndex("two")},
                                             {"three", builder.dockerManifestList("three")}};
  TestRegistry source;
  TestRegistry destination;
  // The source repository gets its three tags from the OCI layout, itself copied with --all-tags.
  auto seeded = runFerry({"copy", "-q", "--all-tags", "--dest-use-http", "oci:" + fixtures.string(),
                          repositoryRef(source, "team/app")});
  ASSERT_EQ(seeded.exitCode, 0) << seeded.err;

  auto copied = runFerry({"copy", "--all-tags", "--source-use-http", "--dest-use-http",
                          repositoryRef(source, "team/app"), repositoryRef(destination, "mirror/app")});
  ASSERT_EQ(copied.exitCode, 0) << copied.err;
  for (const auto& [tag, image] : images) {
    EXPECT_NE(copied.out.find(dockerRef(destination, "mirror/app", tag)), std::string::npos) << copied.out;
    auto raw = skopeoRaw(destination, "mirror/app", tag);
    EXPECT_EQ(Digest::sha256Of(raw), image.digest) << tag;
    EXPECT_EQ(raw, skopeoRaw(source, "team/app", tag)) << tag;
  }
  auto listed = runFerry({"list", "tags", "--use-http", repositoryRef(destination, "mirror/app")});
  ASSERT_EQ(listed.exitCode, 0) << listed.err;
  auto tags = splitString(listed.out, '\n');
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::string>{"", "one", "three", "two"})) << listed.out;  // "" after the last newline
}

TEST(CopyAllTags, RefusesAnImageAndAnEmptyRepository) {
  TemporaryDirectory work;
  TestRegistry registry;
  auto tagged = runFerry({"copy", "--all-tags", "--source-use-http", "--dest-use-http", dockerRef(registry, "app", "v1"),
                          repositoryRef(registry, "copy")});
  EXPECT_EQ(tagged.exitCode, 1);
  EXPECT_NE(tagged.err.find("drop the tag or digest from '" + dockerRef(registry, "app", "v1") + "'"),
            std::string::npos)
      << tagged.err;

  auto destinationTagged = runFerry({"copy", "--all-tags", "--source-use-http", "--dest-use-http",
                                     repositoryRef(registry, "app"), dockerRef(registry, "copy", "v1")});
  EXPECT_EQ(destinationTagged.exitCode, 1);
  EXPECT_NE(destinationTagged.err.find("destination repository without a tag"), std::string::npos)
      << destinationTagged.err;

  auto empty = runFerry({"copy", "--all-tags", "--source-use-http", "--dest-use-http", repositoryRef(registry, "nothing"),
                         repositoryRef(registry, "copy")});
  EXPECT_NE(empty.exitCode, 0);
  EXPECT_NE(empty.err.find(registry.host() + "/nothing"), std::string::npos) << empty.err;

  auto emptyLayout = work.path() / "empty";
  std::filesystem::create_directories(emptyLayout);
  auto layout = runFerry({"copy", "--all-tags", "--dest-use-http", "oci:" + emptyLayout.string(),
                          repositoryRef(registry, "copy")});
  EXPECT_NE(layout.exitCode, 0);
  EXPECT_NE(layout.err.find(emptyLayout.string()), std::string::npos) << layout.err;
}

}  // namespace
}  // namespace ferry::testing
