#include "ferry/layout/oci_layout.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "support/error_kind.h"
#include "ferry/base/files.h"
#include "ferry/oci/media_types.h"

namespace ferry {
namespace {

RawManifest imageManifest(const std::string& configDigest) {
  std::string bytes = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{)"
                      R"("mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                      configDigest + R"(","size":2},"layers":[]})";
  return RawManifest::of(bytes, std::string(media::kOciManifest));
}

class OciLayoutTest : public ::testing::Test {
 protected:
  TemporaryDirectory dir;
  std::filesystem::path root = dir.path() / "layout";
};

TEST_F(OciLayoutTest, CreateWritesTheLayoutFiles) {
  OciLayout::create(root);
  EXPECT_EQ(nlohmann::json::parse(readFile(root / "oci-layout"))["imageLayoutVersion"], "1.0.0");
  EXPECT_TRUE(nlohmann::json::parse(readFile(root / "index.json"))["manifests"].empty());
  EXPECT_NO_THROW(OciLayout::open(root));
}

TEST_F(OciLayoutTest, OpenRefusesWhatIsNotALayout) {
  EXPECT_THROW(OciLayout::open(root), Error);
  std::filesystem::create_directories(root);
  try {
    OciLayout::open(root);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not an OCI image layout"), std::string::npos);
  }
}

TEST_F(OciLayoutTest, StoresBlobsAndTaggedManifests) {
  auto layout = OciLayout::create(root);
  auto config = Digest::sha256Of("{}");
  auto staged = dir.path() / "config";
  writeFileAtomically(staged, "{}");
  Descriptor blob{.mediaType = std::string(media::kOciConfig), .digest = config, .size = 2};
  EXPECT_FALSE(layout->reuseBlob(blob, std::nullopt));
  layout->putBlob(blob, staged);
  EXPECT_TRUE(layout->reuseBlob(blob, std::nullopt));
  EXPECT_EQ(readFile(root / "blobs" / config.blobPath()), "{}");

  auto manifest = imageManifest(config.str());
  layout->putManifest(manifest, std::string("v1"), true);
  layout->putManifest(manifest, std::string("v2"), true);
  layout->putManifest(manifest, std::string("v1"), true);  // re-tagging replaces, never duplicates
  EXPECT_EQ(layout->entries().size(), 2u);
  EXPECT_EQ(layout->manifestDigest("v1"), manifest.digest);
  EXPECT_EQ(layout->manifestDigest(manifest.digest.str()), manifest.digest);
  EXPECT_FALSE(layout->manifestDigest("v3"));

  auto read = layout->getManifest("v2");
  EXPECT_EQ(read.bytes, manifest.bytes);
  EXPECT_EQ(read.mediaType, media::kOciManifest);
  EXPECT_EQ(layout->getManifest(manifest.digest.str()).bytes, manifest.bytes);
}

TEST_F(OciLayoutTest, ChildManifestsAreNotListedInIndexJson) {
  auto layout = OciLayout::create(root);
  auto manifest = imageManifest(Digest::sha256Of("x").str());
  layout->putManifest(manifest, std::nullopt, false);
  EXPECT_TRUE(layout->entries().empty());
  EXPECT_TRUE(std::filesystem::exists(root / "blobs" / manifest.digest.blobPath()));
  layout->putManifest(manifest, std::nullopt, true);  // an untagged root is listed
  ASSERT_EQ(layout->entries().size(), 1u);
  EXPECT_TRUE(layout->entries()[0].annotations.empty());
}

TEST_F(OciLayoutTest, ReadsFullReferenceNamesAndTheSingleImageRule) {
  auto layout = OciLayout::create(root);
  auto manifest = imageManifest(Digest::sha256Of("y").str());
  layout->putManifest(manifest, std::string("quay.io/org/app:v5"), true);
  EXPECT_EQ(layout->getManifest("v5").digest, manifest.digest);
  EXPECT_EQ(layout->getManifest("latest").digest, manifest.digest);  // the only image
  EXPECT_FALSE(layout->manifestDigest("latest"));                   // but a destination needs the exact tag
  try {
    layout->getManifest("v6");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("it holds: quay.io/org/app:v5"), std::string::npos) << e.what();
  }
}

TEST_F(OciLayoutTest, RefusesAManifestThatDoesNotMatchItsDigest) {
  auto layout = OciLayout::create(root);
  auto manifest = imageManifest(Digest::sha256Of("z").str());
  layout->putManifest(manifest, std::string("v1"), true);
  writeFileAtomically(root / "blobs" / manifest.digest.blobPath(), manifest.bytes + " ");
  try {
    layout->getManifest("v1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not match its digest"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ferry

namespace ferry {
namespace {

TEST(OciLayoutCapabilities, ListsTagsFromIndexJsonAndDeletesEntries) {
  TemporaryDirectory dir;
  auto layout = OciLayout::create(dir.path() / "layout");
  auto one = imageManifest(Digest::sha256Of("a").str());
  auto two = imageManifest(Digest::sha256Of("b").str());
  layout->putManifest(one, "v1", true);
  layout->putManifest(one, "registry.example:5000/team/app:latest", true);
  layout->putManifest(two, std::nullopt, true);

  auto* tags = capability<TagLister>(static_cast<ImageSource&>(*layout));
  ASSERT_NE(tags, nullptr);
  EXPECT_EQ(tags->listTags(), (std::vector<std::string>{"v1", "latest"}));

  capability<ManifestDeleter>(static_cast<ImageSink&>(*layout))->deleteManifest(one.digest);
  EXPECT_TRUE(layout->listTags().empty());
  ASSERT_EQ(layout->entries().size(), 1u);
  EXPECT_EQ(layout->entries()[0].digest, two.digest);
  EXPECT_EQ(testing::errorKindOf([&] { layout->deleteManifest(one.digest); }), ErrorKind::NotFound);
}

}  // namespace
}  // namespace ferry
