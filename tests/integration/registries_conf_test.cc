// registries.conf (issue 16, item 4), against real registries: an enclave whose
// images are read from a mirror, an insecure (plain HTTP) registry reached
// without TLS flags, a blocked one, in `ferry copy` and `ferry mirror`.
#include <gtest/gtest.h>

#include "ferry/base/files.h"
#include "integration/ferry_test_env.h"

namespace ferry::testing {
namespace {

// The name the images have everywhere; no such registry is reachable (port 1 refuses).
constexpr const char* kEnclaveName = "registry.example.com/team/app";

class RegistriesConfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pushed = runFerry({"copy", "-q", "--dest-use-http", "oci:" + (work_.path() / "fixtures").string() + ":v1",
                            dockerRef(mirror_, "cache/team/app", "v1")});
    ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  }

  std::filesystem::path writeConf(const std::string& text) {
    auto file = work_.path() / ("registries-" + std::to_string(++confs_) + ".conf");
    writeFileAtomically(file, text);
    return file;
  }
  // The enclave: its registry is unreachable, the mirror (plain HTTP, so insecure) has the images.
  std::string enclave(const std::string& pullFromMirror = "all") const {
    return "[[registry]]\nprefix = \"registry.example.com/team\"\nlocation = \"127.0.0.1:1/team\"\n"
           "[[registry.mirror]]\nlocation = \"" + mirror_.host() + "/cache/team\"\ninsecure = true\n"
           "pull-from-mirror = \"" + pullFromMirror + "\"\n";
  }
  CommandResult copyWith(const std::filesystem::path& conf, const std::string& source, const std::string& out) {
    return runCommand({FERRY_BINARY, "copy", "--retry-times", "0", source, "oci:" + (work_.path() / out).string() + ":v1"},
                      {}, {{"CONTAINERS_REGISTRIES_CONF", conf.string()}});
  }
  Digest digestIn(const std::string& out) {
    return Digest::sha256Of(runChecked({"skopeo", "inspect", "--raw", "oci:" + (work_.path() / out).string() + ":v1"}));
  }

  TemporaryDirectory work_{"ferry-registries-conf"};
  FixtureBuilder builder_{work_.path() / "fixtures", 5};
  FixtureImage image_ = builder_.singleArchOci("v1");
  TestRegistry mirror_;
  int confs_ = 0;
};

TEST_F(RegistriesConfTest, AnEnclaveImageIsReadFromItsMirrorAndKeepsItsName) {
  auto conf = writeConf(enclave());
  auto copied = copyWith(conf, std::string("docker://") + kEnclaveName + ":v1", "out");
  ASSERT_EQ(copied.exitCode, 0) << copied.err;
  EXPECT_EQ(digestIn("out"), image_.digest);
  EXPECT_GT(mirror_.accessLogCount("GET"), 0u);

  // The same file named by the global flag instead of the environment.
  auto flagged = runFerry({"--registries-conf", conf.string(), "copy", "--retry-times", "0",
                           std::string("docker://") + kEnclaveName + ":v1",
                           "oci:" + (work_.path() / "flagged").string() + ":v1"});
  ASSERT_EQ(flagged.exitCode, 0) << flagged.err;
  EXPECT_EQ(digestIn("flagged"), image_.digest);
}

TEST_F(RegistriesConfTest, ADigestOnlyMirrorServesDigestsAndLeavesTagsToTheRegistry) {
  auto conf = writeConf(enclave("digest-only"));
  auto byTag = copyWith(conf, std::string("docker://") + kEnclaveName + ":v1", "by-tag");
  EXPECT_NE(byTag.exitCode, 0);
  EXPECT_NE(byTag.err.find("127.0.0.1:1"), std::string::npos) << "the tag was asked of the registry\n" << byTag.err;
  auto byDigest = copyWith(conf, std::string("docker://") + kEnclaveName + "@" + image_.digest.str(), "by-digest");
  ASSERT_EQ(byDigest.exitCode, 0) << byDigest.err;
  EXPECT_EQ(digestIn("by-digest"), image_.digest);
}

TEST_F(RegistriesConfTest, AnInsecureRegistryIsReachedOverPlainHttpWithoutTlsFlags) {
  auto source = dockerRef(mirror_, "cache/team/app", "v1");
  auto withoutConf = copyWith(writeConf(""), source, "refused");
  EXPECT_NE(withoutConf.exitCode, 0) << "plain HTTP without being told it is allowed";
  auto conf = writeConf("[[registry]]\nlocation = \"" + mirror_.host() + "\"\ninsecure = true\n");
  auto copied = copyWith(conf, source, "insecure");
  ASSERT_EQ(copied.exitCode, 0) << copied.err;
  EXPECT_EQ(digestIn("insecure"), image_.digest);
}

TEST_F(RegistriesConfTest, ABlockedPrefixIsRefusedNamingTheFileAndLine) {
  auto conf = writeConf("# enclave policy\n[[registry]]\nprefix = \"" + mirror_.host() + "/cache\"\nblocked = true\n");
  auto requestsBefore = mirror_.accessLogCount();
  auto refused = copyWith(conf, dockerRef(mirror_, "cache/team/app", "v1"), "blocked");
  EXPECT_NE(refused.exitCode, 0);
  EXPECT_NE(refused.err.find("is blocked by registries.conf (" + conf.string() + ":2"), std::string::npos)
      << refused.err;
  EXPECT_EQ(mirror_.accessLogCount(), requestsBefore) << "nothing is asked of a blocked registry";

  auto broken = copyWith(writeConf("[[registry]]\nprefix = \"x\"\ninsecure = \"yes\"\n"),
                         dockerRef(mirror_, "cache/team/app", "v1"), "broken");
  EXPECT_EQ(broken.exitCode, 1);
  EXPECT_NE(broken.err.find(":3: registry.insecure must be true or false"), std::string::npos) << broken.err;
}

TEST_F(RegistriesConfTest, MirrorReadsTheEnclaveThroughItToo) {
  auto conf = writeConf(enclave());
  auto config = work_.path() / "isc.yaml";
  writeFileAtomically(config, std::string("apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\n"
                                          "mirror:\n  additionalImages:\n    - name: ") + kEnclaveName + ":v1\n");
  auto archive = work_.path() / "archive";
  auto toDisk = runCommand({FERRY_BINARY, "mirror", "-c", config.string(), "file://" + archive.string(),
                            "--retry-times", "0"},
                           {}, {{"CONTAINERS_REGISTRIES_CONF", conf.string()}});
  ASSERT_EQ(toDisk.exitCode, 0) << toDisk.err;
  auto described = runFerry({"describe", archive.string()});
  ASSERT_EQ(described.exitCode, 0) << described.err;
  EXPECT_NE(described.out.find(std::string(kEnclaveName) + ":v1"), std::string::npos) << described.out;
}

}  // namespace
}  // namespace ferry::testing
