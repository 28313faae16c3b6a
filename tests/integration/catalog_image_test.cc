// Catalog images on a real registry: read per platform, filtered, rebuilt,
// pushed by the copy engine through an OverlaySource, and pulled back and
// unpacked by independent tools (skopeo, umoci) platform by platform.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "ferry/filter/filter.h"
#include "ferry/catalog/catalog_image.h"
#include "ferry/catalog/rebuild.h"
#include "ferry/fbc/write.h"
#include "ferry/copy/copier.h"
#include "ferry/transport/overlay_source.h"
#include "integration/ferry_test_env.h"
#include "support/catalog_images.h"
#include "support/registry_push.h"

namespace ferry::testing {
namespace {

namespace fs = std::filesystem;
using catalog::Catalog;

const Platform kAmd64{"linux", "amd64", ""};
const Platform kArm64{"linux", "arm64", "v8"};
const Platform kS390x{"linux", "s390x", ""};

size_t countPuts(const TestRegistry& registry) {
  size_t count = 0;
  for (const auto& entry : registry.accessLog()) count += entry.method == "PUT";
  return count;
}

class CatalogImageRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!toolAvailable("skopeo") || !toolAvailable("umoci")) GTEST_SKIP() << "needs skopeo and umoci";
  }

  struct Rebuilt {
    catalog::CatalogImage image;
    catalog::RebuiltCatalog rebuilt;
    std::vector<fs::path> filtered;  // per variant
    CopyResult pushed;
  };

  // Reads docker://REGISTRY/catalog/REPO:v1, drops package "bar" from every
  // variant, rebuilds into a fresh work layout and pushes the result to
  // docker://REGISTRY/filtered/REPO:v1 with the copy engine.
  Rebuilt readRebuildAndPush(const std::string& repository, const std::string& run) {
    RegistryOptions options{.plainHttp = true};
    Endpoints endpoints(EndpointOptions{.source = options, .destination = options});
    auto reference = ImageReference::parse("docker://" + registry.host() + "/catalog/" + repository + ":v1");
    auto source = endpoints.source(reference);
    auto image = catalog::readCatalogImage(*source, reference, work.path() / run / "extracted");

    std::vector<fs::path> filtered;
    for (size_t v = 0; v < image.variants.size(); ++v) {
      filtered.push_back(work.path() / run / ("filtered-" + std::to_string(v)));
      catalog::writeCatalog(catalog::withoutPackages(image.variants[v].catalog, {"bar"}), filtered.back());
    }
    auto layoutDir = work.path() / run / "rebuilt";
    auto layout = OciLayout::create(layoutDir);
    auto rebuilt = catalog::rebuildCatalogImage(image, filtered, *source, *layout, {.tag = "filtered"});

    auto layoutReference = ImageReference::parse("oci:" + layoutDir.string() + ":filtered");
    Copier copier(endpoints, CopyOptions{});
    auto results = copier.run(
        {CopyRequest{.source = layoutReference,
                     .destination = ImageReference::parse("docker://" + registry.host() + "/filtered/" + repository + ":v1"),
                     .from = std::make_shared<OverlaySource>(layout, source)}});
    return Rebuilt{std::move(image), std::move(rebuilt), std::move(filtered), results.at(0)};
  }

  // Pulls one platform of docker://REGISTRY/filtered/REPO:v1 with skopeo and unpacks it with umoci.
  fs::path unpack(const std::string& repository, const Platform& platform) {
    auto pulled = work.path() / ("pulled-" + repository + "-" + platform.architecture);
    std::vector<std::string> pull{"skopeo", "--override-arch", platform.architecture};
    if (!platform.variant.empty()) {
      pull.push_back("--override-variant");
      pull.push_back(platform.variant);
    }
    for (const auto& argument : {std::string("copy"), std::string("-q"), std::string("--src-tls-verify=false"),
                                 dockerRef(registry, "filtered/" + repository, "v1"), "oci:" + pulled.string() + ":x"})
      pull.push_back(argument);
    runChecked(pull);
    auto bundle = work.path() / ("bundle-" + repository + "-" + platform.architecture);
    std::vector<std::string> unpackCommand{"umoci", "unpack"};
    if (geteuid() != 0) unpackCommand.push_back("--rootless");
    for (const auto& argument : {std::string("--image"), pulled.string() + ":x", bundle.string()})
      unpackCommand.push_back(argument);
    runChecked(unpackCommand);
    return bundle / "rootfs";
  }

  nlohmann::json configOf(const std::string& repository, const Platform& platform) {
    return nlohmann::json::parse(runChecked({"skopeo", "--override-arch", platform.architecture, "inspect", "--config",
                                             "--tls-verify=false", dockerRef(registry, "filtered/" + repository, "v1")}));
  }

  void expectFiltered(const std::string& repository, const Platform& platform, const fs::path& filtered) {
    SCOPED_TRACE(repository + " " + platform.str());
    auto rootfs = unpack(repository, platform);
    EXPECT_EQ(filesUnder(rootfs / "configs"), filesUnder(filtered));
    EXPECT_FALSE(fs::exists(rootfs / "configs" / "bar"));
    EXPECT_FALSE(fs::exists(rootfs / "tmp" / "cache"));
    EXPECT_TRUE(fs::is_directory(rootfs / "tmp"));
    EXPECT_EQ(readFile(rootfs / "bin" / "opm"), "opm for " + platform.str() + "\n");
    auto config = configOf(repository, platform);
    EXPECT_EQ(config["config"]["Cmd"], nlohmann::json({"serve", "/configs"}));
    EXPECT_EQ(config["config"]["Entrypoint"], nlohmann::json({"/bin/opm"}));
    EXPECT_EQ(config["config"]["Labels"][catalog::kConfigsLabel], "/configs");
  }

  TemporaryDirectory work;
  FixtureBuilder builder{work.path() / "fixtures", 23};
  TestRegistry registry;
  FbcFiles fbc{{"foo/catalog.json", fbcPackage("foo", {"1.0.0", "1.1.0"})},
               {"bar/catalog.json", fbcPackage("bar", {"0.1.0"})}};
};

TEST_F(CatalogImageRegistryTest, IdenticalCatalogIsReadOnceRebuiltAndServesOnlyTheFilteredCatalog) {
  auto spec = identicalCatalog(fbc, {kAmd64, kArm64, kS390x});
  spec.attestation = true;
  auto original = buildCatalogImage(builder, "identical", spec);
  pushImage(registry, builder.layoutDir(), original, "catalog/identical", "v1");

  auto first = readRebuildAndPush("identical", "run1");
  ASSERT_EQ(first.image.platforms.size(), 3u);
  EXPECT_EQ(first.image.variants.size(), 1u);
  EXPECT_EQ(first.image.extractions, 1);
  ASSERT_TRUE(first.pushed.ok) << first.pushed.error;
  EXPECT_EQ(first.pushed.digest, first.rebuilt.top.digest);
  EXPECT_EQ(skopeoRaw(registry, "filtered/identical", "v1"), first.rebuilt.top.bytes);
  auto index = nlohmann::json::parse(first.rebuilt.top.bytes);
  EXPECT_EQ(index["manifests"].size(), 3u);  // the attestation of the original images is dropped

  for (const auto& platform : {kAmd64, kArm64, kS390x}) expectFiltered("identical", platform, first.filtered[0]);

  // Again from scratch: the same digest, and nothing is pushed.
  size_t putsBefore = countPuts(registry);
  auto second = readRebuildAndPush("identical", "run2");
  EXPECT_EQ(second.rebuilt.top.digest, first.rebuilt.top.digest);
  ASSERT_TRUE(second.pushed.ok) << second.pushed.error;
  EXPECT_TRUE(second.pushed.alreadyPresent);
  EXPECT_EQ(countPuts(registry), putsBefore);
}

TEST_F(CatalogImageRegistryTest, DivergentCatalogKeepsEachPlatformsOwnFilteredCatalog) {
  FbcFiles other{{"foo/catalog.json", fbcPackage("foo", {"1.0.0"})},
                 {"bar/catalog.json", fbcPackage("bar", {"0.2.0"})},
                 {"baz/catalog.json", fbcPackage("baz", {"3.0.0"})}};
  auto spec = divergentCatalog({{kAmd64, fbc}, {kArm64, other}});
  spec.docker = true;
  auto original = buildCatalogImage(builder, "divergent", spec);
  pushImage(registry, builder.layoutDir(), original, "catalog/divergent", "v1");

  auto result = readRebuildAndPush("divergent", "run1");
  ASSERT_EQ(result.image.variants.size(), 2u);
  EXPECT_EQ(result.image.extractions, 2);
  ASSERT_TRUE(result.pushed.ok) << result.pushed.error;
  EXPECT_EQ(nlohmann::json::parse(skopeoRaw(registry, "filtered/divergent", "v1"))["mediaType"],
            "application/vnd.docker.distribution.manifest.list.v2+json");

  expectFiltered("divergent", kAmd64, result.filtered[result.image.platforms[0].variant]);
  expectFiltered("divergent", kArm64, result.filtered[result.image.platforms[1].variant]);
  EXPECT_TRUE(fs::exists(result.filtered[result.image.platforms[1].variant] / "baz"));
}

TEST_F(CatalogImageRegistryTest, ConfigsSplitOverLayersWithAWhiteoutAreReadAsTheRuntimeSeesThem) {
  auto spec = splitCatalog(fbc,
                           {TarEntry::whiteout("configs/foo"), TarEntry::directory("configs/qux/"),
                            TarEntry::file("configs/qux/catalog.json", fbcPackage("qux", {"1.0.0"}))},
                           {kAmd64, kArm64});
  auto original = buildCatalogImage(builder, "split", spec);
  pushImage(registry, builder.layoutDir(), original, "catalog/split", "v1");

  auto result = readRebuildAndPush("split", "run1");
  ASSERT_EQ(result.image.variants.size(), 1u);
  std::vector<std::string> packages;
  for (const auto& package : result.image.variants[0].catalog.packages) packages.push_back(package.name);
  std::sort(packages.begin(), packages.end());
  EXPECT_EQ(packages, (std::vector<std::string>{"bar", "qux"}));
  ASSERT_TRUE(result.pushed.ok) << result.pushed.error;
  expectFiltered("split", kArm64, result.filtered[0]);
  EXPECT_EQ(filesUnder(result.filtered[0]).size(), 1u);  // qux only
}

}  // namespace
}  // namespace ferry::testing
