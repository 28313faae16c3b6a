// What ferry writes is read by independent clients (skopeo, umoci), and what
// they write is read by ferry.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/ferry_test_env.h"

namespace ferry::testing {
namespace {

TEST(Interop, FerryReadsALayoutWrittenBySkopeo) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 21);
  builder.ociIndex("index");
  TestRegistry registry;
  auto skopeoLayout = work.path() / "by-skopeo";
  runChecked({"skopeo", "copy", "-q", "--all", "oci:" + fixtures.string() + ":index", "oci:" + skopeoLayout.string() + ":written"});

  auto entry = nlohmann::json::parse(readFile(skopeoLayout / "index.json"))["manifests"][0];
  auto digest = Digest::parse(entry["digest"].get<std::string>());
  auto result = runFerry({"copy", "-q", "--dest-use-http", "oci:" + skopeoLayout.string() + ":written", dockerRef(registry, "from-skopeo", "v1")});
  ASSERT_EQ(result.exitCode, 0) << result.err;
  EXPECT_EQ(skopeoRaw(registry, "from-skopeo", "v1"), readBlob(skopeoLayout, digest));
  // and skopeo can pull every platform of what ferry pushed
  for (std::string arch : {"amd64", "arm64", "s390x", "ppc64le"}) {
    runChecked({"skopeo", "--override-arch", arch, "copy", "-q", "--src-tls-verify=false",
                dockerRef(registry, "from-skopeo", "v1"), "oci:" + (work.path() / arch).string() + ":x"});
  }
}

TEST(Interop, SkopeoAndUmociReadALayoutWrittenByFerry) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 22);
  auto single = builder.singleArchOci("single");
  auto index = builder.ociIndex("index");
  TestRegistry registry;
  // Through a registry, so the layout is written by ferry from downloaded bytes.
  auto ferryLayout = work.path() / "by-ferry";
  for (const auto& tag : {"single", "index"}) {
    ASSERT_EQ(runFerry({"copy", "-q", "--dest-use-http", "oci:" + fixtures.string() + ":" + tag, dockerRef(registry, "app", tag)}).exitCode, 0);
    auto result = runFerry({"copy", "-q", "--source-use-http", dockerRef(registry, "app", tag), "oci:" + ferryLayout.string() + ":" + tag});
    ASSERT_EQ(result.exitCode, 0) << result.err;
  }

  auto inspected = nlohmann::json::parse(runChecked({"skopeo", "inspect", "oci:" + ferryLayout.string() + ":single"}));
  EXPECT_EQ(inspected["Digest"], single.digest.str());
  EXPECT_EQ(inspected["Architecture"], "amd64");
  auto raw = runChecked({"skopeo", "inspect", "--raw", "oci:" + ferryLayout.string() + ":index"});
  EXPECT_EQ(raw, readBlob(fixtures, index.digest));
  runChecked({"skopeo", "copy", "-q", "--all", "--preserve-digests", "--dest-tls-verify=false",
              "oci:" + ferryLayout.string() + ":index", dockerRef(registry, "back", "v1")});
  EXPECT_EQ(skopeoRaw(registry, "back", "v1"), readBlob(fixtures, index.digest));

  auto bundle = work.path() / "bundle";
  runChecked({"umoci", "unpack", "--rootless", "--image", ferryLayout.string() + ":single", bundle.string()});
  EXPECT_TRUE(std::filesystem::exists(bundle / "config.json"));
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(bundle / "rootfs"))
    if (entry.is_regular_file()) ++files;
  EXPECT_GT(files, 0u);
}

}  // namespace
}  // namespace ferry::testing
