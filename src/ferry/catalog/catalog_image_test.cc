#include "ferry/catalog/catalog_image.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/layout/oci_layout.h"
#include "support/catalog_images.h"

namespace ferry::catalog {
namespace {

namespace fs = std::filesystem;
using testing::CatalogImageSpec;
using testing::FbcFiles;
using testing::TarEntry;

const testing::Platform kAmd64{"linux", "amd64", ""};
const testing::Platform kArm64{"linux", "arm64", "v8"};
const testing::Platform kS390x{"linux", "s390x", ""};

std::vector<std::string> packageNames(const Catalog& catalog) {
  std::vector<std::string> names;
  for (const auto& package : catalog.packages) names.push_back(package.name);
  std::sort(names.begin(), names.end());
  return names;
}

class CatalogImageTest : public ::testing::Test {
 protected:
  CatalogImage read(const std::string& tag) {
    auto source = OciLayout::open(layoutDir);
    return readCatalogImage(*source, ImageReference::parse("oci:" + layoutDir.string() + ":" + tag), work);
  }
  std::string readError(const std::string& tag) {
    try {
      read(tag);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }

  TemporaryDirectory dir;
  fs::path layoutDir = dir.path() / "layout";
  fs::path work = dir.path() / "work";
  testing::FixtureBuilder builder{layoutDir, 7};
  FbcFiles fbc{{"foo/catalog.json", testing::fbcPackage("foo", {"1.0.0", "1.1.0"})},
               {"bar/catalog.json", testing::fbcPackage("bar", {"0.1.0"})}};
};

TEST_F(CatalogImageTest, IdenticalPlatformsAreExtractedAndLoadedOnce) {
  auto spec = testing::identicalCatalog(fbc, {kAmd64, kArm64, kS390x});
  spec.attestation = true;
  testing::buildCatalogImage(builder, "identical", spec);
  auto image = read("identical");
  ASSERT_EQ(image.platforms.size(), 3u);  // the attestation is not a platform
  EXPECT_EQ(image.platforms[0].platform.str(), "linux/amd64");
  EXPECT_EQ(image.platforms[1].platform.str(), "linux/arm64/v8");
  EXPECT_EQ(image.platforms[2].configsDir, "/configs");
  ASSERT_EQ(image.variants.size(), 1u);
  EXPECT_EQ(image.extractions, 1);
  EXPECT_EQ(image.variants[0].platforms, (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(packageNames(image.variants[0].catalog), (std::vector<std::string>{"bar", "foo"}));
  EXPECT_EQ(image.variants[0].directory, work / image.variants[0].contentKey);
  EXPECT_EQ(readFile(image.variants[0].directory / "foo" / "catalog.json"), fbc["foo/catalog.json"]);
  EXPECT_FALSE(fs::exists(image.variants[0].directory / "bin"));
  // Only the variant's directory is left in the work directory.
  EXPECT_EQ(std::distance(fs::directory_iterator(work), fs::directory_iterator()), 1);
}

TEST_F(CatalogImageTest, DivergentPlatformsGetAVariantEach) {
  FbcFiles other{{"foo/catalog.json", testing::fbcPackage("foo", {"1.0.0"})}};
  testing::buildCatalogImage(builder, "divergent", testing::divergentCatalog({{kAmd64, fbc}, {kArm64, other}, {kS390x, fbc}}));
  auto image = read("divergent");
  ASSERT_EQ(image.variants.size(), 2u);
  EXPECT_EQ(image.extractions, 2);  // s390x has amd64's configs layer
  EXPECT_EQ(image.variants[0].platforms, (std::vector<size_t>{0, 2}));
  EXPECT_EQ(image.variants[1].platforms, (std::vector<size_t>{1}));
  EXPECT_EQ(image.platforms[1].variant, 1u);
  EXPECT_EQ(packageNames(image.variants[1].catalog), (std::vector<std::string>{"foo"}));
  EXPECT_EQ(image.variants[1].catalog.bundles.size(), 1u);
}

TEST_F(CatalogImageTest, DifferentLayersWithTheSameFilesShareAVariant) {
  CatalogImageSpec spec;
  auto entries = testing::configsEntries(fbc);
  auto reordered = entries;
  std::reverse(reordered.begin() + 1, reordered.end());  // other tar bytes, same files
  spec.platforms = {{kAmd64, {entries}}, {kArm64, {reordered}}};
  testing::buildCatalogImage(builder, "reordered", spec);
  auto image = read("reordered");
  EXPECT_EQ(image.extractions, 2);
  EXPECT_EQ(image.variants.size(), 1u);
}

TEST_F(CatalogImageTest, LayersWithWhiteoutsAreAppliedInOrder) {
  auto spec = testing::splitCatalog(
      fbc,
      {TarEntry::whiteout("configs/bar"), TarEntry::directory("configs/baz/"),
       TarEntry::file("configs/baz/catalog.json", testing::fbcPackage("baz", {"2.0.0"}))},
      {kAmd64, kArm64});
  spec.docker = true;
  testing::buildCatalogImage(builder, "split", spec);
  auto image = read("split");
  ASSERT_EQ(image.variants.size(), 1u);
  EXPECT_EQ(image.extractions, 1);
  EXPECT_EQ(packageNames(image.variants[0].catalog), (std::vector<std::string>{"baz", "foo"}));
  EXPECT_FALSE(fs::exists(image.variants[0].directory / "bar"));
}

TEST_F(CatalogImageTest, ASingleImageCatalogTakesItsPlatformFromTheConfig) {
  CatalogImageSpec spec = testing::identicalCatalog(fbc, {kArm64});
  spec.index = false;
  spec.configsLabel = "/var/lib/catalog/";
  spec.platforms[0].configsLayers = {testing::configsEntries(fbc, "var/lib/catalog")};
  testing::buildCatalogImage(builder, "single", spec);
  auto image = read("single");
  ASSERT_EQ(image.platforms.size(), 1u);
  EXPECT_EQ(image.platforms[0].platform.str(), "linux/arm64/v8");
  EXPECT_EQ(image.platforms[0].configsDir, "/var/lib/catalog");
  EXPECT_EQ(packageNames(image.variants[0].catalog), (std::vector<std::string>{"bar", "foo"}));
}

TEST_F(CatalogImageTest, ImagesThatAreNotFileBasedCatalogsAreRefusedClearly) {
  auto spec = testing::identicalCatalog(fbc, {kAmd64});
  spec.labels = {{"org.opencontainers.image.title", "an application"}};
  testing::buildCatalogImage(builder, "app", spec);
  auto message = readError("app");
  EXPECT_NE(message.find("is not an operator catalog image (no label operators.operatorframework.io.index.configs.v1"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("(linux/amd64)"), std::string::npos) << message;

  spec.labels = {{kSqliteLabel, "/database/index.db"}};
  testing::buildCatalogImage(builder, "sqlite", spec);
  message = readError("sqlite");
  EXPECT_NE(message.find("SQLite-based operator catalog"), std::string::npos) << message;

  auto empty = testing::identicalCatalog(fbc, {kAmd64});
  empty.platforms[0].configsLayers.clear();
  testing::buildCatalogImage(builder, "empty", empty);
  message = readError("empty");
  EXPECT_NE(message.find("has nothing in /configs"), std::string::npos) << message;
}

}  // namespace
}  // namespace ferry::catalog
