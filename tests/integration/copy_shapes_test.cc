// Every fixture shape round-trips layout → registry → registry → layout with
// identical digests and bytes, as ferry and an independent client (skopeo) see them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/ferry_test_env.h"

namespace ferry::testing {
namespace {

FixtureImage buildShape(FixtureBuilder& builder, const std::string& shape) {
  if (shape == "docker-single") return builder.singleArchDocker(shape);
  if (shape == "oci-single") return builder.singleArchOci(shape);
  if (shape == "docker-list") return builder.dockerManifestList(shape);
  if (shape == "oci-index") return builder.ociIndex(shape);
  if (shape == "attestation") return builder.indexWithAttestation(shape);
  if (shape == "nested") return builder.nestedIndex(shape);
  throw std::runtime_error("unknown shape " + shape);
}

class CopyShapes : public ::testing::TestWithParam<std::string> {};

TEST_P(CopyShapes, RoundTripsDigestForDigest) {
  const std::string shape = GetParam();
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 42);
  auto image = buildShape(builder, shape);
  std::string sourceBytes = readBlob(fixtures, image.digest);

  TestRegistry first;
  TestRegistry second;

  // layout → registry
  auto toFirst = runFerry({"copy", "-q", "--dest-use-http", "oci:" + fixtures.string() + ":" + shape,
                           dockerRef(first, "shapes/" + shape, "v1")});
  ASSERT_EQ(toFirst.exitCode, 0) << toFirst.err;
  EXPECT_EQ(skopeoRaw(first, "shapes/" + shape, "v1"), sourceBytes);
  for (const auto& digest : image.manifests)  // every child is there by digest, byte for byte
    EXPECT_EQ(skopeoRaw(first, "shapes/" + shape, digest.str()), readBlob(fixtures, digest));

  // registry → registry
  auto toSecond = runFerry({"copy", "--source-use-http", "--dest-use-http", dockerRef(first, "shapes/" + shape, "v1"),
                            dockerRef(second, "mirror/" + shape, "v1")});
  ASSERT_EQ(toSecond.exitCode, 0) << toSecond.err;
  EXPECT_NE(toSecond.out.find(image.digest.str()), std::string::npos) << toSecond.out;
  EXPECT_EQ(skopeoRaw(second, "mirror/" + shape, "v1"), sourceBytes);

  // registry → layout
  auto out = work.path() / "out";
  auto toLayout = runFerry({"copy", "-q", "--source-use-http", dockerRef(second, "mirror/" + shape, "v1"),
                            "oci:" + out.string() + ":" + shape});
  ASSERT_EQ(toLayout.exitCode, 0) << toLayout.err;
  expectLayoutHolds(out, image, fixtures);
  auto index = nlohmann::json::parse(readFile(out / "index.json"));
  ASSERT_EQ(index["manifests"].size(), 1u);
  EXPECT_EQ(index["manifests"][0]["digest"], image.digest.str());
  EXPECT_EQ(index["manifests"][0]["mediaType"], image.mediaType);
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], shape);

  // layout → layout, and ferry's own view of the result
  auto again = work.path() / "again";
  auto toAgain = runFerry({"copy", "-q", "oci:" + out.string() + ":" + shape, "oci:" + again.string() + ":copy"});
  ASSERT_EQ(toAgain.exitCode, 0) << toAgain.err;
  expectLayoutHolds(again, image, fixtures);
  auto inspect = runFerry({"inspect", "--output", "json", "oci:" + again.string() + ":copy"});
  ASSERT_EQ(inspect.exitCode, 0) << inspect.err;
  EXPECT_EQ(nlohmann::json::parse(inspect.out)["digest"], image.digest.str());
}

INSTANTIATE_TEST_SUITE_P(AllShapes, CopyShapes,
                         ::testing::Values("docker-single", "oci-single", "docker-list", "oci-index", "attestation",
                                           "nested"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(CopyShapesLayout, IndexJsonPointingToAnIndexBlob) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  auto image = layoutIndexPointingToIndexBlob(fixtures, 7, "latest");
  TestRegistry registry;
  // No tag: a layout holding one image answers for it.
  auto result = runFerry({"copy", "-q", "--dest-use-http", "oci:" + fixtures.string(), dockerRef(registry, "from/layout", "v1")});
  ASSERT_EQ(result.exitCode, 0) << result.err;
  EXPECT_EQ(skopeoRaw(registry, "from/layout", "v1"), readBlob(fixtures, image.digest));
}

}  // namespace
}  // namespace ferry::testing
