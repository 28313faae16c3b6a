#include "ferry/copy/platform_filter.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/oci/media_types.h"

namespace ferry {
namespace {

using nlohmann::ordered_json;

// Builds image graphs in memory: every manifest's bytes are real JSON, so digests are real.
class GraphMaker {
 public:
  ImageGraph image(const std::string& label, const std::string& configPlatform = "") {
    std::string config = configPlatform.empty() ? R"({"rootfs":{"type":"layers"}})" : configPlatform;
    auto configDigest = Digest::sha256Of(config);
    configs[configDigest.str()] = config;
    ordered_json manifest{{"schemaVersion", 2},
                          {"mediaType", media::kOciManifest},
                          {"config", {{"mediaType", media::kOciConfig}, {"digest", configDigest.str()}, {"size", config.size()}}},
                          {"layers", ordered_json::array()},
                          {"annotations", {{"label", label}}}};
    return node(manifest.dump(), std::string(media::kOciManifest));
  }

  // children: (graph, descriptor extras such as platform and annotations)
  ImageGraph index(const std::vector<std::pair<ImageGraph, ordered_json>>& children,
                   std::string_view mediaType = media::kOciIndex) {
    ordered_json entries = ordered_json::array();
    for (const auto& [child, extra] : children) {
      ordered_json entry{{"mediaType", child.raw.mediaType}, {"digest", child.raw.digest.str()}, {"size", child.raw.bytes.size()}};
      if (!extra.is_null()) entry.update(extra);
      entries.push_back(entry);
    }
    ordered_json document{{"schemaVersion", 2}, {"mediaType", mediaType}, {"manifests", entries}};
    auto graph = node(document.dump(), std::string(mediaType));
    for (const auto& [child, extra] : children) graph.children.push_back(child);
    return graph;
  }

  static ordered_json platform(const std::string& os, const std::string& arch, const std::string& variant = "") {
    ordered_json out{{"architecture", arch}, {"os", os}};
    if (!variant.empty()) out["variant"] = variant;
    return ordered_json{{"platform", out}};
  }

  ConfigReader reader() {
    return [this](const Descriptor& blob) { return configs.at(blob.digest.str()); };
  }

  std::map<std::string, std::string> configs;

 private:
  static ImageGraph node(std::string bytes, std::string mediaType) {
    auto raw = RawManifest::of(std::move(bytes), mediaType);
    auto manifest = Manifest::parse(raw.bytes, raw.mediaType);
    return ImageGraph{.raw = raw, .manifest = manifest, .children = {}};
  }
};

PlatformSelection select(std::vector<std::string> platforms) {
  return PlatformSelection{.platforms = PlatformSelection::parseList(platforms)};
}

class PlatformFilterTest : public ::testing::Test {
 protected:
  GraphMaker make;
  ImageGraph amd64 = make.image("amd64");
  ImageGraph arm64 = make.image("arm64");
  ImageGraph s390x = make.image("s390x");
  ImageGraph attestation = make.image("attestation");

  ImageGraph threePlatforms(std::string_view mediaType = media::kOciIndex) {
    return make.index({{amd64, GraphMaker::platform("linux", "amd64")},
                       {arm64, GraphMaker::platform("linux", "arm64", "v8")},
                       {s390x, GraphMaker::platform("linux", "s390x")}},
                      mediaType);
  }
};

TEST_F(PlatformFilterTest, NoSelectionKeepsEverything) {
  auto graph = threePlatforms();
  auto result = selectPlatforms(graph, PlatformSelection{}, make.reader(), "img");
  EXPECT_EQ(result.graph.raw.digest, graph.raw.digest);
  EXPECT_FALSE(result.changed);
}

TEST_F(PlatformFilterTest, TwoPlatformsMakeANewIndexInTheSourceOrderAndFormat) {
  auto graph = threePlatforms(media::kDockerManifestList);
  auto result = selectPlatforms(graph, select({"linux/s390x,linux/amd64"}), make.reader(), "img");
  EXPECT_TRUE(result.changed);
  EXPECT_EQ(result.graph.raw.mediaType, media::kDockerManifestList);
  ASSERT_EQ(result.graph.manifest.manifests.size(), 2u);
  EXPECT_EQ(result.graph.manifest.manifests[0].digest, amd64.raw.digest);  // source order, not selection order
  EXPECT_EQ(result.graph.manifest.manifests[1].digest, s390x.raw.digest);
  EXPECT_EQ(result.graph.children.size(), 2u);
  EXPECT_EQ(result.graph.raw.digest, Digest::sha256Of(result.graph.raw.bytes));
  EXPECT_EQ(ordered_json::parse(result.graph.raw.bytes)["mediaType"], media::kDockerManifestList);
}

TEST_F(PlatformFilterTest, OneMatchPushesTheChildItselfUnlessKeepIndex) {
  auto graph = threePlatforms();
  auto single = selectPlatforms(graph, select({"linux/arm64"}), make.reader(), "img");  // arm64 == arm64/v8
  EXPECT_EQ(single.graph.raw.digest, arm64.raw.digest);
  EXPECT_FALSE(single.graph.manifest.isIndex);

  auto selection = select({"linux/arm64"});
  selection.keepIndex = true;
  auto kept = selectPlatforms(graph, selection, make.reader(), "img");
  EXPECT_TRUE(kept.graph.manifest.isIndex);
  ASSERT_EQ(kept.graph.manifest.manifests.size(), 1u);
  EXPECT_EQ(kept.graph.manifest.manifests[0].platform->str(), "linux/arm64/v8");
}

TEST_F(PlatformFilterTest, SparseKeepsTheOriginalBytes) {
  auto graph = threePlatforms();
  auto selection = select({"linux/amd64"});
  selection.sparse = true;
  auto result = selectPlatforms(graph, selection, make.reader(), "img");
  EXPECT_TRUE(result.sparse);
  EXPECT_FALSE(result.changed);
  EXPECT_EQ(result.graph.raw.bytes, graph.raw.bytes);
  ASSERT_EQ(result.graph.children.size(), 1u);
  EXPECT_EQ(result.graph.children[0].raw.digest, amd64.raw.digest);
}

TEST_F(PlatformFilterTest, AttestationsFollowTheirImage) {
  ordered_json forAmd64 = GraphMaker::platform("unknown", "unknown");
  forAmd64["annotations"] = {{"vnd.docker.reference.digest", amd64.raw.digest.str()},
                             {"vnd.docker.reference.type", "attestation-manifest"}};
  auto graph = make.index({{amd64, GraphMaker::platform("linux", "amd64")},
                           {arm64, GraphMaker::platform("linux", "arm64")},
                           {s390x, GraphMaker::platform("linux", "s390x")},
                           {attestation, forAmd64}});
  auto keepsIt = selectPlatforms(graph, select({"linux/amd64", "linux/s390x"}), make.reader(), "img");
  ASSERT_EQ(keepsIt.graph.manifest.manifests.size(), 3u);
  EXPECT_EQ(keepsIt.graph.manifest.manifests[2].digest, attestation.raw.digest);

  auto dropsIt = selectPlatforms(graph, select({"linux/arm64", "linux/s390x"}), make.reader(), "img");
  ASSERT_EQ(dropsIt.graph.manifest.manifests.size(), 2u);
  for (const auto& entry : dropsIt.graph.manifest.manifests) EXPECT_TRUE(entry.platform->isReal());
}

TEST_F(PlatformFilterTest, TheChildrenASelectionDropsAreLeftUnread) {
  ordered_json forS390x = GraphMaker::platform("unknown", "unknown");
  forS390x["annotations"] = {{"vnd.docker.reference.digest", s390x.raw.digest.str()},
                             {"vnd.docker.reference.type", "attestation-manifest"}};
  ordered_json forAmd64 = GraphMaker::platform("unknown", "unknown");
  forAmd64["annotations"] = {{"vnd.docker.reference.digest", amd64.raw.digest.str()}};
  auto graph = make.index({{amd64, GraphMaker::platform("linux", "amd64")},
                           {arm64, GraphMaker::platform("linux", "aarch64")},
                           {s390x, GraphMaker::platform("linux", "s390x")},
                           {attestation, forS390x},
                           {attestation, forAmd64},
                           {amd64, ordered_json{}}});
  auto skip = skipUnselected(select({"linux/amd64", "linux/arm64"}));
  ASSERT_TRUE(skip);
  std::vector<bool> skipped;
  for (size_t i = 0; i < graph.manifest.manifests.size(); ++i) skipped.push_back(skip(graph.manifest, i));
  // s390x and its attestation are never read; the alias aarch64 is arm64; an entry without a platform is read.
  EXPECT_EQ(skipped, (std::vector<bool>{false, false, true, true, false, false}));
  EXPECT_FALSE(skipUnselected(PlatformSelection{}));
}

TEST_F(PlatformFilterTest, NestedIndexesAreFilteredRecursively) {
  auto inner1 = make.index({{amd64, GraphMaker::platform("linux", "amd64")}, {arm64, GraphMaker::platform("linux", "arm64")}});
  auto inner2 = make.index({{s390x, GraphMaker::platform("linux", "s390x")}});
  auto graph = make.index({{inner1, {}}, {inner2, {}}});
  auto result = selectPlatforms(graph, select({"linux/amd64", "linux/s390x"}), make.reader(), "img");
  ASSERT_EQ(result.graph.children.size(), 2u);
  const auto& narrowedInner = result.graph.children[0];
  ASSERT_EQ(narrowedInner.manifest.manifests.size(), 1u);
  EXPECT_EQ(narrowedInner.manifest.manifests[0].digest, amd64.raw.digest);
  // the outer index points at the narrowed inner index, by its new digest and size
  EXPECT_EQ(result.graph.manifest.manifests[0].digest, narrowedInner.raw.digest);
  EXPECT_EQ(result.graph.manifest.manifests[0].size, static_cast<int64_t>(narrowedInner.raw.bytes.size()));
  EXPECT_EQ(result.graph.manifest.manifests[1].digest, inner2.raw.digest);  // unchanged
}

TEST_F(PlatformFilterTest, MissingPlatformComesFromTheConfigOrDefaultsWithAWarning) {
  auto fromConfig = make.image("cfg", R"({"os":"linux","architecture":"arm64","rootfs":{"type":"layers"}})");
  auto bare = make.image("bare");
  auto graph = make.index({{fromConfig, {}}, {bare, {}}, {s390x, GraphMaker::platform("linux", "s390x")}});
  auto result = selectPlatforms(graph, select({"linux/arm64", "linux/amd64"}), make.reader(), "img");
  ASSERT_EQ(result.graph.manifest.manifests.size(), 2u);
  EXPECT_EQ(result.graph.manifest.manifests[0].platform->str(), "linux/arm64");
  EXPECT_EQ(result.graph.manifest.manifests[1].platform->str(), "linux/amd64");
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find(bare.raw.digest.str()), std::string::npos);
  auto document = ordered_json::parse(result.graph.raw.bytes);
  for (const auto& entry : document["manifests"]) {
    EXPECT_FALSE(entry["platform"]["os"].get<std::string>().empty());
    EXPECT_FALSE(entry["platform"]["architecture"].get<std::string>().empty());
  }
}

TEST_F(PlatformFilterTest, NoMatchNamesWhatTheImageHas) {
  auto graph = threePlatforms();
  try {
    selectPlatforms(graph, select({"windows/amd64"}), make.reader(), "docker://x/y:1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "docker://x/y:1 has none of the selected platforms (windows/amd64); it has: linux/amd64, "
                 "linux/arm64/v8, linux/s390x");
  }
}

TEST_F(PlatformFilterTest, SingleImagesAreCopiedAsTheyAre) {
  auto result = selectPlatforms(amd64, select({"linux/arm64"}), make.reader(), "img");
  EXPECT_EQ(result.graph.raw.digest, amd64.raw.digest);
}

}  // namespace
}  // namespace ferry
