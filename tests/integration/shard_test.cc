// `ferry mirror --shard I/N` and `--finalize` (issue 17): a run split over
// worker processes into one real registry gives what one worker gives, digest
// for digest, with no blob uploaded twice and nothing pushed before every share is in.
#include <gtest/gtest.h>

#include <thread>

#include "ferry/archive/archive_reader.h"
#include "ferry/mirror/mapping_file.h"
#include "integration/ferry_test_env.h"
#include "support/mirror_scenario.h"

namespace ferry::testing {
namespace {

class ShardTest : public ::testing::Test {
 protected:
  TemporaryDirectory work_{"ferry-shard-test"};
  TestRegistry source_;
  TestRegistry sharded_;
  TestRegistry single_;

  std::vector<std::string> mirrorArgs(const std::filesystem::path& config, const std::string& workspace,
                                      const TestRegistry& destination, std::vector<std::string> more) {
    std::vector<std::string> args{"mirror", "-c", config.string(), "--workspace",
                                  "file://" + (work_.path() / workspace).string(), dockerRoot(destination)};
    args.insert(args.end(), more.begin(), more.end());
    return withFlags(args, source_, &destination);
  }
  std::vector<mirror::MappingEntry> mapping(const std::string& workspace) {
    return mirror::readMappingTxt(work_.path() / workspace / "working-dir" / "mapping.txt");
  }
  // Every mapped image at `registry` has the digest it has at single_ (catalogs included: the rebuild is deterministic).
  void expectSameAsOneWorker(const TestRegistry& registry, const std::string& workspace) {
    for (const auto& entry : mapping(workspace)) {
      auto there = entry.destination;
      there.registry = registry.host();
      auto reference = entry.destination;
      reference.registry = single_.host();
      EXPECT_EQ(digestAt(registry, there), digestAt(single_, reference)) << there.str();
    }
  }
};

size_t manifestPuts(const std::vector<AccessLogEntry>& log) {
  size_t count = 0;
  for (const auto& entry : log)
    if (entry.method == "PUT" && entry.target.find("/manifests/") != std::string::npos) ++count;
  return count;
}

TEST_F(ShardTest, ThreeWorkersPushWhatOneDoesEachBlobOnceAndNothingBeforeEveryShareIsIn) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0", "1.1.0"}}, {"bar", {"2.0.0"}}});
  auto config = scenario.writeConfig("isc.yaml", "      packages:\n        - name: foo\n        - name: bar\n");
  auto one = runFerry(mirrorArgs(config, "ws-single", single_, {}));
  ASSERT_EQ(one.exitCode, 0) << one.out << one.err;

  // Shard 0 of 3: its share only; no manifest, and it says the run is left to the others.
  auto shard0 = runFerry(mirrorArgs(config, "ws-0", sharded_, {"--shard", "0/3"}));
  ASSERT_EQ(shard0.exitCode, 0) << shard0.out << shard0.err;
  EXPECT_NE(shard0.out.find("share"), std::string::npos) << shard0.out;
  EXPECT_NE(shard0.err.find("left to the last shard"), std::string::npos) << shard0.err;
  EXPECT_EQ(manifestPuts(sharded_.accessLog()), 0u);
  auto afterShard0 = uploadCounts(sharded_.accessLog());
  EXPECT_FALSE(afterShard0.empty());

  // Finalize while shards 1 and 2 are missing: refused, nothing pushed, no cluster resources.
  auto early = runFerry(mirrorArgs(config, "ws-final", sharded_, {"--finalize"}));
  EXPECT_NE(early.exitCode, 0) << early.out;
  EXPECT_NE(early.err.find("not all at"), std::string::npos) << early.err;
  EXPECT_NE(early.err.find("--shard I/N"), std::string::npos) << early.err;
  EXPECT_EQ(manifestPuts(sharded_.accessLog()), 0u);
  EXPECT_EQ(uploadCounts(sharded_.accessLog()), afterShard0) << "--finalize uploaded a blob";
  EXPECT_FALSE(std::filesystem::exists(work_.path() / "ws-final" / "working-dir" / "cluster-resources" /
                                       "idms-oc-mirror.yaml"));

  // Shards 1 and 2 at once: whichever finishes last finds every share in and finalizes the run.
  CommandResult shard1, shard2;
  std::thread first([&] { shard1 = runFerry(mirrorArgs(config, "ws-1", sharded_, {"--shard", "1/3"})); });
  std::thread second([&] { shard2 = runFerry(mirrorArgs(config, "ws-2", sharded_, {"--shard", "2/3"})); });
  first.join();
  second.join();
  ASSERT_EQ(shard1.exitCode, 0) << shard1.err;
  ASSERT_EQ(shard2.exitCode, 0) << shard2.err;
  bool finalizedByAShard = shard1.err.find("finalized the run") != std::string::npos ||
                           shard2.err.find("finalized the run") != std::string::npos;
  // Finishing at the same moment, both may see the other's share missing: then --finalize does it.
  auto final = runFerry(mirrorArgs(config, "ws-final", sharded_, {"--finalize"}));
  ASSERT_EQ(final.exitCode, 0) << final.out << final.err;
  std::printf("finalized by a shard: %s\n", finalizedByAShard ? "yes" : "no (by --finalize)");

  // Digest for digest what one worker made, and each blob uploaded once over all the shards.
  expectSameAsOneWorker(sharded_, "ws-final");
  auto uploads = uploadCounts(sharded_.accessLog());
  for (const auto& [digest, count] : uploads) EXPECT_EQ(count, 1) << digest << " uploaded " << count << " times";
  EXPECT_EQ(uploads.size(), uploadCounts(single_.accessLog()).size());
  auto idms = readFile(work_.path() / "ws-final" / "working-dir" / "cluster-resources" / "idms-oc-mirror.yaml");
  EXPECT_NE(idms.find(sharded_.host() + "/mirror/ferry-test"), std::string::npos) << idms;

  // Finalizing again changes nothing and sends no blob.
  auto before = sharded_.accessLog().size();
  auto again = runFerry(mirrorArgs(config, "ws-final", sharded_, {"--finalize"}));
  ASSERT_EQ(again.exitCode, 0) << again.err;
  auto log = sharded_.accessLog();
  std::vector<AccessLogEntry> rerun(log.begin() + static_cast<long>(before), log.end());
  EXPECT_TRUE(uploadCounts(rerun).empty());
  expectSameAsOneWorker(sharded_, "ws-final");
}

TEST_F(ShardTest, AShardKilledMidwayAndRunAgainConverges) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0", "1.1.0", "1.2.0", "1.3.0"}}}, {}, 8 << 20);
  auto config = scenario.writeConfig("isc.yaml", "      full: true\n      packages:\n        - name: foo\n");
  auto one = runFerry(mirrorArgs(config, "ws-single", single_, {}));
  ASSERT_EQ(one.exitCode, 0) << one.err;

  auto shard0 = runFerry(mirrorArgs(config, "ws-0", sharded_, {"--shard", "0/2"}));
  ASSERT_EQ(shard0.exitCode, 0) << shard0.err;
  auto beforeKill = uploadCounts(sharded_.accessLog()).size();
  {
    std::vector<std::string> argv{FERRY_BINARY};
    for (auto& arg : mirrorArgs(config, "ws-1", sharded_, {"--shard", "1/2", "--parallel", "1"})) argv.push_back(arg);
    ChildProcess run(argv, work_.path() / "killed.log");
    for (int i = 0; i < 600 && uploadCounts(sharded_.accessLog()).size() < beforeKill + 1; ++i) {
      if (run.exited()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_FALSE(run.exited()) << "shard 1 finished before it could be killed; see " << (work_.path() / "killed.log");
    run.stop(std::chrono::milliseconds(0));
  }
  auto early = runFerry(mirrorArgs(config, "ws-final", sharded_, {"--finalize"}));
  EXPECT_NE(early.exitCode, 0) << "finalized with shard 1 killed: " << early.out;
  EXPECT_EQ(manifestPuts(sharded_.accessLog()), 0u);

  // Run again, shard 1 sends only what it had not, and (the last to finish) finalizes the run.
  auto rerun = runFerry(mirrorArgs(config, "ws-1", sharded_, {"--shard", "1/2"}));
  ASSERT_EQ(rerun.exitCode, 0) << rerun.err;
  EXPECT_NE(rerun.err.find("finalized the run"), std::string::npos) << rerun.err;
  for (const auto& [digest, count] : uploadCounts(sharded_.accessLog()))
    EXPECT_EQ(count, 1) << digest << " uploaded " << count << " times";
  expectSameAsOneWorker(sharded_, "ws-1");
}

// Into an archive each shard writes parts of its own (its share of the blobs and
// every manifest), side by side in one folder: no final step, and any part loads alone.
TEST_F(ShardTest, MirrorToDiskShardsWritePartsOfTheirOwnThatLoadAloneAndTogetherGiveWhatOneWorkerDoes) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0", "1.1.0"}}, {"bar", {"2.0.0"}}});
  auto config = scenario.writeConfig("isc.yaml", "      packages:\n        - name: foo\n        - name: bar\n");
  auto one = runFerry(mirrorArgs(config, "ws-single", single_, {}));
  ASSERT_EQ(one.exitCode, 0) << one.out << one.err;

  auto archive = work_.path() / "archive";
  auto toDisk = [&](int shard) {
    return runFerry(withFlags({"mirror", "-c", config.string(), "file://" + archive.string(), "--shard",
                               std::to_string(shard) + "/3"},
                              &source_, nullptr));
  };
  CommandResult results[3];
  {
    std::vector<std::thread> workers;
    for (int shard = 0; shard < 3; ++shard) workers.emplace_back([&, shard] { results[shard] = toDisk(shard); });
    for (auto& worker : workers) worker.join();
  }
  for (const auto& result : results) ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  // A working folder each, beside the parts.
  for (int shard = 0; shard < 3; ++shard)
    EXPECT_TRUE(std::filesystem::exists(archive / "working-dir" / ("shard-" + std::to_string(shard) + "-of-3") /
                                        "mapping.txt"));

  // Parts named by shard, and each config and layer carried by exactly one shard.
  std::map<std::string, std::set<std::string>> carriers;  // digest → the shards' part files carrying it
  std::vector<std::filesystem::path> parts;
  for (const auto& entry : std::filesystem::directory_iterator(archive)) {
    auto name = entry.path().filename().string();
    if (!name.ends_with(".tar")) continue;
    EXPECT_TRUE(name.starts_with("mirror_shard-")) << name;
    parts.push_back(entry.path());
    auto reader = ArchiveReader::open(entry.path());
    for (const auto& info : reader->partInfos())
      for (const auto& blob : info.blobs) carriers[blob.digest.str()].insert(name.substr(0, 20));
  }
  std::sort(parts.begin(), parts.end());
  for (int shard = 0; shard < 3; ++shard)
    EXPECT_TRUE(std::any_of(parts.begin(), parts.end(), [&](const auto& part) {
      return part.filename().string().starts_with("mirror_shard-" + std::to_string(shard) + "-of-3_");
    })) << "shard " << shard << " wrote no part";
  auto uploadedByOne = uploadCounts(single_.accessLog());
  ASSERT_FALSE(uploadedByOne.empty());
  for (const auto& [digest, count] : uploadedByOne) {
    ASSERT_TRUE(carriers.contains(digest)) << digest << " is in no part";
    EXPECT_EQ(carriers[digest].size(), 1u) << digest << " is carried by more than one shard";
  }

  // One part alone: describe reads it, and disk-to-mirror says which shard's parts hold what it lacks.
  auto described = runFerry({"describe", parts.front().string()});
  EXPECT_EQ(described.exitCode, 0) << described.err;
  TestRegistry alone;
  auto oneShard = runFerry(withFlags({"mirror", "-c", config.string(), "--from", "file://" + parts.front().string(),
                                      "--workspace", "file://" + (work_.path() / "ws-alone").string(),
                                      dockerRoot(alone)},
                                     nullptr, &alone));
  EXPECT_NE(oneShard.exitCode, 0) << oneShard.out;
  EXPECT_NE(oneShard.err.find("of this run, mirror_shard-"), std::string::npos) << oneShard.err;
  EXPECT_NE(oneShard.err.find("load that part as well"), std::string::npos) << oneShard.err;

  // The folder, every shard's parts together: digest for digest what one worker pushed.
  auto fromDisk = runFerry(withFlags({"mirror", "-c", config.string(), "--from", "file://" + archive.string(),
                                      "--workspace", "file://" + (work_.path() / "ws-d2m").string(),
                                      dockerRoot(sharded_)},
                                     nullptr, &sharded_));
  ASSERT_EQ(fromDisk.exitCode, 0) << fromDisk.out << fromDisk.err;
  expectSameAsOneWorker(sharded_, "ws-d2m");
  for (const auto& [digest, count] : uploadCounts(sharded_.accessLog()))
    EXPECT_EQ(count, 1) << digest << " uploaded " << count << " times";
  EXPECT_EQ(uploadCounts(sharded_.accessLog()).size(), uploadedByOne.size());

  // A shard run again into the folder adds parts of its own series and leaves the others' alone.
  auto again = toDisk(1);
  ASSERT_EQ(again.exitCode, 0) << again.err;
  for (const auto& part : parts) EXPECT_TRUE(std::filesystem::exists(part)) << part;
}

TEST_F(ShardTest, BadShardFlagsAreRefusedBeforeAnythingMoves) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0"}}});
  auto config = scenario.writeConfig("isc.yaml", "      packages:\n        - name: foo\n");
  auto outOfRange = runFerry(mirrorArgs(config, "ws", sharded_, {"--shard", "3/3"}));
  EXPECT_NE(outOfRange.exitCode, 0);
  EXPECT_NE(outOfRange.err.find("0 to 2"), std::string::npos) << outOfRange.err;
  auto both = runFerry(mirrorArgs(config, "ws", sharded_, {"--shard", "0/2", "--finalize"}));
  EXPECT_NE(both.exitCode, 0);
  EXPECT_NE(both.err.find("different steps"), std::string::npos) << both.err;
  auto toDisk = runFerry(withFlags({"mirror", "-c", config.string(), "file://" + (work_.path() / "out").string(),
                                    "--finalize"},
                                   &source_, nullptr));
  EXPECT_NE(toDisk.exitCode, 0);
  EXPECT_NE(toDisk.err.find("mirror-to-disk run need none"), std::string::npos) << toDisk.err;
  EXPECT_FALSE(std::filesystem::exists(work_.path() / "out" / "mirror_000001.tar"));
  EXPECT_TRUE(sharded_.accessLog().empty() || uploadCounts(sharded_.accessLog()).empty());
}

}  // namespace
}  // namespace ferry::testing
