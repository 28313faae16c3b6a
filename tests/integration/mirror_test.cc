// `ferry mirror` end to end against real registries: a multi-arch catalog, its
// bundle and operator images and an additional image made by the test code
// (support/mirror_scenario.h), mirrored registry to registry, to an archive
// and from it, re-run, changed, interrupted, and with a failing image.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "ferry/imagefs/tar_reader.h"
#include "ferry/base/files.h"
#include "ferry/mirror/mapping_file.h"
#include "integration/ferry_test_env.h"
#include "support/mirror_scenario.h"

namespace ferry::testing {
namespace {

using nlohmann::json;

// Blob requests (anything under /blobs/) in an access log.
size_t blobRequests(const std::vector<AccessLogEntry>& log) {
  size_t count = 0;
  for (const auto& entry : log)
    if (entry.target.find("/blobs/") != std::string::npos) ++count;
  return count;
}

json listOperators(const TestRegistry& registry, const std::string& reference) {
  std::vector<std::string> args{"list", "operators", "--catalog", reference, "-o", "json"};
  if (!registry.tls()) args.push_back("--use-http");
  auto result = runFerry(args);
  EXPECT_EQ(result.exitCode, 0) << result.err;
  return json::parse(result.out);
}

std::set<std::string> bundleNames(const json& variant) {
  std::set<std::string> names;
  for (const auto& package : variant["packages"])
    for (const auto& channel : package["channels"])
      for (const auto& bundle : channel["bundles"]) names.insert(bundle["name"].get<std::string>());
  return names;
}

class MirrorTest : public ::testing::Test {
 protected:
  TemporaryDirectory work_{"ferry-mirror-test"};
  TestRegistry source_;
  TestRegistry mirror_;

  std::vector<mirror::MappingEntry> mapping(const std::filesystem::path& workspace) {
    return mirror::readMappingTxt(workspace / "working-dir" / "mapping.txt");
  }
};

TEST_F(MirrorTest, MirrorToMirrorFiltersRebuildsAndAReRunMovesNothing) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0", "1.1.0"}}, {"bar", {"2.0.0"}}});
  auto config = scenario.writeConfig("isc.yaml", "      packages:\n        - name: foo\n");
  auto workspace = work_.path() / "ws";
  auto args = withFlags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                         dockerRoot(mirror_)},
                        source_, &mirror_);
  auto first = runFerry(args);
  ASSERT_EQ(first.exitCode, 0) << first.out << first.err;

  // Heads only: foo 1.1.0's bundle and operator images, the additional image and the catalog; nothing of
  // foo 1.0.0 or bar.
  auto entries = mapping(workspace);
  std::set<std::string> sources;
  for (const auto& entry : entries) sources.insert(entry.source.str());
  const auto& head = scenario.bundle("foo", "1.1.0");
  EXPECT_TRUE(sources.count("docker://" + head.bundleImage)) << first.out;
  EXPECT_TRUE(sources.count("docker://" + head.operatorImage));
  EXPECT_FALSE(sources.count("docker://" + scenario.bundle("foo", "1.0.0").bundleImage));
  EXPECT_FALSE(sources.count("docker://" + scenario.bundle("bar", "2.0.0").bundleImage));
  EXPECT_EQ(entries.size(), 4u);

  // Every mapped image is at its destination, digest for digest (catalogs rebuilt: a new digest).
  for (const auto& entry : entries) {
    if (entry.source.repository == "ferry-test/catalog") continue;
    EXPECT_EQ(digestAt(mirror_, entry.destination), digestAt(source_, entry.source)) << entry.destination.str();
  }
  auto catalog = listOperators(mirror_, "docker://" + mirror_.host() + "/mirror/ferry-test/catalog:v1");
  ASSERT_EQ(catalog["variants"].size(), 1u);
  EXPECT_EQ(bundleNames(catalog["variants"][0]), (std::set<std::string>{"foo.v1.1.0"}));
  EXPECT_EQ(catalog["platforms"].size(), 2u);

  // Cluster resources name the mirror.
  auto resources = workspace / "working-dir" / "cluster-resources";
  auto idms = readFile(resources / "idms-oc-mirror.yaml");
  EXPECT_NE(idms.find("kind: ImageDigestMirrorSet"), std::string::npos);
  EXPECT_NE(idms.find(source_.host() + "/ferry-test"), std::string::npos) << idms;
  EXPECT_NE(idms.find(mirror_.host() + "/mirror/ferry-test"), std::string::npos) << idms;
  bool catalogSource = false;
  for (const auto& file : std::filesystem::directory_iterator(resources))
    if (file.path().filename().string().starts_with("cs-")) {
      catalogSource = true;
      auto text = readFile(file.path());
      EXPECT_NE(text.find("kind: CatalogSource"), std::string::npos);
      EXPECT_NE(text.find(mirror_.host() + "/mirror/ferry-test/catalog"), std::string::npos) << text;
    }
  EXPECT_TRUE(catalogSource);

  // A second run with nothing new: no blob request at the destination, one manifest request per image.
  auto before = mirror_.accessLog().size();
  auto second = runFerry(args);
  ASSERT_EQ(second.exitCode, 0) << second.err;
  auto log = mirror_.accessLog();
  std::vector<AccessLogEntry> secondRun(log.begin() + static_cast<long>(before), log.end());
  EXPECT_EQ(blobRequests(secondRun), 0u);
  EXPECT_LE(secondRun.size(), entries.size() + 1) << "manifest requests in the no-op re-run";
}

TEST_F(MirrorTest, DiskRoundTripGivesTheSameDigestsAndShipsOnlyWhatIsNew) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0", "1.1.0"}}, {"bar", {"2.0.0"}}});
  auto config = scenario.writeConfig("isc.yaml", "      packages:\n        - name: foo\n");

  // Reference: mirror-to-mirror.
  auto workspace = work_.path() / "ws";
  ASSERT_EQ(runFerry(withFlags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                                dockerRoot(mirror_)},
                               source_, &mirror_))
                .exitCode,
            0);

  // mirror-to-disk, then disk-to-mirror into an empty registry.
  auto archive = work_.path() / "archive";
  auto toDisk = runFerry(withFlags({"mirror", "-c", config.string(), "file://" + archive.string()}, source_, nullptr));
  ASSERT_EQ(toDisk.exitCode, 0) << toDisk.out << toDisk.err;
  ASSERT_TRUE(std::filesystem::exists(archive / "mirror_000001.tar"));
  auto describe = runFerry({"describe", archive.string(), "-o", "json"});
  ASSERT_EQ(describe.exitCode, 0) << describe.err;
  EXPECT_EQ(json::parse(describe.out)["images"].size(), 4u) << describe.out;

  TestRegistry empty;
  auto fromDisk = runFerry(withFlags({"mirror", "--from", "file://" + archive.string(), dockerRoot(empty)}, empty,
                                     &empty));
  ASSERT_EQ(fromDisk.exitCode, 0) << fromDisk.out << fromDisk.err;
  for (const auto& entry : mapping(workspace)) {
    auto atEmpty = entry.destination;
    atEmpty.registry = empty.host();
    EXPECT_EQ(digestAt(empty, atEmpty), digestAt(mirror_, entry.destination)) << entry.destination.str();
  }

  // A second mirror-to-disk with nothing new writes no part.
  auto again = runFerry(withFlags({"mirror", "-c", config.string(), "file://" + archive.string()}, source_, nullptr));
  ASSERT_EQ(again.exitCode, 0) << again.err;
  EXPECT_FALSE(std::filesystem::exists(archive / "mirror_000002.tar"));
  EXPECT_NE(again.out.find("nothing new"), std::string::npos) << again.out;

  // Adding bar ships bar's images and the new catalog layers, and none of foo's blobs again.
  auto wider = scenario.writeConfig("isc2.yaml", "      packages:\n        - name: foo\n        - name: bar\n");
  auto changed = runFerry(withFlags({"mirror", "-c", wider.string(), "file://" + archive.string()}, source_, nullptr));
  ASSERT_EQ(changed.exitCode, 0) << changed.out << changed.err;
  ASSERT_TRUE(std::filesystem::exists(archive / "mirror_000002.tar")) << changed.out;
  auto part = runFerry({"describe", (archive / "mirror_000002.tar").string(), "-o", "json"});
  ASSERT_EQ(part.exitCode, 0) << part.err;
  std::set<std::string> references;
  auto described = json::parse(part.out);
  for (const auto& image : described["images"]) references.insert(image["reference"].get<std::string>());
  const auto& bar = scenario.bundle("bar", "2.0.0");
  // Images named by digest are listed in an archive under their own reference.
  EXPECT_TRUE(references.count(bar.bundleImage)) << part.out;
  EXPECT_TRUE(references.count(bar.operatorImage)) << part.out;
  EXPECT_FALSE(references.count(scenario.bundle("foo", "1.1.0").bundleImage)) << part.out;

  // The whole folder now holds parts of two runs: describe takes each run's plan, so bar's images keep their
  // kinds and the catalog lists the packages of both runs.
  auto whole = runFerry({"describe", archive.string(), "-o", "json"});
  ASSERT_EQ(whole.exitCode, 0) << whole.err;
  auto wholeJson = json::parse(whole.out);
  EXPECT_EQ(wholeJson["runs"].size(), 2u) << whole.out;
  std::map<std::string, std::string> kinds;
  for (const auto& image : wholeJson["images"])
    kinds[image["reference"].get<std::string>()] = image["kind"].get<std::string>();
  EXPECT_EQ(kinds[bar.bundleImage], "bundle") << whole.out;
  EXPECT_EQ(kinds[bar.operatorImage], kinds[scenario.bundle("foo", "1.1.0").operatorImage]) << whole.out;
  ASSERT_EQ(wholeJson["catalogs"].size(), 1u) << whole.out;
  EXPECT_EQ(wholeJson["catalogs"][0]["packages"], json::array({"bar", "foo"})) << whole.out;

  // The new part alone, loaded into the registry that has the first run, completes it.
  auto second = runFerry(withFlags({"mirror", "--from", "file://" + (archive / "mirror_000002.tar").string(),
                                    "--workspace", "file://" + (work_.path() / "ws2").string(), dockerRoot(empty)},
                                   empty, &empty));
  ASSERT_EQ(second.exitCode, 0) << second.out << second.err;
  auto catalog = listOperators(empty, "docker://" + empty.host() + "/mirror/ferry-test/catalog:v1");
  EXPECT_EQ(bundleNames(catalog["variants"][0]), (std::set<std::string>{"foo.v1.1.0", "bar.v2.0.0"}));
}

// The offset of the largest blob member of a part (a layer) and its name.
std::pair<int64_t, std::string> largestBlob(const std::filesystem::path& part) {
  int fd = ::open(part.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  TarMember largest;
  for (const auto& member : listTarMembers(fd, part.string()))
    if (member.path.starts_with("blobs/") && member.size > largest.size) largest = member;
  ::close(fd);
  return {largest.offset + largest.size / 2, largest.path};
}

// --cache-dir (oc-mirror's cache folder) holds the catalog extractions every run of the machine reuses: a
// mirror-to-disk into a new folder reads the catalog from the cache, not from the catalog image's layers.
TEST_F(MirrorTest, ACacheDirSharesCatalogExtractionsBetweenArchiveFolders) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0"}}});
  auto config = scenario.writeConfig("isc.yaml", "      packages:\n        - name: foo\n", false);
  auto cache = work_.path() / "cache";
  auto toDisk = [&](const std::string& folder) {
    return runFerry(withFlags({"mirror", "-c", config.string(), "file://" + (work_.path() / folder).string(),
                               "--cache-dir", cache.string(), "--log-level", "debug"},
                              source_, nullptr));
  };
  auto extractions = [](const std::filesystem::path& root) {
    size_t count = 0;
    if (!std::filesystem::is_directory(root)) return count;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
      if (entry.path().filename() == "catalog-image.json") ++count;
    return count;
  };

  auto first = toDisk("one");
  ASSERT_EQ(first.exitCode, 0) << first.err;
  EXPECT_EQ(extractions(cache / "operator-catalogs"), 1u);
  EXPECT_EQ(extractions(work_.path() / "one" / "working-dir" / "operator-catalogs"), 0u);
  EXPECT_NE(first.err.find("extracting"), std::string::npos) << first.err;

  auto second = toDisk("two");
  ASSERT_EQ(second.exitCode, 0) << second.err;
  EXPECT_NE(second.err.find("reused the extraction in " + cache.string()), std::string::npos) << second.err;
  EXPECT_EQ(second.err.find("extracting"), std::string::npos) << second.err;
  // Both archives carry the same images.
  auto images = [&](const std::string& folder) {
    auto described = runFerry({"describe", (work_.path() / folder).string(), "-o", "json"});
    EXPECT_EQ(described.exitCode, 0) << described.err;
    return json::parse(described.out)["images"].size();
  };
  EXPECT_EQ(images("two"), images("one"));
  EXPECT_EQ(images("two"), 3u);  // catalog, bundle, operator image
}

TEST_F(MirrorTest, ADamagedPartIsRefusedByDescribeAndDiskToMirrorBeforeAnythingIsPushed) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0", "1.1.0"}}});
  auto config = scenario.writeConfig("isc.yaml", "      packages:\n        - name: foo\n");
  auto archive = work_.path() / "archive";
  auto toDisk = runFerry(withFlags({"mirror", "-c", config.string(), "file://" + archive.string()}, source_, nullptr));
  ASSERT_EQ(toDisk.exitCode, 0) << toDisk.out << toDisk.err;
  auto part = archive / "mirror_000001.tar";

  // One flipped byte in the middle of a layer.
  auto [offset, member] = largestBlob(part);
  ASSERT_FALSE(member.empty());
  {
    std::fstream file(part, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(offset);
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x5a);
    file.seekp(offset);
    file.write(&byte, 1);
  }

  auto describe = runFerry({"describe", archive.string()});
  EXPECT_NE(describe.exitCode, 0) << describe.out;
  EXPECT_NE(describe.err.find("mirror_000001.tar: " + member + " does not match its checksum"), std::string::npos)
      << describe.err;

  TestRegistry empty;
  auto fromDisk = runFerry(withFlags({"mirror", "--from", "file://" + archive.string(), dockerRoot(empty)}, empty,
                                     &empty));
  EXPECT_NE(fromDisk.exitCode, 0) << fromDisk.out;
  EXPECT_NE(fromDisk.err.find(member + " does not match its checksum"), std::string::npos) << fromDisk.err;
  EXPECT_EQ(empty.accessLogCount("PUT"), 0u);
  EXPECT_EQ(empty.accessLogCount("POST"), 0u);
}

TEST_F(MirrorTest, AFailingRelatedImageLeavesItsOperatorOutOfTheCatalog) {
  MirrorScenario scenario(source_, work_.path(),
                          {{"foo", {"1.0.0"}}, {.name = "bar", .versions = {"2.0.0"}, .pushOperatorImage = false}});
  auto config = scenario.writeConfig("isc.yaml", "", /*withAdditional=*/false);
  auto workspace = work_.path() / "ws";
  auto result = runFerry(withFlags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                                    dockerRoot(mirror_), "--retry-times", "0"},
                                   source_, &mirror_));
  EXPECT_EQ(result.exitCode, 4) << result.out << result.err;
  EXPECT_NE(result.err.find("bar"), std::string::npos) << result.err;
  auto catalog = listOperators(mirror_, "docker://" + mirror_.host() + "/mirror/ferry-test/catalog:v1");
  EXPECT_EQ(bundleNames(catalog["variants"][0]), (std::set<std::string>{"foo.v1.0.0"}));
  bool errorsFile = false;
  for (const auto& file : std::filesystem::directory_iterator(workspace / "working-dir" / "logs"))
    if (file.path().filename().string().starts_with("mirroring_errors_")) {
      errorsFile = true;
      EXPECT_NE(readFile(file.path()).find("bar"), std::string::npos);
    }
  EXPECT_TRUE(errorsFile);
}

TEST_F(MirrorTest, DivergentPlatformsAreFilteredEachAndImagesAreTheUnion) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0"}}, {"bar", {"2.0.0"}}},
                          {{"foo", "bar"}, {"foo"}});
  auto config = scenario.writeConfig("isc.yaml", "", /*withAdditional=*/false);
  auto workspace = work_.path() / "ws";
  auto result = runFerry(withFlags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                                    dockerRoot(mirror_)},
                                   source_, &mirror_));
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  std::set<std::string> sources;
  for (const auto& entry : mapping(workspace)) sources.insert(entry.source.str());
  EXPECT_TRUE(sources.count("docker://" + scenario.bundle("bar", "2.0.0").bundleImage));
  EXPECT_TRUE(sources.count("docker://" + scenario.bundle("foo", "1.0.0").bundleImage));
  auto catalog = listOperators(mirror_, "docker://" + mirror_.host() + "/mirror/ferry-test/catalog:v1");
  ASSERT_EQ(catalog["variants"].size(), 2u) << catalog.dump(2);
  EXPECT_FALSE(catalog["differences"].empty());
}

TEST_F(MirrorTest, DryRunWritesTheMappingAndPushesNothing) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0"}}});
  auto config = scenario.writeConfig("isc.yaml", "");
  auto workspace = work_.path() / "ws";
  auto before = mirror_.accessLog().size();
  auto result = runFerry(withFlags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                                    dockerRoot(mirror_), "--dry-run"},
                                   source_, &mirror_));
  ASSERT_EQ(result.exitCode, 0) << result.err;
  auto entries = mirror::readMappingTxt(workspace / "working-dir" / "dry-run" / "mapping.txt");
  EXPECT_EQ(entries.size(), 4u);
  EXPECT_EQ(mirror_.accessLog().size(), before);
}

TEST_F(MirrorTest, AKilledRunCompletesWhenRunAgainMovingOnlyWhatWasMissing) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0", "1.1.0", "1.2.0", "1.3.0"}}}, {}, 4 << 20);
  auto config = scenario.writeConfig("isc.yaml", "      full: true\n      packages:\n        - name: foo\n");
  auto workspace = work_.path() / "ws";
  auto args = withFlags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                         dockerRoot(mirror_), "--parallel", "1", "-q"},
                        source_, &mirror_);
  {
    std::vector<std::string> argv{FERRY_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess run(argv, work_.path() / "killed.log");
    for (int i = 0; i < 600 && uploadedDigests(mirror_.accessLog()).size() < 3; ++i) {
      if (run.exited()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    run.stop(std::chrono::milliseconds(0));
  }
  auto firstUploads = uploadedDigests(mirror_.accessLog());
  ASSERT_GE(firstUploads.size(), 3u);
  auto before = mirror_.accessLog().size();
  auto rerun = runFerry(args);
  ASSERT_EQ(rerun.exitCode, 0) << rerun.err;
  auto log = mirror_.accessLog();
  std::vector<AccessLogEntry> second(log.begin() + static_cast<long>(before), log.end());
  for (const auto& digest : uploadedDigests(second)) EXPECT_FALSE(firstUploads.count(digest)) << digest << " sent twice";
  for (const auto& entry : mapping(workspace)) {
    if (entry.source.repository == "ferry-test/catalog") continue;
    EXPECT_EQ(digestAt(mirror_, entry.destination), digestAt(source_, entry.source)) << entry.destination.str();
  }
}

// Manifest pushes (PUT …/manifests/…) into `repository` in an access log.
size_t manifestPushes(const std::vector<AccessLogEntry>& log, const std::string& repository) {
  size_t count = 0;
  for (const auto& entry : log)
    if (entry.method == "PUT" && entry.target.find("/" + repository + "/manifests/") != std::string::npos) ++count;
  return count;
}

// issue 11 item 7: one catalog listed twice with different targetCatalog and targetTag.
TEST_F(MirrorTest, DiskToMirrorKeepsACatalogListedTwiceApart) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0"}}, {"bar", {"2.0.0"}}});
  auto config = work_.path() / "twice.yaml";
  writeFileAtomically(config, "apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nmirror:\n"
                              "  operators:\n"
                              "    - catalog: " + scenario.catalog() + "\n"
                              "      targetCatalog: one/catalog\n      targetTag: foo\n"
                              "      packages:\n        - name: foo\n"
                              "    - catalog: " + scenario.catalog() + "\n"
                              "      targetCatalog: two/catalog\n      targetTag: bar\n"
                              "      packages:\n        - name: bar\n");
  auto archive = work_.path() / "archive";
  auto toDisk = runFerry(withFlags({"mirror", "-c", config.string(), "file://" + archive.string()}, source_, nullptr));
  ASSERT_EQ(toDisk.exitCode, 0) << toDisk.out << toDisk.err;
  auto workspace = work_.path() / "ws";
  auto fromDisk = runFerry(withFlags({"mirror", "--from", "file://" + archive.string(), "--workspace",
                                      "file://" + workspace.string(), dockerRoot(mirror_)},
                                     mirror_, &mirror_));
  ASSERT_EQ(fromDisk.exitCode, 0) << fromDisk.out << fromDisk.err;

  auto one = ImageReference::parse("docker://" + mirror_.host() + "/mirror/one/catalog:foo");
  auto two = ImageReference::parse("docker://" + mirror_.host() + "/mirror/two/catalog:bar");
  EXPECT_EQ(bundleNames(listOperators(mirror_, one.str())["variants"][0]), (std::set<std::string>{"foo.v1.0.0"}));
  EXPECT_EQ(bundleNames(listOperators(mirror_, two.str())["variants"][0]), (std::set<std::string>{"bar.v2.0.0"}));

  // Each CatalogSource names its own catalog by the digest it has at the mirror.
  std::string sources;
  for (const auto& file : std::filesystem::directory_iterator(workspace / "working-dir" / "cluster-resources"))
    if (file.path().filename().string().starts_with("cs-")) sources += readFile(file.path());
  auto oneDigest = digestAt(mirror_, one), twoDigest = digestAt(mirror_, two);
  EXPECT_NE(oneDigest, twoDigest);
  EXPECT_NE(sources.find(mirror_.host() + "/mirror/one/catalog@" + oneDigest), std::string::npos) << sources;
  EXPECT_NE(sources.find(mirror_.host() + "/mirror/two/catalog@" + twoDigest), std::string::npos) << sources;
}

// issue 11 item 8: -c narrows what disk-to-mirror loads from an archive.
TEST_F(MirrorTest, DiskToMirrorLoadsOnlyWhatTheConfigurationNames) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0"}}});
  auto config = scenario.writeConfig("isc.yaml", "");
  auto archive = work_.path() / "archive";
  auto toDisk = runFerry(withFlags({"mirror", "-c", config.string(), "file://" + archive.string()}, source_, nullptr));
  ASSERT_EQ(toDisk.exitCode, 0) << toDisk.out << toDisk.err;

  auto onlyExtra = work_.path() / "extra.yaml";
  writeFileAtomically(onlyExtra, "apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nmirror:\n"
                                 "  additionalImages:\n    - name: " + scenario.additional() + "\n");
  auto workspace = work_.path() / "ws";
  auto fromDisk = runFerry(withFlags({"mirror", "-c", onlyExtra.string(), "--from", "file://" + archive.string(),
                                      "--workspace", "file://" + workspace.string(), dockerRoot(mirror_)},
                                     mirror_, &mirror_));
  ASSERT_EQ(fromDisk.exitCode, 0) << fromDisk.out << fromDisk.err;
  auto entries = mapping(workspace);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].source.str(), "docker://" + scenario.additional());
  EXPECT_EQ(digestAt(mirror_, entries[0].destination), digestAt(source_, entries[0].source));
  auto log = mirror_.accessLog();
  EXPECT_EQ(manifestPushes(log, "ferry-test/foo-bundle"), 0u);
  EXPECT_EQ(manifestPushes(log, "ferry-test/foo-operator"), 0u);
  EXPECT_EQ(manifestPushes(log, "ferry-test/catalog"), 0u);

  // Without -c the whole archive is loaded.
  auto everything = runFerry(withFlags({"mirror", "--from", "file://" + archive.string(), "--workspace",
                                        "file://" + workspace.string(), dockerRoot(mirror_)},
                                       mirror_, &mirror_));
  ASSERT_EQ(everything.exitCode, 0) << everything.out << everything.err;
  EXPECT_EQ(mapping(workspace).size(), 4u);
  EXPECT_GT(manifestPushes(mirror_.accessLog(), "ferry-test/catalog"), 0u);
}

}  // namespace
}  // namespace ferry::testing
