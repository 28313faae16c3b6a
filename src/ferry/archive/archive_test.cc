#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <functional>
#include <set>
#include <thread>

#include "ferry/archive/archive_reader.h"
#include "ferry/archive/archive_summary.h"
#include "ferry/archive/archive_writer.h"
#include "ferry/imagefs/tar_reader.h"
#include "ferry/imagefs/tar_writer.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/copy/copier.h"
#include "ferry/transport/capabilities.h"
#include "ferry/transport/image_graph.h"
#include "ferry/oci/media_types.h"
#include "support/fixtures.h"

namespace ferry {
namespace {

using nlohmann::json;


std::string readWholeBlob(ImageSource& source, const Descriptor& blob) {
  StringWriter out;
  source.readBlob(blob, out);
  return out.bytes;
}

std::string errorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A blob of `size` bytes of `fill`, with its descriptor.
std::pair<Descriptor, std::string> blobOf(char fill, int64_t size, std::string_view mediaType = "application/octet-stream") {
  std::string bytes(static_cast<size_t>(size), fill);
  return {Descriptor{.mediaType = std::string(mediaType), .digest = Digest::sha256Of(bytes), .size = size}, bytes};
}

json descriptorJson(const Descriptor& descriptor) {
  return json{{"mediaType", descriptor.mediaType}, {"digest", descriptor.digest.str()}, {"size", descriptor.size}};
}

RawManifest imageManifest(const Descriptor& config, const std::vector<Descriptor>& layers) {
  json document{{"schemaVersion", 2}, {"mediaType", media::kOciManifest}, {"config", descriptorJson(config)},
                {"layers", json::array()}};
  for (const auto& layer : layers) document["layers"].push_back(descriptorJson(layer));
  return RawManifest::of(document.dump(), std::string(media::kOciManifest));
}

RawManifest imageIndex(const std::vector<RawManifest>& children) {
  json document{{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", json::array()}};
  for (const auto& child : children) {
    auto entry = descriptorJson({.mediaType = child.mediaType, .digest = child.digest,
                                 .size = static_cast<int64_t>(child.bytes.size())});
    entry["platform"] = {{"os", "linux"}, {"architecture", "amd64"}};
    document["manifests"].push_back(entry);
  }
  return RawManifest::of(document.dump(), std::string(media::kOciIndex));
}

std::set<std::string> filesIn(const std::filesystem::path& directory) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) names.insert(entry.path().filename().string());
  return names;
}

PartInfo partInfo(const std::filesystem::path& partFile) { return ArchiveReader::open(partFile)->partInfos().at(0); }

bool carries(const PartInfo& part, const Digest& digest) {
  for (const auto& blob : part.blobs)
    if (blob.digest == digest) return true;
  return false;
}

const NotCarriedBlob* notCarried(const PartInfo& part, const Digest& digest) {
  for (const auto& blob : part.notCarried)
    if (blob.digest == digest) return &blob;
  return nullptr;
}

// Flips one byte in the middle of the first place `wanted` is in `part`.
void flipAByteOf(const std::filesystem::path& part, const std::string& wanted) {
  auto text = readFile(part);
  auto at = text.find(wanted);
  ASSERT_NE(at, std::string::npos);
  int fd = ::open(part.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  char flipped = static_cast<char>(text[at + wanted.size() / 2] ^ 0x20);
  ASSERT_EQ(::pwrite(fd, &flipped, 1, static_cast<off_t>(at + wanted.size() / 2)), 1);
  ::close(fd);
}

class ArchiveTest : public ::testing::Test {
 protected:
  TemporaryDirectory work;
  std::filesystem::path archiveDir = work.path() / "archive";
};

// Six image shapes copied by the copy engine into an archive with small parts.
class CopiedArchiveTest : public ArchiveTest {
 protected:
  static constexpr int64_t kPartSize = 64 << 10;
  std::filesystem::path layoutDir = work.path() / "fixtures";
  std::vector<testing::FixtureImage> images;
  std::vector<std::string> partFiles;
  std::map<Digest, std::string> shipped;

  void SetUp() override {
    testing::FixtureBuilder builder(layoutDir, 21);
    images = builder.allShapes();
    Endpoints endpoints(EndpointOptions{});
    ArchiveWriter writer(archiveDir, kPartSize, "run-1");
    writer.addFile("plan.json", R"({"plan":true})");
    std::vector<CopyRequest> requests;
    for (const auto& image : images) {
      auto destination = ImageReference::parse("registry.example/mirror/app:" + image.name);
      requests.push_back({.source = ImageReference::parse("oci:" + layoutDir.string() + ":" + image.name),
                          .destination = destination,
                          .to = writer.imageSink("registry.example/mirror/app")});
    }
    // One more, named by digest only.
    auto byDigest = ImageReference::parse("registry.example/mirror/pinned@" + images[0].digest.str());
    requests.push_back({.source = ImageReference::parse("oci:" + layoutDir.string() + ":" + images[0].name),
                        .destination = byDigest,
                        .to = writer.imageSink("registry.example/mirror/pinned")});

    Copier copier(endpoints, CopyOptions{.parallel = 4});
    for (const auto& result : copier.run(requests)) ASSERT_TRUE(result.ok) << result.request.source.str() << ": " << result.error;
    writer.finish();
    partFiles = writer.partFiles();
    shipped = writer.shippedBlobs();
  }

  std::set<Digest> manifestDigests() const {
    std::set<Digest> digests;
    for (const auto& image : images) digests.insert(image.manifests.begin(), image.manifests.end());
    return digests;
  }
};

TEST_F(CopiedArchiveTest, StoresEachBlobOnceAndSplitsAtThePartSize) {
  ASSERT_GT(partFiles.size(), 2u);
  EXPECT_EQ(partFiles.front(), "mirror_000001.tar");
  std::set<std::string> expected(partFiles.begin(), partFiles.end());
  EXPECT_EQ(filesIn(archiveDir), expected);  // no .partial, no staging folder left behind

  auto manifests = manifestDigests();
  std::map<Digest, int> copies;
  for (const auto& file : partFiles) {
    auto part = partInfo(archiveDir / file);
    int64_t blobBytes = TarWriter::memberBytes("oci-layout", 30);
    for (const auto& blob : part.blobs) {
      ++copies[blob.digest];
      blobBytes += TarWriter::memberBytes(blobMember(blob.digest), blob.size);
    }
    EXPECT_LE(blobBytes, kPartSize) << file;
    EXPECT_EQ(part.runId, "run-1");
    EXPECT_EQ(partFileName(part.part), file);
    EXPECT_EQ(part.created.size(), 20u) << part.created;  // 2026-11-29T10:00:00Z
  }
  size_t configsAndLayers = 0;
  for (const auto& [digest, count] : copies) {
    if (manifests.contains(digest)) continue;
    EXPECT_EQ(count, 1) << digest.str() << " is stored more than once";
    ++configsAndLayers;
    EXPECT_TRUE(shipped.contains(digest));
  }
  std::set<Digest> allBlobs;
  for (const auto& image : images) allBlobs.insert(image.blobs.begin(), image.blobs.end());
  EXPECT_EQ(configsAndLayers, allBlobs.size());
  EXPECT_EQ(shipped.size(), allBlobs.size());  // manifests are not history material
  for (const auto& [digest, where] : shipped) {
    EXPECT_TRUE(where.starts_with("run run-1, mirror_0000")) << where;
    EXPECT_TRUE(carries(partInfo(archiveDir / where.substr(where.find("mirror_"))), digest)) << where;
  }
}

TEST_F(CopiedArchiveTest, ReadsEveryImageBackByteForByte) {
  auto archive = ArchiveReader::open(archiveDir);
  EXPECT_NO_THROW(archive->verify());
  EXPECT_TRUE(archive->missingBlobs().empty());
  EXPECT_EQ(archive->partFiles(), partFiles);
  EXPECT_EQ(archive->file("plan.json"), R"({"plan":true})");

  auto listed = archive->images();
  ASSERT_EQ(listed.size(), images.size() + 1);
  std::map<std::string, ArchiveImage> byReference;
  for (const auto& image : listed) byReference.emplace(image.reference, image);
  auto pinned = "registry.example/mirror/pinned@" + images[0].digest.str();
  ASSERT_TRUE(byReference.contains(pinned));
  EXPECT_FALSE(byReference.at(pinned).tag);

  auto source = archive->source("registry.example/mirror/app");
  for (const auto& image : images) {
    auto reference = "registry.example/mirror/app:" + image.name;
    ASSERT_TRUE(byReference.contains(reference)) << reference;
    EXPECT_EQ(byReference.at(reference).digest, image.digest);
    EXPECT_EQ(byReference.at(reference).tag, image.name);
    EXPECT_EQ(byReference.at(reference).mediaType, image.mediaType);

    auto graph = fetchImageGraph(*source, image.name);
    EXPECT_EQ(graph.raw.digest, image.digest);
    for (const auto* node : graph.bottomUp())
      EXPECT_EQ(node->raw.bytes, testing::readBlob(layoutDir, node->raw.digest)) << image.name;
    auto blobs = graph.blobs();
    EXPECT_EQ(blobs.size(), image.blobs.size());
    for (const auto& blob : blobs)
      EXPECT_EQ(readWholeBlob(*source, blob), testing::readBlob(layoutDir, blob.digest)) << blob.digest.str();
  }
  auto pinnedSource = archive->source("registry.example/mirror/pinned");
  EXPECT_EQ(pinnedSource->getManifest(images[0].digest.str()).digest, images[0].digest);
  EXPECT_NE(errorOf([&] { source->getManifest("nope"); }).find("registry.example/mirror/app:oci-single"),
            std::string::npos);
}

TEST_F(CopiedArchiveTest, EachPartLoadsAloneAndSaysWhereTheOtherBlobsAre) {
  auto whole = ArchiveReader::open(archiveDir);
  for (const auto& file : partFiles) {
    auto part = ArchiveReader::open(archiveDir / file);
    EXPECT_NO_THROW(part->verify()) << file;
    EXPECT_EQ(part->file("plan.json"), R"({"plan":true})") << file;
    std::map<Digest, MissingBlob> missing;
    for (const auto& blob : part->missingBlobs()) missing.emplace(blob.digest, blob);

    for (const auto& image : part->images()) {
      auto source = part->source(image.name);
      // Every manifest of the image is in the part that lists it.
      auto graph = fetchImageGraph(*source, image.tag ? *image.tag : image.digest.str());
      for (const auto& blob : graph.blobs()) {
        if (part->blobSize(blob.digest)) {
          EXPECT_EQ(readWholeBlob(*source, blob), testing::readBlob(layoutDir, blob.digest));
          continue;
        }
        ASSERT_TRUE(missing.contains(blob.digest)) << file << " neither carries nor lists " << blob.digest.str();
        const auto& where = missing.at(blob.digest).shippedIn;
        EXPECT_EQ(where, shipped.at(blob.digest));
        EXPECT_NE(where, "run run-1, " + file);
        EXPECT_TRUE(whole->blobSize(blob.digest));
        auto error = errorOf([&] { readWholeBlob(*source, blob); });
        EXPECT_NE(error.find(where), std::string::npos) << error;
      }
    }
  }
}

TEST_F(CopiedArchiveTest, DescribeSummarisesPartsImagesAndBlobs) {
  auto summary = describeArchive(archiveDir);
  ASSERT_EQ(summary.parts.size(), partFiles.size());
  EXPECT_EQ(summary.runIds, std::vector<std::string>{"run-1"});
  int64_t bytes = 0;
  for (const auto& file : partFiles) bytes += static_cast<int64_t>(std::filesystem::file_size(archiveDir / file));
  EXPECT_EQ(summary.bytes, bytes);
  EXPECT_EQ(summary.images.size(), images.size() + 1);
  EXPECT_TRUE(summary.missing.empty());
  for (const auto& image : images) {
    int64_t expected = 0;
    for (const auto& digest : image.blobs) expected += static_cast<int64_t>(testing::readBlob(layoutDir, digest).size());
    bool found = false;
    for (const auto& entry : summary.images)
      if (entry.reference == "registry.example/mirror/app:" + image.name) {
        found = true;
        EXPECT_EQ(entry.blobBytes, expected) << image.name;
        EXPECT_EQ(entry.missingBlobs, 0);
      }
    EXPECT_TRUE(found) << image.name;
  }
  std::set<Digest> distinct = manifestDigests();
  for (const auto& image : images) distinct.insert(image.blobs.begin(), image.blobs.end());
  EXPECT_EQ(summary.blobCount, static_cast<int64_t>(distinct.size()));
}

TEST_F(CopiedArchiveTest, AByteChangedInABlobIsFoundByTheChecksums) {
  auto part = archiveDir / partFiles[1];
  auto info = partInfo(part);
  ASSERT_FALSE(info.blobs.empty());
  auto victim = info.blobs.back().digest;
  // Find the blob's data and flip one byte of it.
  flipAByteOf(part, testing::readBlob(layoutDir, victim));

  auto archive = ArchiveReader::open(archiveDir);
  auto problems = archive->checksumProblems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find(partFiles[1]), std::string::npos) << problems[0];
  EXPECT_NE(problems[0].find(blobMember(victim)), std::string::npos) << problems[0];
  auto error = errorOf([&] { archive->verify(); });
  EXPECT_NE(error.find(blobMember(victim)), std::string::npos) << error;

  // What describe and disk-to-mirror open: refused before anything is read from it.
  error = errorOf([&] { ArchiveReader::openVerified(archiveDir); });
  EXPECT_NE(error.find(partFiles[1] + ": " + blobMember(victim) + " does not match its checksum"), std::string::npos)
      << error;
  error = errorOf([&] { describeArchive(archiveDir); });
  EXPECT_NE(error.find(blobMember(victim)), std::string::npos) << error;
  // The quick check leaves blobs over 1 MiB to the digest check while streaming; these are small, so it finds it too.
  ASSERT_LE(std::filesystem::file_size(part), 1u << 20);
  EXPECT_EQ(archive->checksumProblems(ArchiveCheck::Quick), problems);
}

TEST_F(ArchiveTest, TheQuickCheckHashesAllButLargeBlobsAndStillChecksTheStructure) {
  ArchiveWriter writer(archiveDir, 8 << 20, "run-quick");
  auto [layer, layerBytes] = blobOf('L', kQuickCheckBlobSize + 1);
  auto [config, configBytes] = blobOf('c', 100);
  auto sink = writer.imageSink("registry.example/ns/app");
  sink->putBlobBytes(layer, layerBytes);
  sink->putBlobBytes(config, configBytes);
  sink->putManifest(imageManifest(config, {layer}), std::string("v1"), true);
  writer.finish();
  auto part = archiveDir / "mirror_000001.tar";
  flipAByteOf(part, layerBytes);
  EXPECT_TRUE(ArchiveReader::open(archiveDir)->checksumProblems(ArchiveCheck::Quick).empty());
  EXPECT_EQ(ArchiveReader::open(archiveDir)->checksumProblems(ArchiveCheck::Full),
            std::vector<std::string>{"mirror_000001.tar: " + blobMember(layer.digest) +
                                     " does not match its checksum; the part is damaged, copy it again"});
  flipAByteOf(part, configBytes);
  EXPECT_EQ(ArchiveReader::open(archiveDir)->checksumProblems(ArchiveCheck::Quick),
            std::vector<std::string>{"mirror_000001.tar: " + blobMember(config.digest) +
                                     " does not match its checksum; the part is damaged, copy it again"});
}

TEST_F(ArchiveTest, SplitsBeforeTheBlobThatWouldOverflowAndGivesBigBlobsAPartOfTheirOwn) {
  // Each 4000-byte blob takes 4608 tar bytes; the part starts with oci-layout (1024).
  ArchiveWriter writer(archiveDir, 12000, "run-2");
  auto sink = writer.imageSink("registry.example/ns/app");
  auto [a, aBytes] = blobOf('a', 4000);
  auto [b, bBytes] = blobOf('b', 4000);
  auto [c, cBytes] = blobOf('c', 4000);
  auto [big, bigBytes] = blobOf('d', 20000);
  auto [small, smallBytes] = blobOf('e', 100);
  for (auto* blob : {&a, &b, &c}) EXPECT_FALSE(sink->reuseBlob(*blob, std::nullopt));
  sink->putBlobBytes(a, aBytes);
  sink->putBlobBytes(b, bBytes);
  sink->putBlobBytes(c, cBytes);  // 1024 + 3 * 4608 > 12000: part 2
  sink->putBlobBytes(big, bigBytes);  // alone in part 3
  auto staged = work.path() / "small";
  writeFileAtomically(staged, smallBytes);
  sink->putBlob(small, staged);  // part 4
  EXPECT_TRUE(sink->reuseBlob(a, std::nullopt));
  auto manifest = imageManifest(small, {a, b, c, big});
  sink->putManifest(manifest, std::string("v1"), true);
  EXPECT_EQ(sink->manifestDigest("v1"), manifest.digest);
  EXPECT_EQ(sink->manifestDigest(manifest.digest.str()), manifest.digest);
  EXPECT_FALSE(sink->manifestDigest("v2"));
  writer.finish();

  ASSERT_EQ(writer.partFiles().size(), 4u);
  auto one = partInfo(archiveDir / "mirror_000001.tar");
  auto two = partInfo(archiveDir / "mirror_000002.tar");
  auto three = partInfo(archiveDir / "mirror_000003.tar");
  auto four = partInfo(archiveDir / "mirror_000004.tar");
  EXPECT_TRUE(carries(one, a.digest) && carries(one, b.digest));
  EXPECT_EQ(one.blobs.size(), 2u);
  EXPECT_EQ(two.blobs.size(), 1u);
  EXPECT_TRUE(carries(two, c.digest));
  EXPECT_EQ(three.blobs.size(), 1u);
  EXPECT_TRUE(carries(three, big.digest));
  EXPECT_TRUE(carries(four, small.digest) && carries(four, manifest.digest));
  ASSERT_EQ(four.images.size(), 1u);
  EXPECT_EQ(four.images[0].reference(), "registry.example/ns/app:v1");
  EXPECT_EQ(four.notCarried.size(), 4u);
  ASSERT_TRUE(notCarried(four, a.digest));
  EXPECT_EQ(notCarried(four, a.digest)->shippedIn, "run run-2, mirror_000001.tar");
  EXPECT_EQ(notCarried(four, c.digest)->shippedIn, "run run-2, mirror_000002.tar");
  EXPECT_EQ(notCarried(four, big.digest)->shippedIn, "run run-2, mirror_000003.tar");
  EXPECT_EQ(notCarried(four, big.digest)->size, 20000);
  EXPECT_TRUE(one.images.empty() && one.notCarried.empty());

  // index.json of the part names the image; the reader finds it in any order of loading.
  auto archive = ArchiveReader::open(archiveDir);
  auto source = archive->source("registry.example/ns/app");
  EXPECT_EQ(source->getManifest("v1").bytes, manifest.bytes);
  EXPECT_EQ(readWholeBlob(*source, big), bigBytes);
}

TEST_F(ArchiveTest, StrictArchivesRefuseABlobLargerThanAPart) {
  ArchiveWriter writer(archiveDir, 12000, "run-strict");
  writer.refuseOversizedParts();
  auto sink = writer.imageSink("registry.example/ns/app");
  auto [fits, fitsBytes] = blobOf('a', 4000);
  auto [big, bigBytes] = blobOf('d', 20000);
  sink->putBlobBytes(fits, fitsBytes);
  try {
    sink->putBlobBytes(big, bigBytes);
    FAIL() << "a 20000-byte blob went into a 12000-byte strict archive";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("larger than the archive size (12000 bytes) and --strict-archive"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(sink->reuseBlob(fits, std::nullopt));
  EXPECT_FALSE(sink->reuseBlob(big, std::nullopt));
}

TEST_F(ArchiveTest, BlobsTheHistoryShippedAreNotCarriedButListed) {
  auto [config, configBytes] = blobOf('c', 300, media::kOciConfig);
  auto [old, oldBytes] = blobOf('o', 5000);
  auto [fresh, freshBytes] = blobOf('f', 5000);
  std::map<Digest, std::string> history{{old.digest, "run 2026-11-29T10:00:00Z, mirror_000002.tar"}};
  ArchiveWriter writer(archiveDir, 1 << 20, "run-3", history);
  auto sink = writer.imageSink("registry.example/ns/app");
  EXPECT_TRUE(sink->reuseBlob(old, std::nullopt));
  EXPECT_FALSE(sink->reuseBlob(fresh, std::nullopt));
  sink->putBlobBytes(config, configBytes);
  sink->putBlobBytes(fresh, freshBytes);
  auto manifest = imageManifest(config, {old, fresh});
  sink->putManifest(manifest, std::nullopt, true);
  writer.finish();

  EXPECT_FALSE(writer.shippedBlobs().contains(old.digest));
  EXPECT_EQ(writer.shippedBlobs().at(fresh.digest), "run run-3, mirror_000001.tar");
  auto part = partInfo(archiveDir / "mirror_000001.tar");
  EXPECT_FALSE(carries(part, old.digest));
  ASSERT_EQ(part.notCarried.size(), 1u);
  EXPECT_EQ(part.notCarried[0].digest, old.digest);
  EXPECT_EQ(part.notCarried[0].shippedIn, "run 2026-11-29T10:00:00Z, mirror_000002.tar");
  ASSERT_EQ(part.images.size(), 1u);
  EXPECT_FALSE(part.images[0].tag);
  EXPECT_EQ(part.images[0].reference(), "registry.example/ns/app@" + manifest.digest.str());

  auto archive = ArchiveReader::open(archiveDir);
  auto missing = archive->missingBlobs();
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].digest, old.digest);
  EXPECT_EQ(missing[0].size, 5000);
  EXPECT_EQ(missing[0].neededBy, std::vector<std::string>{"mirror_000001.tar"});
  auto source = archive->source("registry.example/ns/app");
  auto error = errorOf([&] { readWholeBlob(*source, old); });
  EXPECT_NE(error.find("run 2026-11-29T10:00:00Z, mirror_000002.tar"), std::string::npos) << error;
  EXPECT_EQ(readWholeBlob(*source, fresh), freshBytes);
  auto summary = describeArchive(archiveDir);
  ASSERT_EQ(summary.images.size(), 1u);
  EXPECT_EQ(summary.images[0].blobBytes, 10300);
  EXPECT_EQ(summary.images[0].missingBlobs, 1);
}

TEST(ArchivePartNames, ShardSeriesAreNamedAndReadBackAndNothingElseIsAPart) {
  EXPECT_EQ(partFileName(7), "mirror_000007.tar");
  EXPECT_EQ(partFileName(7, shardSeries(2, 3)), "mirror_shard-2-of-3_000007.tar");
  auto sharded = parsePartFileName("mirror_shard-2-of-3_000007.tar");
  ASSERT_TRUE(sharded);
  EXPECT_EQ(sharded->series, "shard-2-of-3");
  EXPECT_EQ(sharded->number, 7);
  EXPECT_EQ(sharded->str(), "mirror_shard-2-of-3_000007.tar");
  auto plain = parsePartFileName("mirror_000042.tar");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->series, "");
  EXPECT_EQ(plain->number, 42);
  for (const char* name : {"mirror_shard-3-of-3_000001.tar", "mirror_shard-01-of-3_000001.tar",
                           "mirror_shard-0-of-0_000001.tar", "mirror_other_000001.tar", "mirror_shard-0-of-3_1.tar",
                           "mirror_000000.tar", "mirror_shard-0-of-3_000001.tar.partial", "mirror__000001.tar"})
    EXPECT_FALSE(parsePartFileName(name)) << name;
}

TEST_F(ArchiveTest, ShardsWritePartsSideBySideAndListTheOtherSharesBlobsAsShippedThere) {
  auto [config, configBytes] = blobOf('c', 300, media::kOciConfig);
  auto [mine, mineBytes] = blobOf('m', 5000);
  auto [theirs, theirsBytes] = blobOf('t', 5000);
  auto manifest = imageManifest(config, {mine, theirs});
  {
    ArchiveWriter unsharded(archiveDir, 1 << 20, "run-0");  // holds the directory lock meanwhile
    ArchiveWriter shard0(archiveDir, 1 << 20, "run-1", {}, shardSeries(0, 2));
    EXPECT_THROW(ArchiveWriter(archiveDir, 1 << 20, "run-2", {}, shardSeries(0, 2)), Error);
    auto sink = shard0.imageSink("registry.example/ns/app");
    auto* shardParts = dynamic_cast<ShardPartsSink*>(sink.get());
    ASSERT_NE(shardParts, nullptr);
    sink->putBlobBytes(config, configBytes);
    sink->putBlobBytes(mine, mineBytes);
    EXPECT_THROW(sink->putManifest(manifest, std::string("v1"), true), Error) << "a blob nobody carries";
  }
  ArchiveWriter shard0(archiveDir, 1 << 20, "run-1", {}, shardSeries(0, 2));
  auto sink = shard0.imageSink("registry.example/ns/app");
  sink->putBlobBytes(config, configBytes);
  sink->putBlobBytes(mine, mineBytes);
  dynamic_cast<ShardPartsSink&>(*sink).blobOfAnotherShard(theirs, 1, 2);
  sink->putManifest(manifest, std::string("v1"), true);
  shard0.finish();
  EXPECT_EQ(shard0.partFiles(), std::vector<std::string>{"mirror_shard-0-of-2_000001.tar"});
  auto part = partInfo(archiveDir / "mirror_shard-0-of-2_000001.tar");
  EXPECT_FALSE(carries(part, theirs.digest));
  ASSERT_EQ(part.notCarried.size(), 1u);
  EXPECT_EQ(part.notCarried[0].shippedIn, "shard 1/2 of this run, mirror_shard-1-of-2_NNNNNN.tar");
  ASSERT_EQ(part.images.size(), 1u);
  EXPECT_EQ(part.images[0].reference(), "registry.example/ns/app:v1");
}

TEST_F(ArchiveTest, AnIndexCarriesItsChildManifestsIntoItsOwnPart) {
  ArchiveWriter writer(archiveDir, 12000, "run-4");
  auto sink = writer.imageSink("registry.example/ns/multi");
  auto [config, configBytes] = blobOf('c', 200, media::kOciConfig);
  auto [layer, layerBytes] = blobOf('l', 3000);
  auto [other, otherBytes] = blobOf('x', 7000);
  sink->putBlobBytes(config, configBytes);
  sink->putBlobBytes(layer, layerBytes);
  auto child = imageManifest(config, {layer});
  // Part 1: oci-layout 1024 + config 1024 + layer 3584 + child 1024 = 6656 tar bytes; `other` takes 7680.
  sink->putManifest(child, std::nullopt, false);  // part 1
  sink->putBlobBytes(other, otherBytes);          // does not fit: part 2, where the index fits too
  auto index = imageIndex({child});
  sink->putManifest(index, std::string("latest"), true);
  writer.finish();

  auto one = partInfo(archiveDir / "mirror_000001.tar");
  auto two = partInfo(archiveDir / "mirror_000002.tar");
  EXPECT_TRUE(carries(one, child.digest));
  EXPECT_TRUE(carries(two, child.digest));  // copied so part 2 is a whole layout of its image
  EXPECT_TRUE(carries(two, index.digest));
  EXPECT_TRUE(notCarried(two, layer.digest));
  EXPECT_TRUE(notCarried(two, config.digest));
  auto alone = ArchiveReader::open(archiveDir / "mirror_000002.tar");
  auto graph = fetchImageGraph(*alone->source("registry.example/ns/multi"), "latest");
  ASSERT_EQ(graph.children.size(), 1u);
  EXPECT_EQ(graph.children[0].raw.bytes, child.bytes);
}

TEST_F(ArchiveTest, AManifestWhoseBlobsWereNeverStoredIsRefused) {
  ArchiveWriter writer(archiveDir, 1 << 20, "run-5");
  auto sink = writer.imageSink("registry.example/ns/app");
  auto [config, configBytes] = blobOf('c', 200, media::kOciConfig);
  auto [layer, layerBytes] = blobOf('l', 3000);
  sink->putBlobBytes(config, configBytes);
  auto error = errorOf([&] { sink->putManifest(imageManifest(config, {layer}), std::string("v1"), true); });
  EXPECT_NE(error.find(layer.digest.str()), std::string::npos) << error;
  EXPECT_NE(error.find("neither in this archive nor in the history"), std::string::npos) << error;
  EXPECT_FALSE(sink->manifestDigest("v1"));
  writer.finish();  // the writer is still whole
  EXPECT_TRUE(partInfo(archiveDir / "mirror_000001.tar").images.empty());
}

TEST_F(ArchiveTest, AnInterruptedRunLeavesNoPartThatLooksComplete) {
  {
    ArchiveWriter writer(archiveDir, 1 << 20, "run-6");
    auto [blob, bytes] = blobOf('z', 1000);
    writer.imageSink("registry.example/ns/app")->putBlobBytes(blob, bytes);
    EXPECT_TRUE(std::filesystem::exists(archiveDir / "mirror_000001.tar.partial"));
    EXPECT_FALSE(std::filesystem::exists(archiveDir / "mirror_000001.tar"));
  }  // destroyed without finish()
  EXPECT_TRUE(filesIn(archiveDir).empty());

  // A killed process leaves its .partial behind: the next writer removes it.
  writeFileAtomically(archiveDir / "mirror_000003.tar.partial", "half");
  writeFileAtomically(archiveDir / "notes.txt", "mine");
  {
    ArchiveWriter writer(archiveDir, 1 << 20, "run-7");
    writer.finish();
    EXPECT_TRUE(writer.partFiles().empty());  // nothing stored, no part
  }
  EXPECT_EQ(filesIn(archiveDir), std::set<std::string>{"notes.txt"});
  EXPECT_NE(errorOf([&] { ArchiveReader::open(archiveDir); }).find("holds no archive parts"), std::string::npos);
}

TEST_F(ArchiveTest, RefusesADirectoryInUseAndContinuesAnEarlierArchive) {
  {
    ArchiveWriter first(archiveDir, 1 << 20, "run-8");
    auto error = errorOf([&] { ArchiveWriter second(archiveDir, 1 << 20, "run-9"); });
    EXPECT_NE(error.find("another ferry process"), std::string::npos) << error;
    auto [blob, bytes] = blobOf('q', 10);
    auto sink = first.imageSink("registry.example/ns/app");
    sink->putBlobBytes(blob, bytes);
    sink->putManifest(imageManifest(blob, {}), std::string("v1"), true);
    first.addFile("imageset-config.yaml", "kind: ImageSetConfiguration\n");
    first.finish();
    EXPECT_THROW(sink->putBlobBytes(blob, bytes), Error);  // finished
  }
  EXPECT_EQ(ArchiveReader::open(archiveDir)->file("imageset-config.yaml"), "kind: ImageSetConfiguration\n");
  {
    // A later run in the same directory keeps the earlier part and continues the numbering; an image an
    // earlier run listed under the same reference and digest is present already.
    ArchiveWriter again(archiveDir, 1 << 20, "run-10");
    auto [blob, bytes] = blobOf('q', 10);
    auto manifest = imageManifest(blob, {});
    again.setShippedImages({{"registry.example/ns/app:v1", manifest.digest}});
    auto sink = again.imageSink("registry.example/ns/app");
    EXPECT_EQ(sink->manifestDigest("v1"), manifest.digest);
    EXPECT_EQ(sink->manifestDigest(manifest.digest.str()), manifest.digest);
    EXPECT_FALSE(sink->manifestDigest("v2"));
    auto [other, otherBytes] = blobOf('r', 10);
    sink->putBlobBytes(other, otherBytes);
    sink->putManifest(imageManifest(other, {}), std::string("v2"), true);
    again.finish();
    EXPECT_EQ(again.partFiles(), std::vector<std::string>{"mirror_000002.tar"});
  }
  EXPECT_TRUE(std::filesystem::exists(archiveDir / "mirror_000001.tar"));

  ArchiveWriter other(work.path() / "other", 1 << 20, "run-11");
  EXPECT_THROW(other.imageSink("registry.example/ns/app:v1"), Error);
  EXPECT_THROW(other.addFile("../escape", "x"), Error);
  EXPECT_THROW(other.addFile("part.json", "x"), Error);
}

TEST_F(ArchiveTest, ThePartsFileNamesAreWhatSha256sumChecks) {
  ArchiveWriter writer(archiveDir, 1 << 20, "run-12");
  auto [blob, bytes] = blobOf('s', 10);
  auto sink = writer.imageSink("registry.example/ns/app");
  sink->putBlobBytes(blob, bytes);
  sink->putManifest(imageManifest(blob, {}), std::string("v1"), true);
  writer.finish();
  auto archive = ArchiveReader::open(archiveDir / "mirror_000001.tar");
  auto sums = archive->file(std::string(kChecksumsMember).substr(6));
  ASSERT_TRUE(sums);
  EXPECT_NE(sums->find(std::string(blob.digest.hex()) + "  " + blobMember(blob.digest) + "\n"), std::string::npos);
  for (const char* member : {"  oci-layout\n", "  index.json\n", "  ferry/part.json\n"})
    EXPECT_NE(sums->find(member), std::string::npos) << member;
  EXPECT_TRUE(archive->checksumProblems().empty());
}

TEST_F(ArchiveTest, UnsafeOrForeignTarsAreRefused) {
  std::filesystem::create_directories(archiveDir);
  auto evil = archiveDir / "mirror_000001.tar";
  {
    TarWriter tar(evil, 0);
    tar.add("oci-layout", "{}");
    tar.add("../evil", "gotcha");
    tar.close();
  }
  auto error = errorOf([&] { ArchiveReader::open(evil); });
  EXPECT_NE(error.find("../evil"), std::string::npos) << error;
  EXPECT_NE(error.find("refusing"), std::string::npos) << error;

  auto badDigest = work.path() / "bad-digest.tar";
  {
    TarWriter tar(badDigest, 0);
    tar.add("blobs/sha256/not-a-digest", "x");
    tar.close();
  }
  error = errorOf([&] { ArchiveReader::open(badDigest); });
  EXPECT_NE(error.find("not named by a valid digest"), std::string::npos) << error;

  auto foreign = work.path() / "foreign.tar";
  {
    TarWriter tar(foreign, 0);
    tar.add("hello.txt", "hi");
    tar.close();
  }
  error = errorOf([&] { ArchiveReader::open(foreign); });
  EXPECT_NE(error.find("not a ferry archive part"), std::string::npos) << error;
}

TEST_F(ArchiveTest, ManyThreadsWritingAtOnceStillGiveAWholeArchive) {
  ArchiveWriter writer(archiveDir, 40000, "run-13");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&writer, t] {
      auto sink = writer.imageSink("registry.example/ns/app" + std::to_string(t));
      for (int i = 0; i < 10; ++i) {
        auto [config, configBytes] = blobOf(static_cast<char>('A' + t), 100 + i, media::kOciConfig);
        auto [shared, sharedBytes] = blobOf('s', 3000);  // the same blob from every thread
        auto [own, ownBytes] = blobOf(static_cast<char>('a' + t), 2000 + i);
        for (auto* pair : {&config, &shared, &own})
          if (!sink->reuseBlob(*pair, std::nullopt))
            sink->putBlobBytes(*pair, pair == &config ? configBytes : pair == &shared ? sharedBytes : ownBytes);
        sink->putManifest(imageManifest(config, {shared, own}), "v" + std::to_string(i), true);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  writer.finish();
  auto archive = ArchiveReader::open(archiveDir);
  EXPECT_TRUE(archive->checksumProblems().empty());
  EXPECT_TRUE(archive->missingBlobs().empty());
  EXPECT_EQ(archive->images().size(), 40u);
  EXPECT_EQ(archive->carriedBlobs().size(), 4u * 10 * 2 + 1 + 40);  // configs and own layers, ONE shared layer, manifests
  for (const auto& image : archive->images()) {
    auto graph = fetchImageGraph(*archive->source(image.name), *image.tag);
    for (const auto& blob : graph.blobs()) EXPECT_EQ(readWholeBlob(*archive->source(image.name), blob).size(), size_t(blob.size));
  }
}

}  // namespace
}  // namespace ferry

namespace ferry {
namespace {

// Writes `bytes` into the writer it is given in two pieces; with `failWith`, throws that after the first.
BlobProducer producerOf(const std::string& bytes, const std::string& failWith = {}) {
  return [bytes, failWith](BlobWriter& out) {
    size_t half = bytes.size() / 2;
    if (!out.write(bytes.data(), half)) throw Error("the sink refused the bytes");
    if (!failWith.empty()) throw Error(failWith);
    if (!out.write(bytes.data() + half, bytes.size() - half)) throw Error("the sink refused the bytes");
  };
}

TEST_F(ArchiveTest, AStreamedBlobThatFailsLeavesNothingAndThePartStillVerifies) {
  ArchiveWriter writer(archiveDir, 64 << 20, "run-streamed");
  auto sink = writer.imageSink("registry.example/ns/app");
  auto [layer, layerBytes] = blobOf('k', 300000);
  auto [lost, lostBytes] = blobOf('x', 200000);
  auto [cut, cutBytes] = blobOf('z', 100000);
  auto [config, configBytes] = blobOf('c', 100);
  sink->writeBlob(layer, producerOf(layerBytes));

  // `lost` fails while `config` was written after it: its room stays, renamed and zeroed.
  auto error = errorOf([&] {
    sink->writeBlob(lost, [&](BlobWriter& out) {
      ASSERT_TRUE(out.write(lostBytes.data(), 1000));
      sink->putBlobBytes(config, configBytes);
      throw Error("the source went away");
    });
  });
  EXPECT_EQ(error, "the source went away");
  EXPECT_FALSE(sink->reuseBlob(lost, std::nullopt));
  auto sizeBeforeCut = std::filesystem::file_size(archiveDir / "mirror_000001.tar.partial");
  // `cut` fails with nothing after it: cut back out of the part.
  EXPECT_EQ(errorOf([&] { sink->writeBlob(cut, producerOf(cutBytes, "bytes do not match the digest")); }),
            "bytes do not match the digest");
  EXPECT_EQ(std::filesystem::file_size(archiveDir / "mirror_000001.tar.partial"), sizeBeforeCut);
  EXPECT_FALSE(sink->reuseBlob(cut, std::nullopt));

  // The writer is still usable: the image is listed and the part verifies.
  sink->putManifest(imageManifest(config, {layer}), std::string("v1"), true);
  writer.finish();
  auto archive = ArchiveReader::open(archiveDir);
  EXPECT_TRUE(archive->checksumProblems(ArchiveCheck::Full).empty());
  EXPECT_EQ(readWholeBlob(*archive->source("registry.example/ns/app"), layer), layerBytes);
  EXPECT_FALSE(archive->blobSize(lost.digest));
  EXPECT_FALSE(archive->blobSize(cut.digest));
  auto partPath = archiveDir / "mirror_000001.tar";
  int fd = ::open(partPath.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto members = listTarMembers(fd, partPath.string());
  ::close(fd);
  int discarded = 0;
  for (const auto& member : members) {
    if (!member.path.starts_with("ferry/discarded/")) continue;
    ++discarded;
    EXPECT_EQ(member.size, lost.size);
  }
  EXPECT_EQ(discarded, 1);
}

TEST_F(ArchiveTest, StreamedBlobsFillTheirRoomsConcurrentlyAndAPartClosesOnlyWhenTheyAreIn) {
  // Parts of 1 MiB: the third blob does not fit beside two streaming ones.
  ArchiveWriter writer(archiveDir, 1 << 20, "run-concurrent");
  auto sink = writer.imageSink("registry.example/ns/app");
  std::vector<std::pair<Descriptor, std::string>> blobs{blobOf('a', 400000), blobOf('b', 400000), blobOf('c', 400000)};
  std::atomic<int> started{0};
  auto slowly = [&](const std::string& bytes) {
    return [&started, &bytes](BlobWriter& out) {
      ++started;
      for (size_t at = 0; at < bytes.size(); at += 50000) {
        if (!out.write(bytes.data() + at, std::min<size_t>(50000, bytes.size() - at))) throw Error("refused");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    };
  };
  std::vector<std::thread> threads;
  for (auto& [blob, bytes] : blobs) threads.emplace_back([&, blob, bytesPtr = &bytes] { sink->writeBlob(blob, slowly(*bytesPtr)); });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(started, 3);
  auto [config, configBytes] = blobOf('C', 100);
  sink->putBlobBytes(config, configBytes);
  sink->putManifest(imageManifest(config, {blobs[0].first, blobs[1].first, blobs[2].first}), std::string("v1"), true);
  writer.finish();
  EXPECT_EQ(writer.partFiles().size(), 2u);
  auto archive = ArchiveReader::open(archiveDir);
  EXPECT_TRUE(archive->checksumProblems(ArchiveCheck::Full).empty());
  auto source = archive->source("registry.example/ns/app");
  for (const auto& [blob, bytes] : blobs) EXPECT_EQ(readWholeBlob(*source, blob), bytes);
}

}  // namespace
}  // namespace ferry
