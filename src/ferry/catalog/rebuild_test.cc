#include "ferry/filter/filter.h"
#include "ferry/catalog/rebuild.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/imagefs/layer_extract.h"
#include "ferry/fbc/write.h"
#include "ferry/transport/image_graph.h"
#include "ferry/transport/overlay_source.h"
#include "support/catalog_images.h"

namespace ferry::catalog {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::FbcFiles;
using testing::filesUnder;

const testing::Platform kAmd64{"linux", "amd64", ""};
const testing::Platform kArm64{"linux", "arm64", "v8"};

TEST(ServeCommand, OpmServeLosesItsCacheFlagsAndServesTheConfigsDirectory) {
  ContainerCommand usual{{"/bin/opm"}, {"serve", "/configs", "--cache-dir=/tmp/cache"}};
  EXPECT_EQ(serveWithoutCache(usual, "/configs"), (ContainerCommand{{"/bin/opm"}, {"serve", "/configs"}}));

  ContainerCommand flags{{}, {"/bin/opm", "serve", "--cache-dir", "/tmp/cache", "-p", "50051", "/configs",
                              "--cache-only", "--cache-enforce-integrity=false", "--termination-log", "/dev/log"}};
  EXPECT_EQ(serveWithoutCache(flags, "/configs"),
            (ContainerCommand{{}, {"/bin/opm", "serve", "/configs", "-p", "50051", "--termination-log", "/dev/log"}}));

  ContainerCommand inEntrypoint{{"/bin/opm", "serve"}, {"/configs", "--cache-dir=/tmp/cache"}};
  EXPECT_EQ(serveWithoutCache(inEntrypoint, "/configs"), (ContainerCommand{{"/bin/opm", "serve", "/configs"}, {}}));

  EXPECT_FALSE(serveWithoutCache(ContainerCommand{{"/bin/sh"}, {"-c", "sleep 1"}}, "/configs"));
}

TEST(ServeCommand, CacheDirectoriesAreReadFromEitherSpelling) {
  EXPECT_EQ(opmCacheDirectories({{"/bin/opm"}, {"serve", "/configs", "--cache-dir=/tmp/cache"}}, ""),
            (std::vector<std::string>{"tmp/cache"}));
  EXPECT_EQ(opmCacheDirectories({{"/bin/opm", "serve", "--cache-dir", "/var/cache/opm/"}, {}}, ""),
            (std::vector<std::string>{"var/cache/opm"}));
  EXPECT_EQ(opmCacheDirectories({{}, {"serve", "--cache-dir=cache"}}, "/srv"), (std::vector<std::string>{"srv/cache"}));
  EXPECT_TRUE(opmCacheDirectories({{}, {"serve", "--cache-dir=/"}}, "").empty());
  EXPECT_TRUE(opmCacheDirectories({{}, {"serve", "/configs"}}, "").empty());
}

class RebuildTest : public ::testing::Test {
 protected:
  // Reads the catalog `tag`, writes each variant without package "bar", rebuilds into `out`.
  RebuiltCatalog rebuild(const std::string& tag, const fs::path& out) {
    auto source = OciLayout::open(layoutDir);
    image = readCatalogImage(*source, ImageReference::parse("oci:" + layoutDir.string() + ":" + tag), work);
    std::vector<fs::path> filtered;
    for (size_t v = 0; v < image->variants.size(); ++v) {
      auto directory = dir.path() / ("filtered-" + tag + "-" + std::to_string(v));
      if (!fs::exists(directory)) writeCatalog(withoutPackages(image->variants[v].catalog, {"bar"}), directory);
      filtered.push_back(directory);
    }
    auto layout = OciLayout::create(out);
    return rebuildCatalogImage(*image, filtered, *source, *layout, RebuildOptions{.tag = tag});
  }

  TemporaryDirectory dir;
  fs::path layoutDir = dir.path() / "layout";
  fs::path work = dir.path() / "work";
  testing::FixtureBuilder builder{layoutDir, 9};
  FbcFiles fbc{{"foo/catalog.json", testing::fbcPackage("foo", {"1.0.0", "1.1.0"})},
               {"bar/catalog.json", testing::fbcPackage("bar", {"0.1.0"})}};
  std::optional<CatalogImage> image;
};

TEST_F(RebuildTest, TheSameInputGivesTheSameBytes) {
  auto spec = testing::identicalCatalog(fbc, {kAmd64, kArm64});
  spec.attestation = true;
  testing::buildCatalogImage(builder, "catalog", spec);
  auto first = rebuild("catalog", dir.path() / "out1");
  auto second = rebuild("catalog", dir.path() / "out2");
  EXPECT_EQ(first.top.digest, second.top.digest);
  EXPECT_EQ(first.top.bytes, second.top.bytes);
  // Every blob and manifest written is the same file in both outputs.
  EXPECT_EQ(filesUnder(dir.path() / "out1" / "blobs"), filesUnder(dir.path() / "out2" / "blobs"));
}

TEST_F(RebuildTest, EachPlatformGetsAWhiteoutLayerAndTheFilteredCatalog) {
  auto spec = testing::identicalCatalog(fbc, {kAmd64, kArm64});
  spec.attestation = true;
  auto original = testing::buildCatalogImage(builder, "catalog", spec);
  auto out = dir.path() / "out";
  auto rebuilt = rebuild("catalog", out);

  auto index = json::parse(rebuilt.top.bytes);
  EXPECT_EQ(index["mediaType"], "application/vnd.oci.image.index.v1+json");
  ASSERT_EQ(index["manifests"].size(), 2u);  // the attestation is dropped
  EXPECT_EQ(index["manifests"][0]["platform"]["architecture"], "amd64");
  EXPECT_EQ(index["manifests"][1]["platform"]["variant"], "v8");
  EXPECT_EQ(OciLayout::open(out)->manifestDigest("catalog"), rebuilt.top.digest);

  auto layout = OciLayout::open(out);
  auto source = OciLayout::open(layoutDir);
  OverlaySource overlay(layout, source);
  auto graph = fetchImageGraph(overlay, rebuilt.top.digest.str());
  for (size_t i = 0; i < 2; ++i) {
    const auto& child = graph.children[i];
    const auto& before = image->graph.children[i];
    ASSERT_EQ(child.manifest.layers.size(), before.manifest.layers.size() + 2);
    for (size_t l = 0; l < before.manifest.layers.size(); ++l)
      EXPECT_EQ(child.manifest.layers[l].digest, before.manifest.layers[l].digest);  // kept, not copied
    EXPECT_FALSE(fs::exists(out / "blobs" / before.manifest.layers[0].digest.blobPath()));
    EXPECT_EQ(child.manifest.layers.back().mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");

    auto config = json::parse(readSmallBlob(overlay, *child.manifest.config));
    EXPECT_EQ(config["config"]["Cmd"], json({"serve", "/configs"}));
    EXPECT_EQ(config["config"]["Entrypoint"], json({"/bin/opm"}));
    EXPECT_EQ(config["config"]["Labels"][kConfigsLabel], "/configs");
    EXPECT_EQ(config["rootfs"]["diff_ids"].size(), child.manifest.layers.size());
    EXPECT_EQ(config["history"].back()["created_by"], "ferry: filtered catalog");
    EXPECT_EQ(config["history"].back()["created"], "2024-01-01T00:00:00Z");
    EXPECT_EQ(config["architecture"], i == 0 ? "amd64" : "arm64");

    // Applying all layers leaves the filtered catalog in /configs and no /tmp/cache.
    DirectoryExtractor configs("configs", dir.path() / ("configs" + std::to_string(i)));
    DirectoryExtractor cache("tmp/cache", dir.path() / ("cache" + std::to_string(i)));
    for (const auto& layer : child.manifest.layers) {
      for (auto* extractor : {&configs, &cache}) {
        BlobStream stream(overlay, layer, "rebuilt");
        BlobLayerBytes bytes(stream);
        extractor->apply(bytes, layerCompression(layer.mediaType), layer.digest.str());
      }
    }
    EXPECT_FALSE(cache.directoryExists());
    EXPECT_EQ(filesUnder(configs.target()), filesUnder(dir.path() / "filtered-catalog-0"));
    EXPECT_FALSE(fs::exists(configs.target() / "bar"));
  }
  // Both platforms share the new layers: one variant, one configs path.
  EXPECT_EQ(graph.children[0].manifest.layers.back().digest, graph.children[1].manifest.layers.back().digest);
  EXPECT_NE(original.digest, rebuilt.top.digest);
}

TEST_F(RebuildTest, DockerListsStayDockerAndDivergentPlatformsGetTheirOwnCatalog) {
  FbcFiles other{{"foo/catalog.json", testing::fbcPackage("foo", {"1.0.0"})},
                 {"bar/catalog.json", testing::fbcPackage("bar", {"0.2.0"})}};
  auto spec = testing::divergentCatalog({{kAmd64, fbc}, {kArm64, other}});
  spec.docker = true;
  testing::buildCatalogImage(builder, "docker", spec);
  auto rebuilt = rebuild("docker", dir.path() / "out");
  EXPECT_EQ(rebuilt.top.mediaType, "application/vnd.docker.distribution.manifest.list.v2+json");
  auto layout = OciLayout::open(dir.path() / "out");
  auto source = OciLayout::open(layoutDir);
  OverlaySource overlay(layout, source);
  auto graph = fetchImageGraph(overlay, rebuilt.top.digest.str());
  ASSERT_EQ(graph.children.size(), 2u);
  for (const auto& child : graph.children) {
    EXPECT_EQ(child.manifest.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
    EXPECT_EQ(child.manifest.layers.back().mediaType, "application/vnd.docker.image.rootfs.diff.tar.gzip");
  }
  EXPECT_NE(graph.children[0].manifest.layers.back().digest, graph.children[1].manifest.layers.back().digest);
  // Whiteout layers are the same: the same paths are removed on both.
  auto whiteouts = graph.children[0].manifest.layers.size() - 2;
  EXPECT_EQ(graph.children[0].manifest.layers[whiteouts].digest, graph.children[1].manifest.layers[whiteouts].digest);
}

TEST_F(RebuildTest, ASingleImageStaysASingleImage) {
  auto spec = testing::identicalCatalog(fbc, {kArm64});
  spec.index = false;
  testing::buildCatalogImage(builder, "single", spec);
  auto rebuilt = rebuild("single", dir.path() / "out");
  auto manifest = Manifest::parse(rebuilt.top.bytes, rebuilt.top.mediaType);
  EXPECT_FALSE(manifest.isIndex);
  EXPECT_EQ(manifest.layers.size(), 5u);  // base, configs, cache + whiteouts, catalog
}

}  // namespace
}  // namespace ferry::catalog
