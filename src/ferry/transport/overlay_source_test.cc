#include "ferry/transport/overlay_source.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/layout/oci_layout.h"
#include "ferry/oci/media_types.h"

namespace ferry {
namespace {


Descriptor blobOf(const std::string& bytes) {
  return Descriptor{.mediaType = "application/octet-stream",
                    .digest = Digest::sha256Of(bytes),
                    .size = static_cast<int64_t>(bytes.size())};
}

RawManifest manifestWithConfig(const Descriptor& config) {
  std::string bytes = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{)"
                      R"("mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                      config.digest.str() + R"(","size":)" + std::to_string(config.size) + R"(},"layers":[]})";
  return RawManifest::of(bytes, std::string(media::kOciManifest));
}

class OverlaySourceTest : public ::testing::Test {
 protected:
  TemporaryDirectory dir;
  std::shared_ptr<OciLayout> overlay = OciLayout::create(dir.path() / "overlay");
  std::shared_ptr<OciLayout> base = OciLayout::create(dir.path() / "base");
  OverlaySource source{overlay, base};
};

TEST_F(OverlaySourceTest, ReadsTheOverlayFirstAndTheBaseForTheRest) {
  auto inOverlay = blobOf("new config");
  auto inBase = blobOf("original layer");
  overlay->putBlobBytes(inOverlay, "new config");
  base->putBlobBytes(inBase, "original layer");
  auto rebuilt = manifestWithConfig(inOverlay);
  auto original = manifestWithConfig(inBase);
  overlay->putManifest(rebuilt, std::string("v1"), true);
  base->putManifest(original, std::string("v1"), true);
  base->putManifest(original, std::string("old"), true);

  EXPECT_EQ(source.getManifest("v1").digest, rebuilt.digest);     // the overlay's tag wins
  EXPECT_EQ(source.getManifest("old").digest, original.digest);   // only the base has it
  EXPECT_EQ(source.getManifest(original.digest.str()).bytes, original.bytes);

  StringWriter first, second;
  source.readBlob(inOverlay, first);
  source.readBlob(inBase, second);
  EXPECT_EQ(first.bytes, "new config");
  EXPECT_EQ(second.bytes, "original layer");
  EXPECT_EQ(source.blobFile(inOverlay), dir.path() / "overlay" / "blobs" / inOverlay.digest.blobPath());
  EXPECT_EQ(source.blobFile(inBase), dir.path() / "base" / "blobs" / inBase.digest.blobPath());
}

TEST_F(OverlaySourceTest, SaysWhatBothAnsweredWhenNeitherHasIt) {
  auto missing = blobOf("nowhere");
  StringWriter writer;
  try {
    source.readBlob(missing, writer);
    FAIL() << "a missing blob was read";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find(missing.digest.str()), std::string::npos) << message;
    EXPECT_NE(message.find((dir.path() / "overlay").string()), std::string::npos) << message;
    EXPECT_NE(message.find((dir.path() / "base").string()), std::string::npos) << message;
  }
  EXPECT_THROW(source.getManifest("nothing"), Error);
  EXPECT_FALSE(source.blobFile(missing));
}

}  // namespace
}  // namespace ferry
