// Archives in S3-compatible storage (docs/scale.md): mirror-to-disk into
// s3://bucket/prefix as multipart uploads, disk-to-mirror and describe from it
// with ranged GETs, against the tests' S3 server (support/s3_server.h), which
// checks every request's SigV4 signature and payload hash.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "ferry/base/files.h"
#include "ferry/mirror/mapping_file.h"
#include "integration/ferry_test_env.h"
#include "support/mirror_scenario.h"
#include "support/s3_server.h"

namespace ferry::testing {
namespace {

using nlohmann::json;

std::string digestOf(const TestRegistry& registry, const ImageReference& reference) {
  std::vector<std::string> argv{"skopeo", "inspect", "--raw"};
  for (auto& flag : skopeoFlags(registry, "")) argv.push_back(flag);
  argv.push_back(reference.str());
  return Digest::sha256Of(runChecked(argv)).str();
}

class S3ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!toolAvailable("skopeo")) GTEST_SKIP() << "needs skopeo";
    s3_.createBucket("archives");
    // Inherited by every ferry this test starts (and only credentials: the endpoint goes as a flag).
    ::setenv("AWS_ACCESS_KEY_ID", S3Server::kAccessKey, 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", S3Server::kSecretKey, 1);
    ::setenv("AWS_REGION", "us-east-1", 1);
    ::unsetenv("AWS_SESSION_TOKEN");
    ::unsetenv("AWS_PROFILE");
    ::unsetenv("AWS_ENDPOINT_URL");
    ::unsetenv("AWS_ENDPOINT_URL_S3");
  }

  std::vector<std::string> s3Flags() const { return {"--s3-endpoint", s3_.url(), "--s3-part-size", "5MiB"}; }

  std::vector<std::string> toS3(const std::filesystem::path& config, const std::string& prefix,
                                const std::string& workspace) {
    auto args = withFlags({"mirror", "-c", config.string(), "--workspace", "file://" + (work_.path() / workspace).string(),
                           "s3://archives/" + prefix},
                          source_, nullptr);
    for (auto& flag : s3Flags()) args.push_back(flag);
    return args;
  }

  std::vector<std::string> fromS3(const std::string& prefix, const TestRegistry& destination, const std::string& workspace) {
    auto args = withFlags({"mirror", "--from", "s3://archives/" + prefix, "--workspace",
                           "file://" + (work_.path() / workspace).string(), dockerRoot(destination)},
                          destination, &destination);
    for (auto& flag : s3Flags()) args.push_back(flag);
    return args;
  }

  // Every image the disk-to-mirror run of `workspace` mapped into `loaded` has the digest it has at `reference`.
  std::vector<mirror::MappingEntry> expectSameDigests(const std::string& workspace, const TestRegistry& loaded,
                                                      const TestRegistry& reference) {
    auto entries = mirror::readMappingTxt(work_.path() / workspace / "working-dir" / "mapping.txt");
    EXPECT_GE(entries.size(), 4u);
    for (const auto& entry : entries) {
      auto there = entry.destination;
      there.registry = reference.host();
      EXPECT_EQ(digestOf(loaded, entry.destination), digestOf(reference, there)) << entry.destination.str();
    }
    return entries;
  }

  std::vector<std::string> partKeys(const std::string& prefix) const {
    std::vector<std::string> keys;
    for (const auto& key : s3_.objectKeys("archives"))
      if (key.starts_with(prefix + "/mirror_")) keys.push_back(key);
    return keys;
  }

  TemporaryDirectory work_{"ferry-s3-test"};
  TestRegistry source_;
  S3Server s3_;
};

// m2d to s3://, d2m from it: every image lands with the digests a file:// round trip gives, the
// parts are the same bytes as the file:// parts would be in layout (tar members), and the reads are ranged.
TEST_F(S3ArchiveTest, AnArchiveRoundTripsThroughS3DigestForDigestAsAFileArchiveDoes) {
  // 6 MiB layers: parts of several 5 MiB upload parts, blobs crossing upload-part boundaries.
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0", "1.1.0"}}}, {}, 6 << 20);
  auto config = scenario.writeConfig("isc.yaml", "      packages:\n        - name: foo\n");

  auto toS3Run = runFerry(toS3(config, "nightly", "ws-m2d"));
  ASSERT_EQ(toS3Run.exitCode, 0) << toS3Run.out << toS3Run.err;
  auto keys = partKeys("nightly");
  ASSERT_EQ(keys, std::vector<std::string>{"nightly/mirror_000001.tar"}) << toS3Run.out;
  EXPECT_GT(s3_.object("archives", keys[0]).size(), size_t{10} << 20);
  EXPECT_GE(s3_.uploadedParts(), 3);
  EXPECT_EQ(s3_.pendingUploads(), 0u);
  EXPECT_EQ(s3_.refusedSignatures(), 0);

  // The same configuration into a file:// archive, for reference.
  auto archive = work_.path() / "archive";
  auto toDisk = runFerry(withFlags({"mirror", "-c", config.string(), "file://" + archive.string()}, source_, nullptr));
  ASSERT_EQ(toDisk.exitCode, 0) << toDisk.err;

  // describe reads the S3 archive in place (ranged GETs), and finds the same images as in the file:// one.
  auto describeS3 = runFerry({"describe", "s3://archives/nightly", "-o", "json", "--s3-endpoint", s3_.url()});
  ASSERT_EQ(describeS3.exitCode, 0) << describeS3.err;
  auto describeFile = runFerry({"describe", archive.string(), "-o", "json"});
  ASSERT_EQ(describeFile.exitCode, 0) << describeFile.err;
  std::set<std::string> s3Images, fileImages;
  for (const auto& image : json::parse(describeS3.out)["images"]) s3Images.insert(image["reference"].get<std::string>() + " " + image["digest"].get<std::string>());
  for (const auto& image : json::parse(describeFile.out)["images"]) fileImages.insert(image["reference"].get<std::string>() + " " + image["digest"].get<std::string>());
  EXPECT_EQ(s3Images, fileImages);
  EXPECT_GT(s3_.rangedGets(), 0);

  // A part on its own, by its key, works too.
  auto onePart = runFerry({"describe", "s3://archives/nightly/mirror_000001.tar", "--s3-endpoint", s3_.url()});
  EXPECT_EQ(onePart.exitCode, 0) << onePart.err;

  // disk-to-mirror from S3 and from the folder into two empty registries: skopeo reads the same digests.
  TestRegistry fromS3Registry, fromFileRegistry;
  auto fromS3Run = runFerry(fromS3("nightly", fromS3Registry, "ws-d2m"));
  ASSERT_EQ(fromS3Run.exitCode, 0) << fromS3Run.out << fromS3Run.err;
  auto fromFile = runFerry(withFlags({"mirror", "--from", "file://" + archive.string(), dockerRoot(fromFileRegistry)},
                                     fromFileRegistry, &fromFileRegistry));
  ASSERT_EQ(fromFile.exitCode, 0) << fromFile.err;
  auto entries = expectSameDigests("ws-d2m", fromS3Registry, fromFileRegistry);
  // And the images pushed are the source's own (the catalog is rebuilt, so it is compared between the two runs only).
  for (const auto& entry : entries) {
    if (entry.source.repository == "ferry-test/catalog") continue;
    EXPECT_EQ(digestOf(fromS3Registry, entry.destination), digestOf(source_, entry.source)) << entry.source.str();
  }

  // A second run with nothing new writes no part; a wider one continues the numbering.
  auto again = runFerry(toS3(config, "nightly", "ws-m2d"));
  ASSERT_EQ(again.exitCode, 0) << again.err;
  EXPECT_EQ(partKeys("nightly").size(), 1u);
}

// Two shards (as the pods of an --emit-job Indexed Job) write parts of their own under one prefix at
// once; disk-to-mirror from the prefix gives what the unsharded archive gives.
TEST_F(S3ArchiveTest, ShardsWritePartsOfTheirOwnUnderOnePrefixAndTheyLoadAsOneArchive) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0", "1.1.0"}}, {"bar", {"2.0.0"}}});
  auto config = scenario.writeConfig("isc.yaml", "      packages:\n        - name: foo\n        - name: bar\n");
  auto unsharded = runFerry(toS3(config, "whole", "ws-whole"));
  ASSERT_EQ(unsharded.exitCode, 0) << unsharded.err;

  CommandResult shards[2];
  {
    std::vector<std::thread> pods;
    for (int shard = 0; shard < 2; ++shard)
      pods.emplace_back([&, shard] {
        auto args = toS3(config, "split", "ws-shard-" + std::to_string(shard));
        args.insert(args.end(), {"--shard", std::to_string(shard) + "/2"});
        shards[shard] = runFerry(args);
      });
    for (auto& pod : pods) pod.join();
  }
  for (const auto& result : shards) ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  auto keys = partKeys("split");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0], "split/mirror_shard-0-of-2_000001.tar");
  EXPECT_EQ(keys[1], "split/mirror_shard-1-of-2_000001.tar");
  EXPECT_EQ(s3_.pendingUploads(), 0u);
  // Together the shards carry what the one archive carries, each blob once (manifests in both).
  EXPECT_LT(s3_.object("archives", keys[0]).size() + s3_.object("archives", keys[1]).size(),
            s3_.object("archives", "whole/mirror_000001.tar").size() + (size_t{256} << 10));

  TestRegistry fromWhole, fromSplit;
  ASSERT_EQ(runFerry(fromS3("whole", fromWhole, "ws-d2m-whole")).exitCode, 0);
  auto loaded = runFerry(fromS3("split", fromSplit, "ws-d2m-split"));
  ASSERT_EQ(loaded.exitCode, 0) << loaded.out << loaded.err;
  expectSameDigests("ws-d2m-split", fromSplit, fromWhole);
}

// A part cut off mid-upload (the process killed while its upload parts go up) leaves no completed
// object, and the run made again converges: a loadable archive whose images are the source's.
TEST_F(S3ArchiveTest, APartInterruptedMidUploadLeavesNoObjectAndARerunConverges) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0", "1.1.0", "1.2.0"}}}, {}, 8 << 20);
  auto config = scenario.writeConfig("isc.yaml", "      packages:\n        - name: foo\n");
  auto args = toS3(config, "cut", "ws-cut");
  args.push_back("--parallel");
  args.push_back("1");
  {
    std::vector<std::string> argv{FERRY_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess run(argv, work_.path() / "killed.log");
    for (int i = 0; i < 1500 && s3_.uploadedParts() < 2; ++i) {
      if (run.exited()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    run.stop(std::chrono::milliseconds(0));  // SIGKILL: no chance to abort
  }
  ASSERT_GE(s3_.uploadedParts(), 2) << readFile(work_.path() / "killed.log");
  EXPECT_TRUE(partKeys("cut").empty()) << "a killed part must not look complete";
  EXPECT_GE(s3_.pendingUploads(), 1u);

  auto rerun = runFerry(args);
  ASSERT_EQ(rerun.exitCode, 0) << rerun.out << rerun.err;
  ASSERT_FALSE(partKeys("cut").empty());
  TestRegistry destination;
  auto load = runFerry(fromS3("cut", destination, "ws-cut-d2m"));
  ASSERT_EQ(load.exitCode, 0) << load.out << load.err;
  for (const auto& entry : mirror::readMappingTxt(work_.path() / "ws-cut-d2m" / "working-dir" / "mapping.txt")) {
    if (entry.source.repository == "ferry-test/catalog") continue;
    EXPECT_EQ(digestOf(destination, entry.destination), digestOf(source_, entry.source)) << entry.source.str();
  }
}

// A store failing every upload part: the run fails naming the object and endpoint, the multipart
// upload is aborted (AbortMultipartUpload: nothing is left behind), and no part object exists.
TEST_F(S3ArchiveTest, AStoreFailingUploadPartsAbortsTheUploadAndLeavesNoPart) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0"}}}, {}, 6 << 20);
  auto config = scenario.writeConfig("isc.yaml", "      packages:\n        - name: foo\n");
  s3_.failUploadParts(true);
  auto args = toS3(config, "failing", "ws-fail");
  args.push_back("--retry-times");
  args.push_back("1");
  args.push_back("--retry-delay");
  args.push_back("10ms");
  auto run = runFerry(args);
  EXPECT_NE(run.exitCode, 0);
  EXPECT_NE(run.err.find("s3://archives/failing/mirror_000001.tar at " + s3_.url()), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("InternalError"), std::string::npos) << run.err;
  EXPECT_TRUE(partKeys("failing").empty());
  EXPECT_EQ(s3_.pendingUploads(), 0u);
  EXPECT_GE(s3_.abortedUploads(), 1);
}

// Wrong secret key, unknown key id, missing bucket: each refused with the bucket, the endpoint and the fix.
TEST_F(S3ArchiveTest, BadCredentialsAndAMissingBucketGiveAClearError) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0"}}});
  auto config = scenario.writeConfig("isc.yaml", "      packages:\n        - name: foo\n");
  auto args = toS3(config, "denied", "ws-denied");
  args.insert(args.begin(), FERRY_BINARY);

  auto wrongSecret = runCommand(args, {}, {{"AWS_SECRET_ACCESS_KEY", std::string("not-the-secret")}});
  EXPECT_NE(wrongSecret.exitCode, 0);
  EXPECT_NE(wrongSecret.err.find("SignatureDoesNotMatch"), std::string::npos) << wrongSecret.err;
  EXPECT_NE(wrongSecret.err.find("bucket 'archives' at " + s3_.url()), std::string::npos) << wrongSecret.err;
  EXPECT_NE(wrongSecret.err.find("AWS_ACCESS_KEY_ID"), std::string::npos) << wrongSecret.err;
  EXPECT_GE(s3_.refusedSignatures(), 1);

  auto unknownKey = runCommand(args, {}, {{"AWS_ACCESS_KEY_ID", std::string("nobody")}});
  EXPECT_NE(unknownKey.exitCode, 0);
  EXPECT_NE(unknownKey.err.find("InvalidAccessKeyId"), std::string::npos) << unknownKey.err;
  EXPECT_NE(unknownKey.err.find("key id nobody"), std::string::npos) << unknownKey.err;

  auto none = runCommand(args, {}, {{"AWS_ACCESS_KEY_ID", std::nullopt}, {"AWS_SECRET_ACCESS_KEY", std::nullopt},
                                    {"HOME", work_.path().string()}});
  EXPECT_NE(none.exitCode, 0);
  EXPECT_NE(none.err.find("no S3 credentials"), std::string::npos) << none.err;

  auto missing = toS3(config, "x", "ws-missing");
  for (auto& arg : missing)
    if (arg == "s3://archives/x") arg = "s3://no-such-bucket/x";
  auto noBucket = runFerry(missing);
  EXPECT_NE(noBucket.exitCode, 0);
  EXPECT_NE(noBucket.err.find("S3 bucket 'no-such-bucket' does not exist at " + s3_.url()), std::string::npos)
      << noBucket.err;
  EXPECT_TRUE(s3_.objectKeys("archives").empty());
}

// Credentials from a profile in the AWS files (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE), the endpoint
// from AWS_ENDPOINT_URL_S3, and a listing that pages (ListObjectsV2 continuation tokens).
TEST_F(S3ArchiveTest, ProfileCredentialsTheEndpointVariableAndAPagedListingWork) {
  MirrorScenario scenario(source_, work_.path(), {{"foo", {"1.0.0"}}});
  auto config = scenario.writeConfig("isc.yaml", "      packages:\n        - name: foo\n");
  auto credentials = work_.path() / "aws-credentials";
  writeFileAtomically(credentials, std::string("[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n[ci]\n") +
                             "aws_access_key_id = " + S3Server::kAccessKey + "\naws_secret_access_key = " +
                             S3Server::kSecretKey + "\n");
  // Objects before the archive's, so the listing of the bucket needs several pages of 2.
  s3_.setMaxKeys(2);
  EnvironmentChanges environment{{"AWS_ACCESS_KEY_ID", std::nullopt},
                                 {"AWS_SECRET_ACCESS_KEY", std::nullopt},
                                 {"AWS_PROFILE", std::string("ci")},
                                 {"AWS_SHARED_CREDENTIALS_FILE", credentials.string()},
                                 {"AWS_ENDPOINT_URL_S3", s3_.url()}};
  for (int run = 0; run < 3; ++run) {
    auto args = withFlags({FERRY_BINARY, "mirror", "-c", config.string(), "--workspace",
                           "file://" + (work_.path() / ("ws" + std::to_string(run))).string(), "s3://archives/paged",
                           "--s3-part-size", "5MiB"},
                          source_, nullptr);
    auto result = runCommand(args, {}, environment);
    ASSERT_EQ(result.exitCode, 0) << result.err;
  }
  // Three runs with fresh workspaces: each writes a part, numbered after those the (paged) listing found.
  EXPECT_EQ(partKeys("paged"), (std::vector<std::string>{"paged/mirror_000001.tar", "paged/mirror_000002.tar",
                                                         "paged/mirror_000003.tar"}));
  auto describe = runCommand({FERRY_BINARY, "describe", "s3://archives/paged", "-o", "json"}, {}, environment);
  ASSERT_EQ(describe.exitCode, 0) << describe.err;
  EXPECT_EQ(json::parse(describe.out)["parts"].size(), 3u) << describe.out;
}

}  // namespace
}  // namespace ferry::testing
