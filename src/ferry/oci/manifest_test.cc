#include "ferry/oci/manifest.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"
#include "ferry/oci/media_types.h"

namespace ferry {

const std::string kA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const std::string kC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

TEST(Manifest, DockerSchema2) {
  std::string bytes = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" + kA + R"(","size":10},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" + kB + R"(","size":20}]})";
  auto manifest = Manifest::parse(bytes, "");
  EXPECT_EQ(manifest.mediaType, media::kDockerManifest);
  EXPECT_FALSE(manifest.isIndex);
  ASSERT_EQ(manifest.blobs().size(), 2u);
  EXPECT_EQ(manifest.blobs()[0].digest.str(), kA);
  EXPECT_EQ(manifest.blobs()[1].size, 20);
}

TEST(Manifest, OciIndexWithPlatformsSubjectAndAnnotations) {
  std::string bytes = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
    "artifactType":"application/x-test",
    "manifests":[
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kA + R"(","size":1,
       "platform":{"os":"linux","architecture":"arm64","variant":"v8","os.version":"1"}},
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kB + R"(","size":2,
       "platform":{"os":"unknown","architecture":"unknown"},
       "annotations":{"vnd.docker.reference.digest":")" + kA + R"("}}],
    "subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kC + R"(","size":3},
    "annotations":{"org.opencontainers.image.ref.name":"v1"}})";
  auto index = Manifest::parse(bytes, "");
  EXPECT_TRUE(index.isIndex);
  ASSERT_EQ(index.manifests.size(), 2u);
  EXPECT_EQ(index.manifests[0].platform->str(), "linux/arm64/v8");
  EXPECT_EQ(index.manifests[0].platform->osVersion, "1");
  EXPECT_FALSE(index.manifests[1].platform->isReal());
  EXPECT_EQ(index.manifests[1].annotations.at("vnd.docker.reference.digest"), kA);
  EXPECT_EQ(index.subject->digest.str(), kC);
  EXPECT_EQ(index.artifactType, "application/x-test");
  EXPECT_EQ(index.annotations.at("org.opencontainers.image.ref.name"), "v1");
  EXPECT_TRUE(index.blobs().empty());
}

TEST(Manifest, MediaTypeFromServedTypeOrShape) {
  std::string index = R"({"schemaVersion":2,"manifests":[]})";
  EXPECT_EQ(Manifest::parse(index, media::kDockerManifestList).mediaType, media::kDockerManifestList);
  EXPECT_EQ(Manifest::parse(index, "").mediaType, media::kOciIndex);
  std::string image = R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + kA + R"(","size":1},"layers":[]})";
  EXPECT_EQ(Manifest::parse(image, "application/json").mediaType, media::kOciManifest);
}

TEST(Manifest, ArtifactManifestBlobs) {
  std::string bytes = R"({"mediaType":"application/vnd.oci.artifact.manifest.v1+json","artifactType":"x",
    "blobs":[{"mediaType":"x","digest":")" + kA + R"(","size":5}]})";
  auto manifest = Manifest::parse(bytes, "");
  ASSERT_EQ(manifest.blobs().size(), 1u);
  EXPECT_EQ(manifest.blobs()[0].digest.str(), kA);
}

TEST(Manifest, RefusesSchema1WithAClearMessage) {
  try {
    Manifest::parse(R"({"schemaVersion":1,"name":"x","fsLayers":[]})", "");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("schema 1"), std::string::npos);
  }
  EXPECT_THROW(Manifest::parse("{}", media::kDockerSchema1Signed), Error);
}

TEST(Manifest, RefusesMalformedInput) {
  EXPECT_THROW(Manifest::parse("not json", ""), Error);
  // A fuzz finding: a schemaVersion that is not a number escaped as a JSON type error, not an Error.
  try {
    (void)Manifest::parse(R"({"schemaVersion":[]})", "");
  } catch (const Error&) {
  }
  EXPECT_THROW(Manifest::parse(R"({"manifests":[{"digest":"sha256:short","size":1}]})", ""), Error);
  EXPECT_THROW(Manifest::parse(R"({"manifests":[{"digest":")" + kA + R"("}]})", ""), Error);
  EXPECT_THROW(Manifest::parse(R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]})", ""), Error);
}

TEST(Manifest, ImageConfigPlatform) {
  auto config = ImageConfig::parse(R"({"os":"linux","architecture":"arm","variant":"v7","os.version":"x"})");
  EXPECT_EQ(config.platform.str(), "linux/arm/v7");
  EXPECT_EQ(config.platform.osVersion, "x");
}

TEST(Manifest, RawManifestDigest) {
  auto raw = RawManifest::of("{}", std::string(media::kOciManifest));
  EXPECT_EQ(raw.digest, Digest::sha256Of("{}"));
}

}  // namespace ferry
