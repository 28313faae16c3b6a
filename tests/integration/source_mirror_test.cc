// `--source-mirror` is honoured by every command that reads images, since the
// endpoint factory applies it (copy/endpoints.h): here `ferry copy`, reading
// registry.example.com/demo/... from an OCI layout and writing to a real registry.
#include <gtest/gtest.h>

#include "integration/ferry_test_env.h"
#include "support/mirror_scenario.h"

namespace ferry::testing {
namespace {

TEST(CopySourceMirror, ReadsTheImageFromTheMirrorAndKeepsItsDigest) {
  TemporaryDirectory work("ferry-copy-source-mirror");
  auto layoutDir = work.path() / "images";
  auto layout = buildScenarioLayout(layoutDir, "registry.example.com/demo", {{"foo", {"1.0.0"}}}, {}, 16 << 10);
  const ScenarioLayout::Image* extra = nullptr;
  for (const auto& image : layout.images)
    if (image.repository == "ferry-test/extra") extra = &image;
  ASSERT_NE(extra, nullptr);

  TestRegistry registry;
  std::vector<std::string> args{"copy", "--source-mirror", "registry.example.com/demo=oci:" + layoutDir.string(),
                                "docker://registry.example.com/demo/ferry-test/extra:stable",
                                dockerRef(registry, "copied/extra", "stable")};
  for (auto& flag : accessFlags(registry, "dest")) args.push_back(flag);
  auto result = runFerry(args);
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  EXPECT_EQ(Digest::sha256Of(skopeoRaw(registry, "copied/extra", "stable")), extra->image.digest);

  auto malformed = runFerry({"copy", "--source-mirror", "registry.example.com", "docker://a.example/b:c",
                             dockerRef(registry, "copied/x", "v1")});
  EXPECT_EQ(malformed.exitCode, 1);
  EXPECT_NE(malformed.err.find("PREFIX=LOCATION"), std::string::npos) << malformed.err;
}

}  // namespace
}  // namespace ferry::testing
