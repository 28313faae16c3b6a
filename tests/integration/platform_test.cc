// Platform selection against a real registry: what is pushed, and what
// independent clients see of it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "integration/ferry_test_env.h"

namespace ferry::testing {
namespace {

std::set<std::string> platformsIn(const std::string& indexBytes) {
  std::set<std::string> out;
  auto document = nlohmann::json::parse(indexBytes);
  for (const auto& entry : document["manifests"]) {
    std::string platform = entry["platform"]["os"].get<std::string>() + "/" + entry["platform"]["architecture"].get<std::string>();
    if (entry["platform"].contains("variant")) platform += "/" + entry["platform"]["variant"].get<std::string>();
    out.insert(platform);
  }
  return out;
}

class PlatformSelectionTest : public ::testing::Test {
 protected:
  std::string source(const std::string& tag) const { return "oci:" + (work.path() / "fixtures").string() + ":" + tag; }
  std::string fixtureBytes(const Digest& digest) const { return readBlob(work.path() / "fixtures", digest); }

  TemporaryDirectory work;
  FixtureBuilder builder{work.path() / "fixtures", 41};
  FixtureImage list = builder.dockerManifestList("list");
  FixtureImage index = builder.ociIndex("index");
  FixtureImage attested = builder.indexWithAttestation("attested");
  TestRegistry registry;
};

TEST_F(PlatformSelectionTest, FilteredIndexHoldsExactlyTheChosenPlatformsAndEachPulls) {
  auto result = runFerry({"copy", "--dest-use-http", "--platform", "linux/amd64,linux/arm64", "--platform", "linux/s390x",
                          source("list"), dockerRef(registry, "filtered", "v1")});
  ASSERT_EQ(result.exitCode, 0) << result.err;
  std::string pushed = skopeoRaw(registry, "filtered", "v1");
  EXPECT_EQ(platformsIn(pushed), (std::set<std::string>{"linux/amd64", "linux/arm64/v8", "linux/s390x"}));
  EXPECT_EQ(nlohmann::json::parse(pushed)["mediaType"], "application/vnd.docker.distribution.manifest.list.v2+json");
  // the new digest is reported next to the original
  EXPECT_NE(result.out.find(Digest::sha256Of(pushed).str() + " (narrowed from " + list.digest.str() + ")"),
            std::string::npos)
      << result.out;
  for (std::string arch : {"amd64", "arm64", "s390x"}) {
    runChecked({"skopeo", "--override-arch", arch, "copy", "-q", "--src-tls-verify=false",
                dockerRef(registry, "filtered", "v1"), "oci:" + (work.path() / ("pull-" + arch)).string() + ":x"});
  }
  // a dropped platform is not there
  auto missing = runCommand({"skopeo", "--override-arch", "ppc64le", "copy", "-q", "--src-tls-verify=false",
                             dockerRef(registry, "filtered", "v1"), "oci:" + (work.path() / "pull-ppc").string() + ":x"});
  EXPECT_NE(missing.exitCode, 0);
}

TEST_F(PlatformSelectionTest, OnePlatformPushesThatImageItselfOrAOneEntryIndex) {
  ASSERT_EQ(runFerry({"copy", "-q", "--dest-use-http", "--platform", "linux/arm/v7", source("index"),
                      dockerRef(registry, "single", "v1")}).exitCode, 0);
  std::string single = skopeoRaw(registry, "single", "v1");
  EXPECT_EQ(nlohmann::json::parse(single)["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  bool isChild = false;
  for (const auto& digest : index.manifests) isChild |= Digest::sha256Of(single) == digest;
  EXPECT_TRUE(isChild);

  ASSERT_EQ(runFerry({"copy", "-q", "--dest-use-http", "--platform", "linux/arm", "--keep-index", source("index"),
                      dockerRef(registry, "single", "v2")}).exitCode, 0);
  EXPECT_EQ(platformsIn(skopeoRaw(registry, "single", "v2")), (std::set<std::string>{"linux/arm/v7"}));
}

TEST_F(PlatformSelectionTest, AttestationsStayWithTheirImage) {
  ASSERT_EQ(runFerry({"copy", "-q", "--dest-use-http", "--platform", "linux/amd64", "--keep-index", source("attested"),
                      dockerRef(registry, "att", "amd64")}).exitCode, 0);
  auto withAttestation = nlohmann::json::parse(skopeoRaw(registry, "att", "amd64"));
  ASSERT_EQ(withAttestation["manifests"].size(), 2u);
  EXPECT_EQ(withAttestation["manifests"][1]["platform"]["os"], "unknown");

  ASSERT_EQ(runFerry({"copy", "-q", "--dest-use-http", "--platform", "linux/arm64", "--keep-index", source("attested"),
                      dockerRef(registry, "att", "arm64")}).exitCode, 0);
  auto without = nlohmann::json::parse(skopeoRaw(registry, "att", "arm64"));
  ASSERT_EQ(without["manifests"].size(), 1u);
  EXPECT_EQ(without["manifests"][0]["platform"]["architecture"], "arm64");
}

TEST_F(PlatformSelectionTest, SparseIndexIsRefusedByDistributionWithOneClearLineAndWorksInALayout) {
  auto refused = runFerry({"copy", "-q", "--dest-use-http", "--platform", "linux/amd64", "--sparse", source("index"),
                           dockerRef(registry, "sparse", "v1")});
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_NE(refused.err.find("refused the sparse index"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("without --sparse"), std::string::npos) << refused.err;
  EXPECT_NE(runCommand({"skopeo", "inspect", "--raw", "--tls-verify=false", dockerRef(registry, "sparse", "v1")}).exitCode, 0);

  auto layout = work.path() / "sparse-layout";
  auto accepted = runFerry({"copy", "-q", "--platform", "linux/amd64", "--sparse", source("index"), "oci:" + layout.string() + ":v1"});
  ASSERT_EQ(accepted.exitCode, 0) << accepted.err;
  auto entry = nlohmann::json::parse(readFile(layout / "index.json"))["manifests"][0];
  EXPECT_EQ(entry["digest"], index.digest.str());  // original digest
  size_t presentChildren = 0;
  for (const auto& digest : index.manifests) presentChildren += std::filesystem::exists(layout / "blobs" / digest.blobPath());
  EXPECT_EQ(presentChildren, 2u);  // the index and the amd64 image only
}

TEST_F(PlatformSelectionTest, InspectMarksWhatAFilterKeeps) {
  auto result = runFerry({"inspect", "--platform", "linux/amd64", source("attested")});
  ASSERT_EQ(result.exitCode, 0) << result.err;
  EXPECT_NE(result.out.find("[keep] linux/amd64"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("[drop] linux/arm64"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("[drop] unknown/unknown"), std::string::npos) << result.out;  // no index to hold it
  EXPECT_NE(result.out.find("the one kept image sha256:"), std::string::npos) << result.out;

  auto keepIndex = runFerry({"inspect", "--platform", "linux/amd64", "--keep-index", source("attested")});
  ASSERT_EQ(keepIndex.exitCode, 0) << keepIndex.err;
  EXPECT_NE(keepIndex.out.find("[keep] unknown/unknown"), std::string::npos) << keepIndex.out;
  EXPECT_NE(keepIndex.out.find("a new index sha256:"), std::string::npos) << keepIndex.out;
}

TEST_F(PlatformSelectionTest, NoMatchingPlatformIsAClearError) {
  auto result = runFerry({"copy", "-q", "--dest-use-http", "--platform", "windows/amd64", source("index"),
                          dockerRef(registry, "none", "v1")});
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_NE(result.err.find("has none of the selected platforms (windows/amd64); it has: linux/amd64"), std::string::npos)
      << result.err;
  EXPECT_EQ(registry.accessLogCount("PUT"), 0u);
}

}  // namespace
}  // namespace ferry::testing
