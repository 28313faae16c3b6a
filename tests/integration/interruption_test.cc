// kill -9 of ferry at random points of mirror-to-mirror, mirror-to-disk and
// disk-to-mirror. After every kill the destination must be consistent:
//  - a registry: every manifest any repository's tag names, and every child
//    of an index, is there, and so is every blob a manifest names (walked
//    through the registry's own API, as a cluster pulling from it would);
//  - an archive: only finished parts are read (a .partial never), every
//    finished part's checksums verify, and every image its index.json lists
//    is whole within the parts.
// After the kills of one seed, a plain re-run must exit 0 and leave the same
// destination as an uninterrupted run, digest for digest.
//
// The kill points come from seeded random delays within the length of an
// uninterrupted run; FERRY_INTERRUPTION_SEEDS="1,2,3" (the default) picks the
// seeds, and each failure names its seed so it can be replayed alone.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "ferry/archive/archive_reader.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/oci/manifest.h"
#include "ferry/oci/media_types.h"
#include "integration/ferry_test_env.h"
#include "support/http_client.h"
#include "support/mirror_scenario.h"

namespace ferry::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// "repository:tag" (or "name:tag" / "name@digest" in an archive) -> manifest digest.
using Listing = std::map<std::string, std::string>;

std::vector<uint64_t> seeds() {
  std::string text = "1,2,3";
  if (const char* value = std::getenv("FERRY_INTERRUPTION_SEEDS"); value && *value) text = value;
  std::vector<uint64_t> result;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');)
    if (!item.empty()) result.push_back(std::stoull(item));
  return result;
}
constexpr int kKillsPerSeed = 2;

// Runs ferry with `args` and sends it SIGKILL after `delay`, unless it ends first.
// Returns whether it was killed.
bool runAndKill(const std::vector<std::string>& args, milliseconds delay, const std::filesystem::path& log) {
  std::vector<std::string> argv{FERRY_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess run(argv, log);
  auto deadline = Clock::now() + delay;
  while (Clock::now() < deadline) {
    if (run.exited()) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  if (run.exited()) return false;
  ::kill(run.pid(), SIGKILL);
  run.stop(milliseconds(0));  // reaps it
  return true;
}

milliseconds timedRun(const std::vector<std::string>& args, CommandResult& result) {
  auto start = Clock::now();
  result = runFerry(args);
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// --- registry destinations -------------------------------------------------

struct RegistryWalk {
  Listing tags;
  std::vector<std::string> problems;  // one sentence per dangling reference
};

json getJson(const std::string& url) {
  auto response = httpGet(url);
  if (response.status != 200) throw Error("GET " + url + ": HTTP " + std::to_string(response.status));
  return json::parse(response.body);
}

// Checks the manifest `reference` of `repository` and everything under it.
// Returns its digest, or empty (and a problem) when it is not there.
std::string walkManifest(const TestRegistry& registry, const std::string& repository, const std::string& reference,
                         std::set<std::string>& seen, std::vector<std::string>& problems) {
  auto base = registry.url() + "/v2/" + repository;
  auto response = httpRequest("GET", base + "/manifests/" + reference,
                              std::vector<std::string>{"Accept: " + ferry::media::manifestAcceptHeader()});
  if (response.status != 200) {
    problems.push_back(repository + ": manifest " + reference + " is named but answers HTTP " +
                       std::to_string(response.status));
    return {};
  }
  auto digest = Digest::sha256Of(response.body).str();
  if (reference.starts_with("sha256:") && reference != digest)
    problems.push_back(repository + ": manifest " + reference + " has bytes of digest " + digest);
  if (!seen.insert(repository + "@" + digest).second) return digest;
  auto manifest = Manifest::parse(response.body, response.header("content-type"));
  for (const auto& child : manifest.manifests) walkManifest(registry, repository, child.digest.str(), seen, problems);
  for (const auto& blob : manifest.blobs()) {
    auto head = httpRequest("HEAD", base + "/blobs/" + blob.digest.str());
    if (head.status != 200)
      problems.push_back(repository + "@" + digest + " names blob " + blob.digest.str() + ", which answers HTTP " +
                         std::to_string(head.status));
  }
  return digest;
}

// Every repository and tag of the registry, through its API.
RegistryWalk walkRegistry(const TestRegistry& registry) {
  RegistryWalk walk;
  std::set<std::string> seen;
  auto catalog = getJson(registry.url() + "/v2/_catalog?n=1000");
  for (const auto& repository : catalog["repositories"]) {
    auto name = repository.get<std::string>();
    auto listing = httpGet(registry.url() + "/v2/" + name + "/tags/list?n=1000");
    if (listing.status == 404) continue;  // blobs only (the run was killed before any tag): nothing names them
    if (listing.status != 200)
      throw Error("GET tags of " + name + ": HTTP " + std::to_string(listing.status) + " " + listing.body);
    auto tags = json::parse(listing.body);
    if (!tags.contains("tags") || tags["tags"].is_null()) continue;
    for (const auto& tag : tags["tags"]) {
      auto digest = walkManifest(registry, name, tag.get<std::string>(), seen, walk.problems);
      if (!digest.empty()) walk.tags[name + ":" + tag.get<std::string>()] = digest;
    }
  }
  return walk;
}

// The walk once the registry has finished what it received: a kill can land
// while distribution still writes the last request it took in full (a tag is
// listed once its index link exists, and readable once its current link does,
// a moment later). What stays wrong after a settling pause is a real problem.
RegistryWalk settledWalk(const TestRegistry& registry) {
  auto walk = walkRegistry(registry);
  for (int pause = 0; pause < 4 && !walk.problems.empty(); ++pause) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    walk = walkRegistry(registry);
  }
  return walk;
}

// --- archive destinations --------------------------------------------------

struct ArchiveWalk {
  Listing images;
  std::vector<std::string> problems;
};

void walkArchiveManifest(ArchiveReader& archive, ImageSource& source, const std::string& name, const Digest& digest,
                         std::vector<std::string>& problems) {
  std::optional<RawManifest> found;
  try {
    found = source.getManifest(digest.str());
  } catch (const Error& e) {
    problems.push_back(name + "@" + digest.str() + " is listed or referenced but not readable: " + e.what());
    return;
  }
  const auto& raw = *found;
  if (raw.digest != digest) problems.push_back(name + "@" + digest.str() + " reads back as " + raw.digest.str());
  auto manifest = Manifest::parse(raw.bytes, raw.mediaType);
  for (const auto& child : manifest.manifests) walkArchiveManifest(archive, source, name, child.digest, problems);
  for (const auto& blob : manifest.blobs())
    if (!archive.blobSize(blob.digest))
      problems.push_back(name + "@" + digest.str() + " names blob " + blob.digest.str() + ", which no part carries");
}

// What a later disk-to-mirror would read from `directory`, and whether it is whole.
ArchiveWalk walkArchive(const std::filesystem::path& directory) {
  ArchiveWalk walk;
  static const std::regex finishedPart(R"(mirror_\d{6}\.tar)");
  std::set<std::string> finished;
  if (std::filesystem::exists(directory))
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
      auto name = entry.path().filename().string();
      if (std::regex_match(name, finishedPart)) finished.insert(name);
    }
  if (finished.empty()) return walk;  // killed before any part was finished: nothing to load, nothing to trust
  std::shared_ptr<ArchiveReader> archive;
  try {
    archive = ArchiveReader::open(directory);
  } catch (const Error& e) {
    walk.problems.push_back(std::string("the archive does not open: ") + e.what());
    return walk;
  }
  for (const auto& part : archive->partFiles())
    if (!finished.count(part)) walk.problems.push_back("the reader loads '" + part + "', which is not a finished part");
  for (const auto& problem : archive->checksumProblems()) walk.problems.push_back("checksums: " + problem);
  for (const auto& missing : archive->missingBlobs())
    walk.problems.push_back("blob " + missing.digest.str() + " is needed but carried by no part");
  for (const auto& image : archive->images()) {
    walk.images[image.reference] = image.digest.str();
    auto source = archive->source(image.name);
    walkArchiveManifest(*archive, *source, image.name, image.digest, walk.problems);
  }
  return walk;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += "  " + line + "\n";
  return text;
}

// --- the suite -------------------------------------------------------------

// One source registry and scenario for the three workflows, with each
// workflow's uninterrupted result as the reference.
class InterruptionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_ = new TemporaryDirectory("ferry-interruption-test");
    source_ = new TestRegistry();
    // Enough layers that a run spends most of its time moving them, so random points land inside.
    // A 1 MiB layer's blob (its tar headers added) is over the registry sink's small-blob size,
    // so every layer streams and kills land mid-stream.
    scenario_ = new MirrorScenario(*source_, work_->path(),
                                   {{"foo", {"1.0.0", "1.1.0", "1.2.0"}}, {"bar", {"2.0.0", "2.1.0"}}}, {}, 1 << 20);
    config_ = scenario_->writeConfig("isc.yaml", "      full: true\n");
  }
  static void TearDownTestSuite() {
    delete scenario_;
    delete source_;
    delete work_;
  }

  static std::filesystem::path path(const std::string& name) { return work_->path() / name; }

  // disk-to-mirror of `archive` into `registry`.
  static std::vector<std::string> loadArgs(const std::filesystem::path& archive, const TestRegistry& registry,
                                           const std::string& workspace) {
    return withFlags({"mirror", "--from", "file://" + archive.string(), "--workspace",
                      "file://" + path(workspace).string(), dockerRoot(registry)},
                     &registry, &registry);
  }
  static CommandResult loadInto(const std::filesystem::path& archive, const TestRegistry& registry,
                                const std::string& workspace) {
    return runFerry(loadArgs(archive, registry, workspace));
  }

  // Random delays within an uninterrupted run's length, from the seed.
  static std::vector<milliseconds> killPoints(uint64_t seed, milliseconds runLength) {
    std::mt19937_64 random(seed);
    std::uniform_int_distribution<int64_t> within(0, std::max<int64_t>(runLength.count(), 1));
    std::vector<milliseconds> points;
    for (int i = 0; i < kKillsPerSeed; ++i) points.emplace_back(within(random));
    return points;
  }

  // Kills `args` at each seeded point, checking `invariant` after each, then
  // re-runs it to the end and returns that run's result.
  template <typename Invariant>
  static CommandResult interruptThenFinish(const std::vector<std::string>& args, uint64_t seed,
                                           milliseconds runLength, const std::string& label, Invariant&& invariant) {
    int kill = 0;
    for (auto point : killPoints(seed, runLength)) {
      ++kill;
      bool killed = runAndKill(args, point, path(label + "-seed" + std::to_string(seed) + "-kill" +
                                                 std::to_string(kill) + ".log"));
      std::printf("%s seed %llu: kill %d at %lld ms of ~%lld ms: %s\n", label.c_str(),
                  static_cast<unsigned long long>(seed), kill, static_cast<long long>(point.count()),
                  static_cast<long long>(runLength.count()), killed ? "killed" : "the run had already ended");
      std::fflush(stdout);
      invariant(kill);
    }
    return runFerry(args);
  }

  // A workflow whose destination is a registry: an uninterrupted run into a
  // fresh registry is the reference; then, per seed, a fresh registry, the
  // kills with the walk after each, and the converging run.
  using ArgsFor = std::function<std::vector<std::string>(const TestRegistry& destination, const std::string& workspace)>;
  static void interruptRegistryWorkflow(const std::string& label, const ArgsFor& argsFor) {
    TestRegistry reference;
    CommandResult result;
    auto runLength = timedRun(argsFor(reference, label + "-reference-ws"), result);
    ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
    auto expected = walkRegistry(reference);
    ASSERT_TRUE(expected.problems.empty()) << joined(expected.problems);
    ASSERT_GE(expected.tags.size(), 12u);

    for (auto seed : seeds()) {
      SCOPED_TRACE(label + ", FERRY_INTERRUPTION_SEEDS=" + std::to_string(seed));
      TestRegistry destination;
      auto args = argsFor(destination, label + "-ws-" + std::to_string(seed));
      auto final = interruptThenFinish(args, seed, runLength, label, [&](int kill) {
        auto walk = settledWalk(destination);
        EXPECT_TRUE(walk.problems.empty()) << "after kill " << kill << ":\n" << joined(walk.problems);
      });
      ASSERT_EQ(final.exitCode, 0) << final.out << final.err;
      auto walk = walkRegistry(destination);
      EXPECT_TRUE(walk.problems.empty()) << joined(walk.problems);
      EXPECT_EQ(walk.tags, expected.tags);
    }

    // The walk can fail: a layer unlinked from a repository (and the
    // registry's in-memory descriptor cache dropped by a restart) is reported.
    std::filesystem::path layerLink;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(reference.dataDir()))
      if (entry.path().filename() == "link" && entry.path().string().find("/_layers/") != std::string::npos) {
        layerLink = entry.path();
        break;
      }
    ASSERT_FALSE(layerLink.empty());
    std::filesystem::remove(layerLink);
    reference.restart();
    auto damaged = walkRegistry(reference);
    auto hex = layerLink.parent_path().filename().string();
    EXPECT_TRUE(std::any_of(damaged.problems.begin(), damaged.problems.end(),
                            [&](const std::string& problem) { return problem.find(hex) != std::string::npos; }))
        << joined(damaged.problems);
  }

  static TemporaryDirectory* work_;
  static TestRegistry* source_;
  static MirrorScenario* scenario_;
  static std::filesystem::path config_;
};
TemporaryDirectory* InterruptionTest::work_ = nullptr;
TestRegistry* InterruptionTest::source_ = nullptr;
MirrorScenario* InterruptionTest::scenario_ = nullptr;
std::filesystem::path InterruptionTest::config_;

TEST_F(InterruptionTest, MirrorToMirrorKilledAnywhereLeavesNoDanglingManifestAndConverges) {
  interruptRegistryWorkflow("m2m", [](const TestRegistry& destination, const std::string& workspace) {
    return withFlags({"mirror", "-c", config_.string(), "--workspace", "file://" + path(workspace).string(),
                      dockerRoot(destination)},
                     source_, &destination);
  });
}

TEST_F(InterruptionTest, MirrorToDiskKilledAnywhereLeavesNoTrustedIncompletePartAndConverges) {
  CommandResult result;
  auto referenceArchive = path("m2d-reference");
  auto runLength = timedRun(withFlags({"mirror", "-c", config_.string(), "file://" + referenceArchive.string()},
                                      source_, nullptr),
                            result);
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  auto expected = walkArchive(referenceArchive);
  ASSERT_TRUE(expected.problems.empty()) << joined(expected.problems);
  ASSERT_GE(expected.images.size(), 12u);
  TestRegistry loadedReference;
  auto referenceLoad = loadInto(referenceArchive, loadedReference, "m2d-load-reference-ws");
  ASSERT_EQ(referenceLoad.exitCode, 0) << referenceLoad.out << referenceLoad.err;
  auto expectedLoad = walkRegistry(loadedReference);

  // The walk can fail: a part with one damaged byte, and beside it a copy
  // named .partial that must not be read, is reported.
  {
    auto damagedArchive = path("m2d-damaged");
    std::filesystem::create_directories(damagedArchive);
    auto part = damagedArchive / "mirror_000001.tar";
    std::filesystem::copy_file(referenceArchive / "mirror_000001.tar", part);
    std::filesystem::copy_file(part, damagedArchive / "mirror_000002.tar.partial");
    auto bytes = readFile(part);
    bytes[bytes.size() / 2] ^= 0x5a;
    writeFileAtomically(part, bytes);
    auto damaged = walkArchive(damagedArchive);
    EXPECT_FALSE(damaged.problems.empty());
    for (const auto& problem : damaged.problems) EXPECT_EQ(problem.find(".partial"), std::string::npos) << problem;
  }

  for (auto seed : seeds()) {
    SCOPED_TRACE("mirror-to-disk, FERRY_INTERRUPTION_SEEDS=" + std::to_string(seed));
    auto archive = path("m2d-" + std::to_string(seed));
    auto args = withFlags({"mirror", "-c", config_.string(), "file://" + archive.string()}, source_, nullptr);
    auto final = interruptThenFinish(args, seed, runLength, "m2d", [&](int kill) {
      auto walk = walkArchive(archive);
      EXPECT_TRUE(walk.problems.empty()) << "after kill " << kill << ":\n" << joined(walk.problems);
    });
    ASSERT_EQ(final.exitCode, 0) << final.out << final.err;
    auto walk = walkArchive(archive);
    EXPECT_TRUE(walk.problems.empty()) << joined(walk.problems);
    EXPECT_EQ(walk.images, expected.images);
    // What the converged archive loads is what the uninterrupted one loads.
    TestRegistry loaded;
    auto load = loadInto(archive, loaded, "m2d-load-ws-" + std::to_string(seed));
    ASSERT_EQ(load.exitCode, 0) << load.out << load.err;
    EXPECT_EQ(walkRegistry(loaded).tags, expectedLoad.tags);
  }
}

TEST_F(InterruptionTest, DiskToMirrorKilledAnywhereLeavesNoDanglingManifestAndConverges) {
  auto archive = path("d2m-archive");
  auto toDisk = runFerry(withFlags({"mirror", "-c", config_.string(), "file://" + archive.string()}, source_, nullptr));
  ASSERT_EQ(toDisk.exitCode, 0) << toDisk.out << toDisk.err;
  interruptRegistryWorkflow("d2m", [&](const TestRegistry& destination, const std::string& workspace) {
    return loadArgs(archive, destination, workspace);
  });
}

}  // namespace
}  // namespace ferry::testing
