// Archives (docs/archive-format.md) as independent tools see them: GNU tar
// lists and extracts a part, sha256sum checks it, skopeo and umoci read
// images from an extracted part; and the copy engine moves images from an
// archive into a real registry with every digest kept, including a second,
// incremental archive that carries only what the first did not.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "ferry/archive/archive_reader.h"
#include "ferry/archive/archive_writer.h"
#include "ferry/copy/copier.h"
#include "ferry/ref/reference.h"
#include "integration/ferry_test_env.h"

namespace ferry::testing {
namespace {

constexpr std::string_view kName = "registry.example/mirror/app";
// Longer than the 100 bytes a ustar name holds: the part needs a PAX header for it.
const std::string kLongFile = "notes/" + std::string(120, 'n') + ".txt";

struct Written {
  std::vector<std::string> parts;
  std::map<Digest, std::string> shipped;
};

// Copies `tags` of the fixture layout into an archive, named kName:TAG.
Written writeArchive(const std::filesystem::path& layout, const std::vector<std::string>& tags,
                     const std::filesystem::path& archive, int64_t partSize, const std::string& runId,
                     std::map<Digest, std::string> history = {}) {
  Endpoints endpoints(EndpointOptions{});
  ArchiveWriter writer(archive, partSize, runId, std::move(history));
  writer.addFile(kLongFile, "a note\n");
  std::vector<CopyRequest> requests;
  for (const auto& tag : tags) {
    auto destination = ImageReference::parse(std::string(kName) + ":" + tag);
    requests.push_back({.source = ImageReference::parse("oci:" + layout.string() + ":" + tag),
                        .destination = destination,
                        .to = writer.imageSink(std::string(kName))});
  }
  Copier copier(endpoints, CopyOptions{.parallel = 4});
  for (const auto& result : copier.run(requests))
    if (!result.ok) ADD_FAILURE() << result.request.source.str() << ": " << result.error;
  writer.finish();
  return {writer.partFiles(), writer.shippedBlobs()};
}

// Copies `tags` from the archive into `registry` as mirror/app:TAG.
std::vector<CopyResult> loadArchive(const std::filesystem::path& archive, const std::vector<std::string>& tags,
                                    const TestRegistry& registry) {
  RegistryOptions options{.plainHttp = true};
  Endpoints endpoints(EndpointOptions{.source = options, .destination = options});
  auto reader = ArchiveReader::open(archive);
  reader->verify();
  std::vector<CopyRequest> requests;
  for (const auto& tag : tags) {
    auto source = ImageReference::parse(std::string(kName) + ":" + tag);
    requests.push_back({.source = source,
                        .destination = ImageReference::parse(dockerRef(registry, "mirror/app", tag)),
                        .from = reader->source(std::string(kName))});
  }
  Copier copier(endpoints, CopyOptions{.parallel = 4});
  return copier.run(requests);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) result.push_back(line);
  return result;
}

class ArchiveInterop : public ::testing::Test {
 protected:
  TemporaryDirectory work;
  std::filesystem::path layout = work.path() / "fixtures";
  FixtureBuilder builder{layout, 31};
  FixtureImage index = builder.ociIndex("oci-index");
  FixtureImage single = builder.singleArchOci("oci-single");
  FixtureImage docker = builder.dockerManifestList("docker-list");
};

TEST_F(ArchiveInterop, TarListsAndExtractsAPartThatSkopeoAndUmociRead) {
  if (!toolAvailable("skopeo") || !toolAvailable("umoci")) GTEST_SKIP() << "needs skopeo and umoci";
  auto archive = work.path() / "archive";
  auto written = writeArchive(layout, {"oci-index", "oci-single"}, archive, 1 << 30, "run-1");
  ASSERT_EQ(written.parts, std::vector<std::string>{"mirror_000001.tar"});
  auto part = archive / "mirror_000001.tar";

  auto listing = runCommand({"tar", "-tf", part.string()});
  ASSERT_EQ(listing.exitCode, 0) << listing.err;
  EXPECT_EQ(listing.err, "");  // no warnings either
  auto listed = lines(listing.out);
  std::set<std::string> members(listed.begin(), listed.end());
  EXPECT_EQ(members.size(), listed.size()) << "a member is listed twice";
  for (const auto& expected : std::vector<std::string>{"oci-layout", "index.json", "ferry/part.json",
                                                       "ferry/checksums.sha256", "ferry/" + kLongFile})
    EXPECT_TRUE(members.contains(expected)) << expected;
  for (const auto* image : {&index, &single}) {
    for (const auto& digest : image->manifests) EXPECT_TRUE(members.contains("blobs/" + digest.blobPath().string()));
    for (const auto& digest : image->blobs) EXPECT_TRUE(members.contains("blobs/" + digest.blobPath().string()));
  }

  auto extracted = work.path() / "extracted";
  std::filesystem::create_directories(extracted);
  runChecked({"tar", "-xf", part.string(), "-C", extracted.string()});
  auto check = runCommand({"sh", "-c", "cd \"$1\" && sha256sum -c --quiet ferry/checksums.sha256", "sh", extracted.string()});
  EXPECT_EQ(check.exitCode, 0) << check.out << check.err;
  EXPECT_EQ(readFile(extracted / "ferry" / kLongFile), "a note\n");

  auto raw = runChecked({"skopeo", "inspect", "--raw", "oci:" + extracted.string() + ":" + std::string(kName) + ":oci-index"});
  EXPECT_EQ(raw, readBlob(layout, index.digest));
  auto copied = work.path() / "copied";
  runChecked({"skopeo", "copy", "--all", "oci:" + extracted.string() + ":" + std::string(kName) + ":oci-index",
              "oci:" + copied.string() + ":again"});
  expectLayoutHolds(copied, index, layout);

  auto bundle = work.path() / "bundle";
  runChecked({"umoci", "unpack", "--rootless", "--image", extracted.string() + ":" + std::string(kName) + ":oci-single",
              bundle.string()});
  EXPECT_TRUE(std::filesystem::exists(bundle / "config.json"));
  EXPECT_TRUE(std::filesystem::is_directory(bundle / "rootfs"));
  EXPECT_FALSE(std::filesystem::is_empty(bundle / "rootfs"));
}

TEST_F(ArchiveInterop, CopyFromAnArchiveToARegistryKeepsEveryDigest) {
  if (!toolAvailable("skopeo")) GTEST_SKIP() << "needs skopeo";
  auto archive = work.path() / "archive";
  auto written = writeArchive(layout, {"oci-index", "oci-single", "docker-list"}, archive, 96 << 10, "run-1");
  ASSERT_GT(written.parts.size(), 2u);  // small parts: images are spread over several
  TestRegistry registry;
  for (const auto& result : loadArchive(archive, {"oci-index", "oci-single", "docker-list"}, registry))
    EXPECT_TRUE(result.ok) << result.error;
  for (const auto* image : {&index, &single, &docker}) {
    auto tag = image == &index ? "oci-index" : image == &single ? "oci-single" : "docker-list";
    auto raw = skopeoRaw(registry, "mirror/app", tag);
    EXPECT_EQ(Digest::sha256Of(raw), image->digest) << tag;
    EXPECT_EQ(raw, readBlob(layout, image->digest)) << tag;
  }
  // Every blob reached the registry intact: skopeo copies the whole index back out and checks each digest.
  auto back = work.path() / "back";
  runChecked({"skopeo", "copy", "--all", "--src-tls-verify=false",
              "docker://" + registry.host() + "/mirror/app:oci-index", "oci:" + back.string() + ":x"});
  expectLayoutHolds(back, index, layout);

  // And from the registry into a new archive: downloads are staged beside the parts and removed once stored.
  auto again = work.path() / "again";
  {
    RegistryOptions options{.plainHttp = true};
    Endpoints endpoints(EndpointOptions{.source = options, .destination = options});
    ArchiveWriter writer(again, 1 << 30, "run-2");
    std::vector<CopyRequest> requests;
    for (std::string tag : {"oci-index", "oci-single", "docker-list"}) {
      auto destination = ImageReference::parse(std::string(kName) + ":" + tag);
      requests.push_back({.source = ImageReference::parse(dockerRef(registry, "mirror/app", tag)),
                          .destination = destination,
                          .to = writer.imageSink(std::string(kName))});
    }
    Copier copier(endpoints, CopyOptions{.parallel = 4});
    for (const auto& result : copier.run(requests)) EXPECT_TRUE(result.ok) << result.error;
    writer.finish();
  }
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(again)) files.push_back(entry.path().filename().string());
  EXPECT_EQ(files, std::vector<std::string>{"mirror_000001.tar"});
  auto reread = ArchiveReader::open(again);
  EXPECT_NO_THROW(reread->verify());
  auto images = reread->images();
  ASSERT_EQ(images.size(), 3u);
  for (const auto& image : images) {
    auto expected = image.tag == "oci-index" ? index.digest : image.tag == "oci-single" ? single.digest : docker.digest;
    EXPECT_EQ(image.digest, expected) << image.reference;
  }
}

TEST_F(ArchiveInterop, AnIncrementalArchiveCarriesOnlyNewBlobsAndLoadsOnTopOfTheFirst) {
  auto first = work.path() / "first";
  auto second = work.path() / "second";
  auto run1 = writeArchive(layout, {"oci-index"}, first, 1 << 30, "run-1");
  // The second run ships oci-index again plus oci-single, with the first run as history.
  auto run2 = writeArchive(layout, {"oci-index", "oci-single"}, second, 1 << 30, "run-2", run1.shipped);

  auto secondArchive = ArchiveReader::open(second);
  for (const auto& digest : index.blobs) EXPECT_FALSE(secondArchive->blobSize(digest)) << "carried again: " << digest.str();
  for (const auto& digest : single.blobs) EXPECT_TRUE(secondArchive->blobSize(digest));
  for (const auto& digest : index.manifests) EXPECT_TRUE(secondArchive->blobSize(digest));  // manifests always travel
  auto missing = secondArchive->missingBlobs();
  EXPECT_EQ(missing.size(), index.blobs.size());
  for (const auto& blob : missing) EXPECT_EQ(blob.shippedIn, "run run-1, mirror_000001.tar");

  // Loaded on top of the first archive, the second completes the registry.
  TestRegistry registry;
  for (const auto& result : loadArchive(first, {"oci-index"}, registry)) EXPECT_TRUE(result.ok) << result.error;
  for (const auto& result : loadArchive(second, {"oci-index", "oci-single"}, registry))
    EXPECT_TRUE(result.ok) << result.error;
  if (toolAvailable("skopeo")) {
    EXPECT_EQ(Digest::sha256Of(skopeoRaw(registry, "mirror/app", "oci-single")), single.digest);
    EXPECT_EQ(Digest::sha256Of(skopeoRaw(registry, "mirror/app", "oci-index")), index.digest);
  }

  // Into an empty registry the second archive alone cannot be loaded: the error says where the blobs went.
  TestRegistry empty;
  auto results = loadArchive(second, {"oci-index"}, empty);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_NE(results[0].error.find("run run-1, mirror_000001.tar"), std::string::npos) << results[0].error;
}

}  // namespace
}  // namespace ferry::testing
