// The copy engine against in-memory stores: the order of what reaches the
// destination, what moves once, and what a failure leaves behind.
#include "ferry/copy/copier.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>

#include "ferry/oci/media_types.h"
#include "ferry/transport/memory_store.h"

namespace ferry {
namespace {

using Kind = MemoryStore::Call::Kind;

// Builds images in a source store.
class Images {
 public:
  explicit Images(MemoryStore& store) : store_(store) {}

  // An image manifest with a config and the given layers (their text).
  RawManifest manifest(const std::vector<std::string>& layers, const std::string& arch = "amd64") {
    auto config = store_.addBlob(fmt::format(R"({{"architecture":"{}","os":"linux","n":{}}})", arch, counter_++),
                                 std::string(media::kOciConfig));
    std::string layerJson;
    for (const auto& text : layers) {
      auto layer = store_.addBlob(text);
      if (!layerJson.empty()) layerJson += ",";
      layerJson += fmt::format(R"({{"mediaType":"{}","digest":"{}","size":{}}})", layer.mediaType, layer.digest.str(),
                               layer.size);
    }
    auto raw = RawManifest::of(
        fmt::format(R"({{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{}","size":{}}},"layers":[{}]}})",
                    media::kOciManifest, config.mediaType, config.digest.str(), config.size, layerJson),
        std::string(media::kOciManifest));
    store_.addManifest(raw);
    return raw;
  }

  RawManifest index(const std::vector<RawManifest>& children) {
    std::string entries;
    const char* arches[] = {"amd64", "arm64", "s390x", "ppc64le"};
    for (size_t i = 0; i < children.size(); ++i) {
      if (!entries.empty()) entries += ",";
      entries += fmt::format(R"({{"mediaType":"{}","digest":"{}","size":{},"platform":{{"architecture":"{}","os":"linux"}}}})",
                             children[i].mediaType, children[i].digest.str(), children[i].bytes.size(), arches[i % 4]);
    }
    auto raw = RawManifest::of(
        fmt::format(R"({{"schemaVersion":2,"mediaType":"{}","manifests":[{}]}})", media::kOciIndex, entries),
        std::string(media::kOciIndex));
    store_.addManifest(raw);
    return raw;
  }

  void tag(const RawManifest& raw, const std::string& tag) { store_.addManifest(raw, tag); }

 private:
  MemoryStore& store_;
  int counter_ = 0;
};

class CopierTest : public ::testing::Test {
 protected:
  std::shared_ptr<MemoryStore> source = std::make_shared<MemoryStore>("source");
  std::shared_ptr<MemoryStore> destination = std::make_shared<MemoryStore>("destination");
  Images images{*source};
  Endpoints endpoints{EndpointOptions{}};

  CopyRequest request(const std::string& sourceTag, const std::string& destinationTag,
                      std::shared_ptr<MemoryStore> to = nullptr) {
    return CopyRequest{.source = ImageReference::parse("docker://source.example/app:" + sourceTag),
                       .destination = ImageReference::parse("docker://destination.example/app:" + destinationTag),
                       .from = source,
                       .to = to ? to : destination};
  }

  std::vector<CopyResult> copy(const std::vector<CopyRequest>& requests, int parallel = 4) {
    Copier copier(endpoints, CopyOptions{.parallel = parallel});
    auto results = copier.run(requests);
    lastProgress.imagesTotal = copier.progress().imagesTotal.load();
    lastProgress.blobsTotal = copier.progress().blobsTotal.load();
    lastProgress.bytesTotal = copier.progress().bytesTotal.load();
    lastProgress.bytesDone = copier.progress().bytesDone.load() + copier.progress().bytesReused.load();
    return results;
  }

  struct {
    int64_t imagesTotal = 0, blobsTotal = 0, bytesTotal = 0, bytesDone = 0;
  } lastProgress;
};

// The position of the first call of `kind` for `target` at the destination.
size_t positionOf(const std::vector<MemoryStore::Call>& calls, Kind kind, const std::string& target) {
  for (size_t i = 0; i < calls.size(); ++i)
    if (calls[i].kind == kind && calls[i].target == target) return i;
  ADD_FAILURE() << "no call for " << target;
  return calls.size();
}

TEST_F(CopierTest, BlobsComeBeforeAnyManifestChildrenBeforeTheIndexAndTheTagLast) {
  auto amd = images.manifest({"a1", "a2"});
  auto arm = images.manifest({"b1"}, "arm64");
  auto list = images.index({amd, arm});
  images.tag(list, "v1");

  auto results = copy({request("v1", "v1")});
  ASSERT_TRUE(results[0].ok) << results[0].error;
  EXPECT_EQ(destination->tagged("v1"), list.digest);

  auto calls = destination->calls();
  size_t lastBlob = 0, firstManifest = calls.size();
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].kind == Kind::PutBlob || calls[i].kind == Kind::ReuseBlob) lastBlob = std::max(lastBlob, i);
    if (calls[i].kind == Kind::PutManifest) firstManifest = std::min(firstManifest, i);
  }
  EXPECT_LT(lastBlob, firstManifest);
  size_t index = positionOf(calls, Kind::PutManifest, list.digest.str());
  EXPECT_LT(positionOf(calls, Kind::PutManifest, amd.digest.str()), index);
  EXPECT_LT(positionOf(calls, Kind::PutManifest, arm.digest.str()), index);
  // The tag goes with the last push, and only with it.
  for (const auto& call : calls) {
    if (call.kind == Kind::PutManifest) {
      EXPECT_EQ(call.tag.has_value(), call.target == list.digest.str());
    }
  }
  EXPECT_EQ(calls.back().kind, Kind::PutManifest);
  EXPECT_EQ(calls.back().tag, "v1");
}

TEST_F(CopierTest, ABlobSharedByImagesMovesOncePerBlobScope) {
  std::vector<CopyRequest> requests;
  std::vector<RawManifest> manifests;
  for (int i = 0; i < 5; ++i) {
    manifests.push_back(images.manifest({"shared base layer", fmt::format("own layer {}", i)}));
    images.tag(manifests.back(), fmt::format("t{}", i));
    requests.push_back(request(fmt::format("t{}", i), fmt::format("t{}", i)));
  }
  auto other = std::make_shared<MemoryStore>("other");
  requests.push_back(request("t0", "t0", other));

  auto results = copy(requests);
  for (const auto& result : results) ASSERT_TRUE(result.ok) << result.error;
  auto shared = Digest::sha256Of("shared base layer").str();
  EXPECT_EQ(destination->count(Kind::PutBlob, shared), 1u);
  EXPECT_EQ(destination->count(Kind::ReuseBlob, shared), 1u);
  EXPECT_EQ(source->count(Kind::ReadBlob, shared), 2u);  // once for each of the two blob scopes
  EXPECT_EQ(other->count(Kind::PutBlob, shared), 1u);
  // Distinct blobs per scope: 5 configs + 5 own layers + 1 shared here, 3 in "other".
  EXPECT_EQ(destination->count(Kind::PutBlob), 11u);
  EXPECT_EQ(lastProgress.blobsTotal, 14);
}

TEST_F(CopierTest, AFailingBlobLeavesNoManifestOfThatImage) {
  auto amd = images.manifest({"good layer"});
  auto arm = images.manifest({"bad layer"}, "arm64");
  auto list = images.index({amd, arm});
  images.tag(list, "v1");
  auto fine = images.manifest({"another"});
  images.tag(fine, "fine");
  source->failBlob(Digest::sha256Of("bad layer"), "read error on the bad layer");

  auto results = copy({request("v1", "v1"), request("fine", "fine")});
  EXPECT_FALSE(results[0].ok);
  EXPECT_NE(results[0].error.find("read error on the bad layer"), std::string::npos) << results[0].error;
  EXPECT_EQ(destination->count(Kind::PutManifest, amd.digest.str()), 0u);
  EXPECT_EQ(destination->count(Kind::PutManifest, arm.digest.str()), 0u);
  EXPECT_EQ(destination->count(Kind::PutManifest, list.digest.str()), 0u);
  EXPECT_FALSE(destination->tagged("v1"));
  // The other image is not held back.
  ASSERT_TRUE(results[1].ok) << results[1].error;
  EXPECT_EQ(destination->tagged("fine"), fine.digest);
}

TEST_F(CopierTest, ARefusedChildManifestLeavesNoIndexOrTag) {
  auto amd = images.manifest({"l1"});
  auto arm = images.manifest({"l2"}, "arm64");
  auto list = images.index({amd, arm});
  images.tag(list, "v1");
  destination->failManifest(arm.digest.str(), "MANIFEST_INVALID");

  auto results = copy({request("v1", "v1")});
  EXPECT_FALSE(results[0].ok);
  EXPECT_FALSE(destination->hasManifest(list.digest));
  EXPECT_FALSE(destination->tagged("v1"));
}

TEST_F(CopierTest, ReRunSkipsAnImageAlreadyPresentWithOneLookup) {
  auto amd = images.manifest({"l1"});
  auto list = images.index({amd});
  images.tag(list, "v1");
  ASSERT_TRUE(copy({request("v1", "v1")})[0].ok);
  destination->clearCalls();
  source->clearCalls();

  auto again = copy({request("v1", "v1")});
  ASSERT_TRUE(again[0].ok) << again[0].error;
  EXPECT_TRUE(again[0].alreadyPresent);
  auto calls = destination->calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].kind, Kind::ManifestDigest);
  EXPECT_EQ(source->count(Kind::ReadBlob), 0u);
  EXPECT_EQ(source->count(Kind::GetManifest), 1u);  // the top manifest only, not its children
}

TEST_F(CopierTest, AliasedTagsPushTheSharedIndexOnceThenTagOnly) {
  auto amd = images.manifest({"l1", "l2"});
  auto arm = images.manifest({"l3"}, "arm64");
  auto list = images.index({amd, arm});
  images.tag(list, "v4");
  images.tag(list, "latest");
  // A strict registry refuses a child pushed while another push of it is under
  // way; here, a second push of the same child would simply be counted.
  auto results = copy({request("v4", "v4"), request("latest", "latest"), request("v4", "stable")}, 8);
  for (const auto& result : results) ASSERT_TRUE(result.ok) << result.error;

  EXPECT_EQ(destination->count(Kind::PutManifest, amd.digest.str()), 1u);
  EXPECT_EQ(destination->count(Kind::PutManifest, arm.digest.str()), 1u);
  // One push of the index per tag: the first with its bytes, each further one a tag-only PUT after it.
  auto calls = destination->calls();
  std::vector<std::string> indexTags;
  for (const auto& call : calls)
    if (call.kind == Kind::PutManifest && call.target == list.digest.str()) indexTags.push_back(call.tag.value_or(""));
  std::sort(indexTags.begin(), indexTags.end());
  EXPECT_EQ(indexTags, (std::vector<std::string>{"latest", "stable", "v4"}));
  EXPECT_EQ(destination->tagged("v4"), list.digest);
  EXPECT_EQ(destination->tagged("latest"), list.digest);
  EXPECT_EQ(destination->tagged("stable"), list.digest);
  for (const auto& blob : {"l1", "l2", "l3"}) EXPECT_EQ(destination->count(Kind::PutBlob, Digest::sha256Of(blob).str()), 1u);
}

TEST_F(CopierTest, ASecondRequestForTheSameTagMakesNoSecondPush) {
  auto image = images.manifest({"l1"});
  images.tag(image, "v1");
  auto results = copy({request("v1", "v1"), request("v1", "v1")});
  for (const auto& result : results) ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(destination->count(Kind::PutManifest), 1u);
}

TEST_F(CopierTest, AFailedSharedPushFailsEveryImageThatWaitedForIt) {
  auto amd = images.manifest({"l1"});
  auto list = images.index({amd});
  images.tag(list, "v1");
  images.tag(list, "latest");
  destination->failManifest(amd.digest.str(), "MANIFEST_INVALID", 1);
  auto results = copy({request("v1", "v1"), request("latest", "latest")});
  EXPECT_FALSE(results[0].ok);
  EXPECT_FALSE(results[1].ok);
  EXPECT_EQ(destination->count(Kind::PutManifest, amd.digest.str()), 1u);
  EXPECT_FALSE(destination->hasManifest(list.digest));
}

TEST_F(CopierTest, APushThatFailedInOneRunIsTriedAgainInTheNext) {
  auto amd = images.manifest({"l1"});
  auto list = images.index({amd});
  images.tag(list, "v1");
  destination->failManifest(amd.digest.str(), "MANIFEST_INVALID", 1);
  Copier copier(endpoints, CopyOptions{.parallel = 2});
  EXPECT_FALSE(copier.run({request("v1", "v1")})[0].ok);
  auto again = copier.run({request("v1", "v1")});
  EXPECT_TRUE(again[0].ok) << again[0].error;
  EXPECT_TRUE(destination->hasManifest(list.digest));
}

TEST_F(CopierTest, TotalsAreKnownBeforeTheFirstBlobMoves) {
  auto a = images.manifest({std::string(1000, 'a')});
  auto b = images.manifest({std::string(2000, 'b')});
  images.tag(a, "a");
  images.tag(b, "b");
  // The source records when each blob is read; the totals must be complete by the first read.
  class WatchingStore : public MemoryStore {
   public:
    using MemoryStore::MemoryStore;
    const CopyProgress* progress = nullptr;
    int64_t bytesTotalAtFirstRead = -1;
    void readBlob(const Descriptor& blob, BlobWriter& out) override {
      {
        std::lock_guard lock(mutex);
        if (bytesTotalAtFirstRead < 0) bytesTotalAtFirstRead = progress->bytesTotal;
      }
      MemoryStore::readBlob(blob, out);
    }
    std::mutex mutex;
  };
  auto watching = std::make_shared<WatchingStore>("watching");
  for (const auto& raw : {a, b}) {
    for (const auto& blob : Manifest::parse(raw.bytes, raw.mediaType).blobs()) {
      StringWriter collect;
      source->readBlob(blob, collect);
      watching->addBlob(collect.bytes, blob.mediaType);
    }
  }
  watching->addManifest(a, "a");
  watching->addManifest(b, "b");

  Copier copier(endpoints, CopyOptions{.parallel = 1});
  watching->progress = &copier.progress();
  auto requestA = request("a", "a");
  auto requestB = request("b", "b");
  requestA.from = requestB.from = watching;
  auto results = copier.run({requestA, requestB});
  for (const auto& result : results) ASSERT_TRUE(result.ok) << result.error;
  int64_t expected = 0;
  for (const auto& raw : {a, b})
    for (const auto& blob : Manifest::parse(raw.bytes, raw.mediaType).blobs()) expected += blob.size;
  EXPECT_EQ(watching->bytesTotalAtFirstRead, expected);
  EXPECT_EQ(copier.progress().bytesTotal.load(), expected);
  EXPECT_EQ(copier.progress().bytesDone.load() + copier.progress().bytesReused.load(), expected);
  EXPECT_FALSE(copier.progress().planning.load());
}

}  // namespace
}  // namespace ferry
