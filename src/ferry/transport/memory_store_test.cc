#include "ferry/transport/memory_store.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "ferry/base/error.h"
#include "support/error_kind.h"
#include "ferry/oci/media_types.h"

namespace ferry {
namespace {

RawManifest imageManifest(MemoryStore& store, const std::string& layerText, const std::string& subject = {}) {
  auto config = store.addBlob("{\"architecture\":\"amd64\",\"os\":\"linux\"}", std::string(media::kOciConfig));
  auto layer = store.addBlob(layerText);
  std::string subjectField =
      subject.empty() ? "" : fmt::format(R"(,"subject":{{"mediaType":"{}","digest":"{}","size":1}},"artifactType":"application/x-sig")",
                                         media::kOciManifest, subject);
  auto json = fmt::format(
      R"({{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{}","size":{}}},"layers":[{{"mediaType":"{}","digest":"{}","size":{}}}]{}}})",
      media::kOciManifest, config.mediaType, config.digest.str(), config.size, layer.mediaType, layer.digest.str(),
      layer.size, subjectField);
  return RawManifest::of(json, std::string(media::kOciManifest));
}

TEST(MemoryStore, RefusesAManifestWhoseBlobsAreMissingAsAStrictRegistryWould) {
  MemoryStore source("source");
  auto manifest = imageManifest(source, "layer");
  MemoryStore empty("empty");
  EXPECT_THROW(empty.putManifest(manifest, "v1", true), Error);
  EXPECT_FALSE(empty.hasManifest(manifest.digest));
  source.putManifest(manifest, "v1", true);
  EXPECT_EQ(source.tagged("v1"), manifest.digest);
  EXPECT_EQ(empty.count(MemoryStore::Call::Kind::PutManifest), 1u);
  EXPECT_EQ(source.count(MemoryStore::Call::Kind::PutManifest), 1u);
}

TEST(MemoryStore, InjectedFailuresFireAsOftenAsAsked) {
  MemoryStore store;
  auto blob = store.addBlob("bytes");
  store.failBlob(blob.digest, "disk on fire", 1);
  StringWriter sink;
  try {
    store.readBlob(blob, sink);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "disk on fire");
  }
  store.readBlob(blob, sink);
  EXPECT_EQ(sink.bytes, "bytes");
}

TEST(MemoryStore, CapabilitiesTagsReferrersAndDelete) {
  MemoryStore store;
  auto image = imageManifest(store, "a");
  store.addManifest(image, "v1");
  store.addManifest(image, "latest");
  auto signature = imageManifest(store, "sig", image.digest.str());
  store.addManifest(signature);

  auto* tags = capability<TagLister>(static_cast<ImageSource&>(store));
  ASSERT_NE(tags, nullptr);
  EXPECT_EQ(tags->listTags(), (std::vector<std::string>{"latest", "v1"}));

  auto referrers = store.listReferrers(image.digest);
  ASSERT_EQ(referrers.size(), 1u);
  EXPECT_EQ(referrers[0].digest, signature.digest);
  EXPECT_EQ(referrers[0].artifactType, "application/x-sig");
  EXPECT_TRUE(store.listReferrers(image.digest, "application/x-sbom").empty());

  store.deleteManifest(image.digest);
  EXPECT_FALSE(store.hasManifest(image.digest));
  EXPECT_TRUE(store.listTags().empty());
  EXPECT_EQ(testing::errorKindOf([&] { store.deleteManifest(image.digest); }), ErrorKind::NotFound);
}

}  // namespace
}  // namespace ferry
