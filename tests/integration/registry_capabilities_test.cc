// The transport capabilities of a registry repository against a real
// distribution registry (2.8: no referrers API, so the referrers tag schema's
// fallback is what answers), and aliased tags mirrored again and again.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>

#include "ferry/copy/endpoints.h"
#include "ferry/oci/media_types.h"
#include "ferry/registry/registry_repository.h"
#include "integration/ferry_test_env.h"
#include "support/error_kind.h"

namespace ferry::testing {
namespace {

size_t countMatching(const TestRegistry& registry, const std::string& method, const std::string& fragment) {
  size_t count = 0;
  for (const auto& entry : registry.accessLog())
    if (entry.method == method && entry.target.find(fragment) != std::string::npos) ++count;
  return count;
}

RawManifest manifestWith(const Descriptor& config, const std::string& extra = {}) {
  return RawManifest::of(
      fmt::format(R"({{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{}","size":{}}},"layers":[]{}}})",
                  media::kOciManifest, config.mediaType, config.digest.str(), config.size, extra),
      std::string(media::kOciManifest));
}

TEST(RegistryCapabilities, TagsReferrersThroughTheFallbackTagAndDelete) {
  TestRegistry registry;
  Endpoints endpoints(EndpointOptions{.source = {}, .destination = RegistryOptions{.plainHttp = true}});
  auto repository = endpoints.repository(ImageReference::parse(dockerRef(registry, "app", "v1")), true);

  std::string configBytes = R"({"architecture":"amd64","os":"linux"})";
  Descriptor config{.mediaType = std::string(media::kOciConfig),
                    .digest = Digest::sha256Of(configBytes),
                    .size = static_cast<int64_t>(configBytes.size())};
  repository->putBlobBytes(config, configBytes);
  auto image = manifestWith(config);
  repository->putManifest(image, "v1", true);

  const std::string signatureType = "application/vnd.dev.cosign.artifact.sig.v1+json";
  auto signature = manifestWith(
      config, fmt::format(R"(,"artifactType":"{}","subject":{{"mediaType":"{}","digest":"{}","size":{}}})", signatureType,
                          media::kOciManifest, image.digest.str(), image.bytes.size()));
  repository->putManifest(signature, std::nullopt, false);
  // What a client writes where the registry has no referrers API: an index under the tag sha256-HEX.
  auto fallback = RawManifest::of(
      fmt::format(R"({{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{}","size":{},"artifactType":"{}"}}]}})",
                  media::kOciIndex, media::kOciManifest, signature.digest.str(), signature.bytes.size(), signatureType),
      std::string(media::kOciIndex));
  repository->putManifest(fallback, referrersTag(image.digest), true);

  ReferrerLister* referrers = capability<ReferrerLister>(*repository);
  ASSERT_NE(referrers, nullptr);
  auto found = referrers->listReferrers(image.digest);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].digest, signature.digest);
  EXPECT_EQ(found[0].artifactType, signatureType);
  EXPECT_TRUE(referrers->listReferrers(image.digest, "application/spdx+json").empty());
  EXPECT_TRUE(referrers->listReferrers(signature.digest).empty());  // nothing refers to it: none, not an error
  EXPECT_EQ(countMatching(registry, "GET", "/referrers/"), 3u);

  auto tags = capability<TagLister>(*repository)->listTags();
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::string>{referrersTag(image.digest), "v1"}));

  capability<ManifestDeleter>(*repository)->deleteManifest(signature.digest);
  EXPECT_EQ(countMatching(registry, "DELETE", "/manifests/" + signature.digest.str()), 1u);
  EXPECT_EQ(errorKindOf([&] { repository->getManifest(signature.digest.str()); }), ErrorKind::NotFound);
  EXPECT_EQ(errorKindOf([&] { repository->deleteManifest(signature.digest); }), ErrorKind::NotFound);
  EXPECT_EQ(repository->manifestDigest("v1"), image.digest);
}

TEST(RegistryCapabilities, AliasedTagsOfOneManifestListMirrorCleanlyEveryTime) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 61);
  auto image = builder.dockerManifestList("list");
  TestRegistry registry;
  for (int run = 0; run < 5; ++run) {
    std::string repository = fmt::format("aliased{}", run);
    std::string mapping;
    for (const char* tag : {"v4", "latest", "stable"})
      mapping += "oci:" + fixtures.string() + ":list=docker://" + registry.host() + "/" + repository + ":" + tag + "\n";
    writeFileAtomically(work.path() / "mapping.txt", mapping);
    size_t putsBefore = countMatching(registry, "PUT", "/" + repository + "/manifests/");
    auto copied = runFerry({"copy", "-q", "--dest-use-http", "-f", (work.path() / "mapping.txt").string()});
    ASSERT_EQ(copied.exitCode, 0) << "run " << run << ": " << copied.err;
    // Each child once, the list once with its bytes and once more per further tag.
    EXPECT_EQ(countMatching(registry, "PUT", "/" + repository + "/manifests/") - putsBefore,
              image.manifests.size() + 2)
        << "run " << run;
    for (const char* tag : {"v4", "latest", "stable"})
      EXPECT_EQ(skopeoRaw(registry, repository, tag), readBlob(fixtures, image.digest)) << tag;
  }
}

}  // namespace
}  // namespace ferry::testing
