// The copy engine's promises, checked on a real registry's access log: the
// request pattern, de-duplication, mounts, no-op re-runs, push order under
// failure, and concurrent writers of one layout.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "ferry/copy/endpoints.h"
#include "ferry/ref/reference.h"
#include "ferry/registry/registry_repository.h"
#include "integration/ferry_test_env.h"

namespace ferry::testing {
namespace {

size_t countMatching(const TestRegistry& registry, const std::string& method, const std::string& pathPart) {
  size_t count = 0;
  for (const auto& entry : registry.accessLog())
    if (entry.method == method && entry.target.find(pathPart) != std::string::npos) ++count;
  return count;
}

// POSTs of the form /v2/REPO/blobs/uploads/?mount=D&from=OTHER with OTHER != REPO.
size_t countCrossRepositoryMounts(const TestRegistry& registry) {
  size_t count = 0;
  for (const auto& entry : registry.accessLog()) {
    auto uploads = entry.target.find("/blobs/uploads/");
    auto from = entry.target.find("from=");
    if (entry.method != "POST" || uploads == std::string::npos || from == std::string::npos) continue;
    std::string repository = entry.target.substr(4, uploads - 4);  // after "/v2/"
    std::string source = entry.target.substr(from + 5);
    source = source.substr(0, source.find('&'));
    for (size_t at; (at = source.find("%2F")) != std::string::npos;) source.replace(at, 3, "/");
    if (source != repository) ++count;
  }
  return count;
}

TEST(CopyEngine, FreshCopyUsesTwoRequestsPerBlobAndOnePerManifest) {
  TemporaryDirectory work;
  FixtureBuilder builder(work.path() / "fixtures", 11);
  auto image = builder.ociIndex("index");  // 5 platforms sharing one base layer
  TestRegistry registry;
  auto result = runFerry({"copy", "-q", "--dest-use-http", "oci:" + (work.path() / "fixtures").string() + ":index",
                          dockerRef(registry, "app", "v1")});
  ASSERT_EQ(result.exitCode, 0) << result.err;

  size_t blobs = image.blobs.size();
  size_t manifests = image.manifests.size();
  EXPECT_EQ(registry.accessLogCount("HEAD"), 1u);  // is the tag there already?
  EXPECT_EQ(registry.accessLogCount("POST"), blobs);
  EXPECT_EQ(countMatching(registry, "PUT", "/blobs/uploads/"), blobs);
  EXPECT_EQ(countMatching(registry, "PUT", "/manifests/"), manifests);
  EXPECT_EQ(registry.accessLogCount("PATCH"), 0u);
  EXPECT_EQ(registry.accessLogCount("GET"), 1u);  // the /v2/ ping
  // children before their index, the tag last
  auto log = registry.accessLog();
  std::vector<std::string> manifestPuts;
  for (const auto& entry : log)
    if (entry.method == "PUT" && entry.target.find("/manifests/") != std::string::npos) manifestPuts.push_back(entry.target);
  ASSERT_FALSE(manifestPuts.empty());
  EXPECT_TRUE(manifestPuts.back().ends_with("/manifests/v1"));
  size_t lastBlobPut = 0, firstManifestPut = log.size();
  for (size_t i = 0; i < log.size(); ++i) {
    if (log[i].method != "PUT") continue;
    if (log[i].target.find("/blobs/") != std::string::npos) lastBlobPut = i;
    if (log[i].target.find("/manifests/") != std::string::npos) firstManifestPut = std::min(firstManifestPut, i);
  }
  EXPECT_LT(lastBlobPut, firstManifestPut);
}

TEST(CopyEngine, ReRunWithNothingNewMakesOneRequestPerImage) {
  TemporaryDirectory work;
  FixtureBuilder builder(work.path() / "fixtures", 12);
  builder.allShapes();
  TestRegistry registry;
  std::string mapping;
  for (std::string tag : {"docker-single", "oci-single", "docker-list", "oci-index", "attestation", "nested"})
    mapping += "oci:" + (work.path() / "fixtures").string() + ":" + tag + "=" + dockerRef(registry, "all", tag) + "\n";
  writeFileAtomically(work.path() / "mapping.txt", mapping);
  auto first = runFerry({"copy", "-q", "--dest-use-http", "-f", (work.path() / "mapping.txt").string()});
  ASSERT_EQ(first.exitCode, 0) << first.err;
  size_t before = registry.accessLogCount();

  auto second = runFerry({"copy", "--dest-use-http", "-f", (work.path() / "mapping.txt").string()});
  ASSERT_EQ(second.exitCode, 0) << second.err;
  EXPECT_EQ(registry.accessLogCount() - before, 1u + 6u);  // the /v2/ ping, then one HEAD per image
  EXPECT_NE(second.err.find("6 images (6 already present), 0 blobs sent"), std::string::npos) << second.err;
}

TEST(CopyEngine, SharedBlobsMoveOncePerRepositoryAndAreMountedAcrossRepositories) {
  TemporaryDirectory work;
  FixtureBuilder builder(work.path() / "fixtures", 13);
  auto list = builder.dockerManifestList("list");
  auto index = builder.ociIndex("index");
  TestRegistry source;
  TestRegistry destination;
  for (const auto& tag : {"list", "index"}) {
    auto pushed = runFerry({"copy", "-q", "--dest-use-http", "oci:" + (work.path() / "fixtures").string() + ":" + tag,
                            dockerRef(source, "src", tag)});
    ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  }
  std::set<std::string> unique;
  for (const auto* image : {&list, &index})
    for (const auto& digest : image->blobs) unique.insert(digest.str());

  // Both images into two repositories of one registry, in one run.
  std::string mapping;
  for (const auto& repository : {"team-a/app", "team-b/app"})
    for (const auto& tag : {"list", "index"})
      mapping += dockerRef(source, "src", tag) + "=" + dockerRef(destination, repository, tag) + "\n";
  writeFileAtomically(work.path() / "mapping.txt", mapping);
  size_t sourceGetsBefore = countMatching(source, "GET", "/blobs/");
  auto result = runFerry({"copy", "-q", "--source-use-http", "--dest-use-http", "-f", (work.path() / "mapping.txt").string()});
  ASSERT_EQ(result.exitCode, 0) << result.err;

  // Each distinct blob is read from the source once and uploaded once; the
  // second repository mounts it.
  EXPECT_EQ(countMatching(source, "GET", "/blobs/") - sourceGetsBefore, unique.size());
  EXPECT_EQ(countMatching(destination, "PUT", "/blobs/uploads/"), unique.size());
  EXPECT_EQ(countCrossRepositoryMounts(destination), unique.size());
  EXPECT_EQ(destination.accessLogCount("POST"), 2 * unique.size());  // a probe where uploaded, a mount where not
  for (const auto& repository : {"team-a/app", "team-b/app"}) {
    EXPECT_EQ(skopeoRaw(destination, repository, "list"), readBlob(work.path() / "fixtures", list.digest));
    EXPECT_EQ(skopeoRaw(destination, repository, "index"), readBlob(work.path() / "fixtures", index.digest));
  }
}

TEST(CopyEngine, CorruptLayoutBlobIsRefusedAndNoManifestIsPushed) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 14);
  auto image = builder.ociIndex("index");
  // Same size, other bytes: only the digest can tell.
  auto victim = fixtures / "blobs" / image.blobs.back().blobPath();
  std::string bytes = readFile(victim);
  bytes[bytes.size() / 2] ^= 0x5a;
  writeFileAtomically(victim, bytes);

  TestRegistry registry;
  auto result = runFerry({"copy", "-q", "--dest-use-http", "oci:" + fixtures.string() + ":index", dockerRef(registry, "app", "v1")});
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_NE(result.err.find(image.blobs.back().str()), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("does not match its digest"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("no manifest was pushed"), std::string::npos) << result.err;
  EXPECT_EQ(countMatching(registry, "PUT", "/manifests/"), 0u);
  EXPECT_EQ(countMatching(registry, "PUT", image.blobs.back().hex().data()), 0u);
}

TEST(CopyEngine, CorruptRegistryBlobIsRefusedAndNoManifestIsPushed) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 15);
  auto image = builder.singleArchDocker("one");
  TestRegistry source;
  TestRegistry destination;
  auto pushed = runFerry({"copy", "-q", "--dest-use-http", "oci:" + fixtures.string() + ":one", dockerRef(source, "app", "v1")});
  ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  // Damage the layer inside the source registry's storage.
  auto layer = image.blobs.back();
  auto data = source.dataDir() / "docker/registry/v2/blobs/sha256" / std::string(layer.hex().substr(0, 2)) /
              std::string(layer.hex()) / "data";
  ASSERT_TRUE(std::filesystem::exists(data)) << data;
  std::string bytes = readFile(data);
  bytes[10] ^= 0x01;
  writeFileAtomically(data, bytes);

  auto result = runFerry({"copy", "-q", "--source-use-http", "--dest-use-http", dockerRef(source, "app", "v1"),
                          dockerRef(destination, "app", "v1")});
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_NE(result.err.find("does not match its digest"), std::string::npos) << result.err;
  EXPECT_EQ(countMatching(destination, "PUT", "/manifests/"), 0u);
  EXPECT_EQ(countMatching(destination, "PUT", std::string(layer.hex())), 0u);
}

TEST(CopyEngine, ConcurrentCopiesIntoOneLayoutKeepEveryTag) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 16);
  builder.allShapes();
  auto out = work.path() / "shared-layout";
  std::vector<std::string> tags{"docker-single", "oci-single", "docker-list", "oci-index", "attestation", "nested"};
  // Two processes, each writing three tags per shape, at the same time.
  std::vector<std::thread> writers;
  std::vector<CommandResult> results(2);
  for (int process = 0; process < 2; ++process) {
    std::string mapping;
    for (const auto& tag : tags)
      for (int copy = 0; copy < 3; ++copy)
        mapping += "oci:" + fixtures.string() + ":" + tag + "=oci:" + out.string() + ":p" + std::to_string(process) +
                   "-" + tag + "-" + std::to_string(copy) + "\n";
    auto file = work.path() / ("mapping" + std::to_string(process) + ".txt");
    writeFileAtomically(file, mapping);
    writers.emplace_back([&results, process, file] { results[process] = runFerry({"copy", "-q", "-f", file.string()}); });
  }
  for (auto& writer : writers) writer.join();
  for (const auto& result : results) ASSERT_EQ(result.exitCode, 0) << result.err;

  auto index = nlohmann::json::parse(readFile(out / "index.json"));
  std::set<std::string> names;
  for (const auto& entry : index["manifests"]) names.insert(entry["annotations"]["org.opencontainers.image.ref.name"]);
  EXPECT_EQ(names.size(), 2u * tags.size() * 3u);
  for (const auto& entry : std::filesystem::directory_iterator(out / "blobs"))
    EXPECT_TRUE(entry.is_directory()) << "temporary file left behind: " << entry.path();
}

TEST(CopyEngine, InspectShowsTheTree) {
  TemporaryDirectory work;
  FixtureBuilder builder(work.path() / "fixtures", 18);
  auto image = builder.indexWithAttestation("att");
  builder.nestedIndex("nested");
  auto text = runFerry({"inspect", "oci:" + (work.path() / "fixtures").string() + ":att"});
  ASSERT_EQ(text.exitCode, 0) << text.err;
  EXPECT_NE(text.out.find(image.digest.str()), std::string::npos);
  EXPECT_NE(text.out.find("linux/amd64"), std::string::npos);
  EXPECT_NE(text.out.find("linux/arm64"), std::string::npos);
  EXPECT_NE(text.out.find("unknown/unknown (attestation-manifest for sha256:"), std::string::npos) << text.out;

  auto json = runFerry({"inspect", "-o", "json", "oci:" + (work.path() / "fixtures").string() + ":nested"});
  ASSERT_EQ(json.exitCode, 0) << json.err;
  auto tree = nlohmann::json::parse(json.out);
  ASSERT_EQ(tree["manifests"].size(), 2u);
  EXPECT_EQ(tree["manifests"][0]["manifest"]["manifests"].size(), 2u);  // nested index children
  EXPECT_EQ(tree["manifests"][1]["manifest"]["manifests"][0]["platform"]["architecture"], "s390x");

  auto raw = runFerry({"inspect", "--raw", "oci:" + (work.path() / "fixtures").string() + ":att"});
  EXPECT_EQ(raw.out, readBlob(work.path() / "fixtures", image.digest));
}

}  // namespace
}  // namespace ferry::testing
