// oci-archive:, docker-archive: and dir: against skopeo: what ferry writes
// skopeo reads, and what skopeo writes ferry reads, digests compared.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/ferry_test_env.h"

namespace ferry::testing {
namespace {

using nlohmann::json;

std::string sha256Text(const std::string& bytes) { return Digest::sha256Of(bytes).str(); }

TEST(Transports, SkopeoReadsAnOciArchiveWrittenByFerry) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 61);
  auto index = builder.ociIndex("index");
  // OCI media types: skopeo 1.9 skips index.json entries of Docker manifests in any OCI layout.
  auto single = builder.singleArchOci("single");
  auto archive = work.path() / "out" / "images.tar";

  // Two images into one archive in one run: shared blobs go in once.
  auto mapping = work.path() / "mapping.txt";
  writeFileAtomically(mapping, "oci:" + fixtures.string() + ":index=oci-archive:" + archive.string() + ":index\n" +
                                   "oci:" + fixtures.string() + ":single=oci-archive:" + archive.string() + ":single\n");
  auto result = runFerry({"copy", "-q", "-f", mapping.string()});
  ASSERT_EQ(result.exitCode, 0) << result.err;
  EXPECT_TRUE(std::filesystem::exists(archive));
  EXPECT_FALSE(std::filesystem::exists(archive.string() + ".partial"));
  auto listed = json::parse(runChecked({"tar", "-xOf", archive.string(), "index.json"}));
  ASSERT_EQ(listed["manifests"].size(), 2u) << listed.dump() << result.out;

  EXPECT_EQ(runChecked({"skopeo", "inspect", "--raw", "oci-archive:" + archive.string() + ":index"}),
            readBlob(fixtures, index.digest));
  auto inspected = json::parse(runChecked({"skopeo", "inspect", "oci-archive:" + archive.string() + ":single"}));
  EXPECT_EQ(inspected["Digest"], single.digest.str());
  TestRegistry registry;
  runChecked({"skopeo", "copy", "-q", "--all", "--preserve-digests", "--dest-tls-verify=false",
              "oci-archive:" + archive.string() + ":index", dockerRef(registry, "from-archive", "v1")});
  EXPECT_EQ(skopeoRaw(registry, "from-archive", "v1"), readBlob(fixtures, index.digest));

  // And ferry reads its own archive back, every platform, digest for digest.
  auto layout = work.path() / "back";
  result = runFerry({"copy", "-q", "oci-archive:" + archive.string() + ":index", "oci:" + layout.string() + ":index"});
  ASSERT_EQ(result.exitCode, 0) << result.err;
  expectLayoutHolds(layout, index, fixtures);
}

TEST(Transports, AFailedCopyLeavesNoArchive) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 62);
  builder.singleArchOci("there");
  auto archive = work.path() / "images.tar";
  writeFileAtomically(archive, "the previous archive");
  auto result = runFerry({"copy", "-q", "oci:" + fixtures.string() + ":missing", "oci-archive:" + archive.string() + ":x"});
  EXPECT_NE(result.exitCode, 0);
  EXPECT_EQ(readFile(archive), "the previous archive");
  EXPECT_FALSE(std::filesystem::exists(archive.string() + ".partial"));
}

TEST(Transports, FerryReadsOciArchiveDockerArchiveAndDirWrittenBySkopeo) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 63);
  auto index = builder.ociIndex("index");
  auto single = builder.singleArchDocker("single");
  TestRegistry registry;
  for (std::string tag : {"index", "single"})
    ASSERT_EQ(runFerry({"copy", "-q", "--dest-use-http", "oci:" + fixtures.string() + ":" + tag,
                        dockerRef(registry, "app", tag)})
                  .exitCode,
              0);

  // oci-archive: every platform, digests kept.
  auto ociArchive = work.path() / "skopeo-oci.tar";
  runChecked({"skopeo", "copy", "-q", "--all", "--preserve-digests", "--src-tls-verify=false",
              dockerRef(registry, "app", "index"), "oci-archive:" + ociArchive.string() + ":v1"});
  auto result = runFerry({"copy", "-q", "--dest-use-http", "oci-archive:" + ociArchive.string() + ":v1",
                          dockerRef(registry, "from-oci-archive", "v1")});
  ASSERT_EQ(result.exitCode, 0) << result.err;
  EXPECT_EQ(skopeoRaw(registry, "from-oci-archive", "v1"), readBlob(fixtures, index.digest));

  // dir: the image as skopeo stored it, manifest digest kept (a Docker schema 2 image stays one).
  auto dir = work.path() / "skopeo-dir";
  runChecked({"skopeo", "copy", "-q", "--src-tls-verify=false", dockerRef(registry, "app", "single"), "dir:" + dir.string()});
  result = runFerry({"copy", "-q", "--dest-use-http", "dir:" + dir.string(), dockerRef(registry, "from-dir", "v1")});
  ASSERT_EQ(result.exitCode, 0) << result.err;
  EXPECT_EQ(skopeoRaw(registry, "from-dir", "v1"), readFile(dir / "manifest.json"));
  EXPECT_EQ(sha256Text(skopeoRaw(registry, "from-dir", "v1")), single.digest.str());

  // dir: with --all: the index in manifest.json, its manifests as <hex>.manifest.json.
  auto dirAll = work.path() / "skopeo-dir-all";
  runChecked({"skopeo", "copy", "-q", "--all", "--src-tls-verify=false", dockerRef(registry, "app", "index"),
              "dir:" + dirAll.string()});
  result = runFerry({"copy", "-q", "--dest-use-http", "dir:" + dirAll.string(), dockerRef(registry, "from-dir", "all")});
  ASSERT_EQ(result.exitCode, 0) << result.err;
  EXPECT_EQ(skopeoRaw(registry, "from-dir", "all"), readBlob(fixtures, index.digest));

  // docker-archive: layers are stored uncompressed, so the manifest is made: ferry
  // makes the one skopeo makes (same bytes, same digest), with the config digest
  // of the original image and the layers' diff_ids as layer digests.
  auto dockerArchive = work.path() / "skopeo-docker.tar";
  runChecked({"skopeo", "copy", "-q", "--src-tls-verify=false", dockerRef(registry, "app", "single"),
              "docker-archive:" + dockerArchive.string() + ":example.com/app:v1"});
  auto skopeoMade = runChecked({"skopeo", "inspect", "--raw", "docker-archive:" + dockerArchive.string()});
  for (std::string name : {"", ":example.com/app:v1", ":@0"}) {
    auto repository = "from-docker-archive-" + std::to_string(name.size());
    result = runFerry({"copy", "-q", "--dest-use-http", "docker-archive:" + dockerArchive.string() + name,
                       dockerRef(registry, repository, "v1")});
    ASSERT_EQ(result.exitCode, 0) << name << ": " << result.err;
    EXPECT_EQ(skopeoRaw(registry, repository, "v1"), skopeoMade) << name;
  }
  auto original = json::parse(readBlob(fixtures, single.digest));
  auto made = json::parse(skopeoMade);
  EXPECT_EQ(made["config"]["digest"], original["config"]["digest"]);
  auto config = json::parse(readBlob(fixtures, Digest::parse(original["config"]["digest"].get<std::string>())));
  ASSERT_EQ(made["layers"].size(), config["rootfs"]["diff_ids"].size());
  for (size_t i = 0; i < made["layers"].size(); ++i) EXPECT_EQ(made["layers"][i]["digest"], config["rootfs"]["diff_ids"][i]);
  // skopeo itself can pull what ferry pushed from the docker-archive.
  runChecked({"skopeo", "copy", "-q", "--src-tls-verify=false", dockerRef(registry, "from-docker-archive-0", "v1"),
              "oci:" + (work.path() / "pulled").string() + ":x"});

  result = runFerry({"copy", "-q", "docker-archive:" + dockerArchive.string() + ":other/name:v9",
                     "oci:" + (work.path() / "nothing").string()});
  EXPECT_NE(result.exitCode, 0);
  EXPECT_NE(result.err.find("docker.io/other/name:v9"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("example.com/app:v1"), std::string::npos) << result.err;
}

TEST(Transports, SkopeoReadsADockerArchiveWrittenByFerry) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 64);
  auto index = builder.ociIndex("index");
  auto archive = work.path() / "saved.tar";
  auto result = runFerry({"copy", "-q", "--platform", "linux/arm64", "oci:" + fixtures.string() + ":index",
                          "docker-archive:" + archive.string() + ":demo/app:v1"});
  ASSERT_EQ(result.exitCode, 0) << result.err;
  auto inspected = json::parse(runChecked({"skopeo", "inspect", "docker-archive:" + archive.string()}));
  EXPECT_EQ(inspected["Architecture"], "arm64");
  auto saved = json::parse(runChecked({"tar", "-xOf", archive.string(), "manifest.json"}));
  EXPECT_EQ(saved[0]["RepoTags"], json::array({"docker.io/demo/app:v1"}));
  // skopeo names the layers by the config's diff_ids: what ferry stored matches them.
  auto raw = json::parse(runChecked({"skopeo", "inspect", "--raw", "docker-archive:" + archive.string()}));
  auto config = json::parse(runChecked({"skopeo", "inspect", "--config", "--raw", "docker-archive:" + archive.string()}));
  ASSERT_FALSE(raw["layers"].empty());
  for (size_t i = 0; i < raw["layers"].size(); ++i) EXPECT_EQ(raw["layers"][i]["digest"], config["rootfs"]["diff_ids"][i]);
  runChecked({"skopeo", "copy", "-q", "docker-archive:" + archive.string(), "oci:" + (work.path() / "loaded").string() + ":x"});

  // An index does not fit a docker-archive: the message says how to choose a platform.
  result = runFerry({"copy", "-q", "oci:" + fixtures.string() + ":index", "docker-archive:" + (work.path() / "all.tar").string()});
  EXPECT_NE(result.exitCode, 0);
  EXPECT_NE(result.err.find("--platform"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(work.path() / "all.tar"));
}

TEST(Transports, DirIsReadOnlyAndUnknownTransportsAreNamed) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 65);
  builder.singleArchOci("one");
  auto result = runFerry({"copy", "-q", "oci:" + fixtures.string() + ":one", "dir:" + (work.path() / "d").string()});
  EXPECT_NE(result.exitCode, 0);
  EXPECT_NE(result.err.find("oci:"), std::string::npos) << result.err;
  result = runFerry({"inspect", "containers-storage:busybox"});
  EXPECT_NE(result.exitCode, 0);
  EXPECT_NE(result.err.find("docker://, oci:, oci-archive:, docker-archive:, dir:"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace ferry::testing
