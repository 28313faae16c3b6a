// What oc-mirror and skopeo users bring: their TLS spellings, flags, log
// levels and exit codes (issue 10), against real registries.
#include <gtest/gtest.h>

#include "ferry/base/files.h"
#include "integration/ferry_test_env.h"
#include "support/fault_proxy.h"
#include "support/mirror_scenario.h"

namespace ferry::testing {
namespace {

std::string layoutRef(const std::filesystem::path& layout, const std::string& tag) {
  return "oci:" + layout.string() + ":" + tag;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A v2alpha1 ImageSetConfiguration mirroring one additional image.
std::filesystem::path additionalImageConfig(const std::filesystem::path& directory, const std::string& image) {
  auto file = directory / "isc.yaml";
  writeFileAtomically(file, "apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nmirror:\n"
                            "  additionalImages:\n    - name: " + image + "\n");
  return file;
}

// The working directory's log files, concatenated.
std::string workingDirectoryLogs(const std::filesystem::path& workspace) {
  std::string text;
  auto logs = workspace / "working-dir" / "logs";
  if (!std::filesystem::is_directory(logs)) return text;
  for (const auto& entry : std::filesystem::directory_iterator(logs))
    if (entry.path().filename() == "ferry.log") text += readFile(entry.path());
  return text;
}

// A work folder with a layout holding "one" (a single image) and "list" (a Docker manifest list).
class DropIn : public ::testing::Test {
 protected:
  TemporaryDirectory work_{"ferry-dropin"};
  std::filesystem::path fixtures_ = work_.path() / "fixtures";
  FixtureBuilder builder_{fixtures_, 3};
  FixtureImage one_ = builder_.singleArchOci("one");
  FixtureImage list_ = builder_.dockerManifestList("list");

  std::string one() const { return layoutRef(fixtures_, "one"); }
  // Pushes "one" to a plain-HTTP registry as REPO:TAG.
  void pushOne(const TestRegistry& registry, const std::string& repository, const std::string& tag) const {
    auto pushed = runFerry({"copy", "-q", "--dest-use-http", one(), dockerRef(registry, repository, tag)});
    ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  }
};

TEST_F(DropIn, TlsVerifyFalseFallsBackToPlainHttpAsSkopeoDoes) {
  const auto& work = work_;
  const auto& fixtures = fixtures_;
  const auto& image = one_;
  TestRegistry plain;
  TestRegistry tls(RegistryMode::Tls);

  auto pushed = runFerry({"copy", "-q", "--dest-tls-verify=false", layoutRef(fixtures, "one"), dockerRef(plain, "app", "v1")});
  ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  EXPECT_EQ(skopeoRaw(plain, "app", "v1"), readBlob(fixtures, image.digest));

  // --dest-skip-tls keeps its meaning (TLS without verification): a plain registry is not reached.
  auto skipTls = runFerry({"copy", "-q", "--dest-skip-tls", layoutRef(fixtures, "one"), dockerRef(plain, "app", "v2")});
  EXPECT_EQ(skipTls.exitCode, 1);
  EXPECT_TRUE(contains(skipTls.err, "cannot reach registry " + plain.host())) << skipTls.err;
  // --dest-use-http keeps its meaning.
  auto useHttp = runFerry({"copy", "-q", "--dest-use-http", layoutRef(fixtures, "one"), dockerRef(plain, "app", "v3")});
  EXPECT_EQ(useHttp.exitCode, 0) << useHttp.err;

  // Registry to registry, each side =false: the plain one by HTTP, the TLS one unverified over TLS.
  auto across = runFerry({"copy", "-q", "--src-tls-verify=false", "--dest-tls-verify=false", dockerRef(plain, "app", "v1"),
                          dockerRef(tls, "app", "v1")});
  ASSERT_EQ(across.exitCode, 0) << across.err;
  EXPECT_EQ(skopeoRaw(tls, "app", "v1"), readBlob(fixtures, image.digest));
  auto inspect = runFerry({"inspect", "--tls-verify=false", dockerRef(plain, "app", "v1")});
  EXPECT_EQ(inspect.exitCode, 0) << inspect.err;

  // ferry mirror with the same spellings.
  auto config = additionalImageConfig(work.path(), plain.host() + "/app:v1");
  auto workspace = work.path() / "ws";
  auto mirrored = runFerry({"mirror", "-q", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                            "docker://" + tls.host() + "/mirror", "--src-tls-verify=false", "--dest-tls-verify=false"});
  ASSERT_EQ(mirrored.exitCode, 0) << mirrored.err;
  EXPECT_EQ(skopeoRaw(tls, "mirror/app", "v1"), readBlob(fixtures, image.digest));
  auto toPlain = runFerry({"mirror", "-q", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                           "docker://" + plain.host() + "/mirror", "--src-tls-verify=false", "--dest-tls-verify=false"});
  ASSERT_EQ(toPlain.exitCode, 0) << toPlain.err;
  EXPECT_EQ(skopeoRaw(plain, "mirror/app", "v1"), readBlob(fixtures, image.digest));
}

TEST_F(DropIn, TraceLogsEveryRequestAndNeverACredentialOrToken) {
  for (auto mode : {RegistryMode::BasicAuth, RegistryMode::Token}) {
    TestRegistry registry(mode);
    auto result = runFerry({"--log-level", "trace", "copy", "-q", "--dest-use-http", "--dest-creds=testuser:testpass",
                            one(), dockerRef(registry, "app", "v1")});
    ASSERT_EQ(result.exitCode, 0) << result.err;
    const auto& log = result.err;
    EXPECT_TRUE(contains(log, "debug http PUT http://" + registry.host() + "/v2/app/manifests/v1 -> HTTP 201")) << log;
    EXPECT_TRUE(contains(log, mode == RegistryMode::Token ? "Authorization: Bearer <redacted>"
                                                          : "Authorization: Basic <redacted>"))
        << log;
    EXPECT_TRUE(contains(log, "blob sha256:")) << "decisions are logged: " << log;
    EXPECT_FALSE(contains(log, "testpass")) << log;
    EXPECT_FALSE(contains(log, "dGVzdHVzZXI6dGVzdHBhc3M")) << "the Basic credential: " << log;
    EXPECT_FALSE(contains(log, "eyJ")) << "a JWT (every bearer token the token server issues starts so): " << log;
  }
}

TEST_F(DropIn, MirrorLogsRequestsAndDecisionsToTheWorkingDirectory) {
  TestRegistry source;
  TestRegistry destination(RegistryMode::Token);
  pushOne(source, "app", "v1");
  auto config = additionalImageConfig(work_.path(), source.host() + "/app:v1");
  auto workspace = work_.path() / "ws";
  std::vector<std::string> args{"mirror", "-q", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                                "docker://" + destination.host() + "/mirror", "--source-use-http", "--dest-use-http",
                                "--dest-creds", "testuser:testpass"};
  auto first = runFerry(args);
  ASSERT_EQ(first.exitCode, 0) << first.err;
  EXPECT_EQ(first.err, "") << "by default the log adds nothing to stderr";
  args.push_back("--log-level=trace");
  auto second = runFerry(args);
  ASSERT_EQ(second.exitCode, 0) << second.err;
  EXPECT_TRUE(contains(second.err, "trace http > Authorization: Bearer <redacted>")) << second.err;

  auto log = workingDirectoryLogs(workspace);
  EXPECT_TRUE(contains(log, "debug http GET http://" + source.host() + "/v2/app/manifests/v1 -> HTTP 200")) << log;
  EXPECT_TRUE(contains(log, "sent (")) << "the first run's uploads: " << log;
  EXPECT_TRUE(contains(log, "skipped docker://" + source.host() + "/app:v1")) << "the second run's decision: " << log;
  EXPECT_FALSE(contains(log, "testpass")) << log;
  EXPECT_FALSE(contains(log, "eyJ")) << log;
}

TEST(DropInExitCodes, UsageErrorsExitOneNamingTheWordAndTheNearestValidOne) {
  auto command = runFerry({"mirorr", "-c", "isc.yaml"});
  EXPECT_EQ(command.exitCode, 1);
  EXPECT_TRUE(contains(command.err, "unknown command 'mirorr' for ferry; did you mean 'mirror'?")) << command.err;
  EXPECT_TRUE(contains(command.err, "(commands: copy, inspect, mirror")) << command.err;

  auto none = runFerry({});
  EXPECT_EQ(none.exitCode, 1);
  EXPECT_TRUE(contains(none.err, "ferry needs a command: copy, inspect")) << none.err;

  auto nested = runFerry({"list", "operater", "--catalog", "x"});
  EXPECT_EQ(nested.exitCode, 1);
  EXPECT_TRUE(contains(nested.err, "unknown command 'operater' for ferry list; did you mean 'operators'?")) << nested.err;

  auto flag = runFerry({"copy", "--dest-tls-verfy=false", "oci:/a:b", "docker://r.example/a:b"});
  EXPECT_EQ(flag.exitCode, 1) << "not CLI11's 109, which oc-mirror's bitmask reads as operator + additional failures";
  EXPECT_TRUE(contains(flag.err, "unknown flag '--dest-tls-verfy' for ferry copy; did you mean '--dest-tls-verify'?"))
      << flag.err;

  auto value = runFerry({"copy", "--parallel", "many", "oci:/a:b", "docker://r.example/a:b"});
  EXPECT_EQ(value.exitCode, 1);
  EXPECT_TRUE(contains(value.err, "--parallel")) << value.err;

  auto level = runFerry({"--log-level", "loud", "version"});
  EXPECT_EQ(level.exitCode, 1);
  EXPECT_TRUE(contains(level.err, "--log-level 'loud' is not a level")) << level.err;

  auto help = runFerry({"copy", "--help"});
  EXPECT_EQ(help.exitCode, 0);
  EXPECT_TRUE(contains(help.out, "--src-authfile")) << help.out;
}

TEST_F(DropIn, OcMirrorFlagsAreTakenWithTheirMeaningOrANote) {
  TestRegistry source;
  pushOne(source, "app", "v1");
  auto config = additionalImageConfig(work_.path(), source.host() + "/app:v1");
  auto cache = work_.path() / "cache";
  // --secure-policy, --policy and --registries.d have their meaning (docs/signatures.md): an accept-all policy here.
  auto policy = work_.path() / "policy.json";
  writeFileAtomically(policy, R"({"default": [{"type": "insecureAcceptAnything"}]})");
  auto registriesD = work_.path() / "registries.d";
  std::filesystem::create_directories(registriesD);
  auto result = runFerry({"mirror", "--v2", "-c", config.string(), "--dry-run", "docker://127.0.0.1:1/mirror",
                          "--src-tls-verify=false", "--cache-dir", cache.string(), "-p", "55000",
                          "--parallel-images", "2", "--parallel-layers", "3", "--since", "2026-01-01",
                          "--image-timeout", "10m", "--strict-archive", "--secure-policy", "--remove-signatures",
                          "--policy", policy.string(), "--registries.d", registriesD.string(),
                          "--log-level", "info"});
  ASSERT_EQ(result.exitCode, 0) << result.err;
  // --cache-dir stands in for --workspace: the dry run's mapping is there.
  EXPECT_TRUE(std::filesystem::exists(cache / "working-dir" / "dry-run" / "mapping.txt")) << result.err;
  for (std::string note : {"note: -p/--port: ferry runs no local cache registry", "note: --since: only mirror-to-disk",
                           "note: --strict-archive: only mirror-to-disk"})
    EXPECT_TRUE(contains(result.err, note)) << note << "\n" << result.err;
  for (std::string gone : {"note: --secure-policy", "note: --policy", "note: --registries.d"})
    EXPECT_FALSE(contains(result.err, gone)) << "it has its meaning now: " << gone << "\n" << result.err;

  auto badSince = runFerry({"mirror", "-c", config.string(), "file://" + (work_.path() / "out").string(), "--since",
                            "last week"});
  EXPECT_EQ(badSince.exitCode, 1);
  EXPECT_TRUE(contains(badSince.err, "--since 'last week' is not a date; write YYYY-MM-DD")) << badSince.err;
}

TEST_F(DropIn, SkopeoCopyFlags) {
  const auto& work = work_;
  const auto& fixtures = fixtures_;
  const auto& list = list_;
  TestRegistry plain;
  TestRegistry basic(RegistryMode::BasicAuth);

  // One credentials file per side: the destination's own file wins over --authfile.
  auto wrong = work.path() / "wrong.json";
  writeFileAtomically(wrong, R"({"auths":{")" + basic.host() + R"(":{"auth":"dGVzdHVzZXI6d3Jvbmc="}}})");
  auto right = work.path() / "right.json";
  writeFileAtomically(right, R"({"auths":{")" + basic.host() + R"(":{"auth":"dGVzdHVzZXI6dGVzdHBhc3M="}}})");
  auto sides = runFerry({"copy", "-q", "--dest-use-http", "--authfile", wrong.string(), "--dest-authfile",
                         right.string(), "--src-authfile", wrong.string(), "--all", "--preserve-digests",
                         layoutRef(fixtures, "list"), dockerRef(basic, "app", "v1")});
  ASSERT_EQ(sides.exitCode, 0) << sides.err;
  EXPECT_EQ(skopeoRaw(basic, "app", "v1"), readBlob(fixtures, list.digest)) << "--all: the whole list, digest kept";
  auto onlyShared = runFerry({"copy", "-q", "--dest-use-http", "--authfile", wrong.string(), layoutRef(fixtures, "one"),
                              dockerRef(basic, "app", "v2")});
  EXPECT_EQ(onlyShared.exitCode, 1) << "the shared file's wrong password is used when no side file is given";

  // --multi-arch system: this machine's platform only, as skopeo's default does.
  auto system = runFerry({"copy", "-q", "--dest-use-http", "--multi-arch", "system", layoutRef(fixtures, "list"),
                          dockerRef(plain, "app", "system")});
  ASSERT_EQ(system.exitCode, 0) << system.err;
  auto stored = skopeoRaw(plain, "app", "system");
  EXPECT_NE(stored, readBlob(fixtures, list.digest));
  EXPECT_TRUE(contains(stored, "\"layers\"")) << "one image manifest, not the list: " << stored;

  auto indexOnly = runFerry({"copy", "-q", "--dest-use-http", "--multi-arch", "index-only", layoutRef(fixtures, "list"),
                             dockerRef(plain, "app", "index")});
  EXPECT_EQ(indexOnly.exitCode, 1);
  EXPECT_TRUE(contains(indexOnly.err, "index-only")) << indexOnly.err;

  auto acceptAll = work.path() / "policy.json";
  writeFileAtomically(acceptAll, R"({"default": [{"type": "insecureAcceptAnything"}]})");
  auto notes = runFerry({"copy", "--dest-use-http", "--remove-signatures", "--policy", acceptAll.string(),
                         layoutRef(fixtures, "one"), dockerRef(plain, "app", "notes")});
  EXPECT_EQ(notes.exitCode, 0) << notes.err;
  EXPECT_FALSE(contains(notes.err, "note: --remove-signatures")) << "it has its meaning now: " << notes.err;
  EXPECT_FALSE(contains(notes.err, "note: --policy")) << "it has its meaning now: " << notes.err;
  auto missing = runFerry({"copy", "--dest-use-http", "--policy", "/no/such/policy.json", layoutRef(fixtures, "one"),
                           dockerRef(plain, "app", "notes")});
  EXPECT_EQ(missing.exitCode, 1);
  EXPECT_TRUE(contains(missing.err, "cannot read the signature policy '/no/such/policy.json'")) << missing.err;
}

TEST_F(DropIn, ImageTimeoutBoundsOneImage) {
  TestRegistry registry;
  FaultProxy proxy(registry);
  // Every blob upload is told to wait 3 s: the image cannot finish within 500 ms.
  proxy.add(Fault::tooManyRequests("POST", "/blobs/uploads/", "3").times(-1));
  auto result = runFerry({"copy", "-q", "--dest-use-http", "--image-timeout", "500ms", "--retry-times", "1",
                          one(), "docker://" + proxy.host() + "/app:v1"});
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_TRUE(contains(result.err, "did not finish within --image-timeout 0.5s")) << result.err;
  EXPECT_EQ(registry.accessLogCount("PUT"), 0u) << "no manifest was pushed";
}

TEST(DropInConfig, APackageTheCatalogLacksFailsItsOperatorWithDidYouMean) {
  TemporaryDirectory work;
  TestRegistry source;
  TestRegistry destination;
  MirrorScenario scenario(source, work.path(), {{"foo", {"1.0.0"}}, {"bar", {"2.0.0"}}});
  auto config = scenario.writeConfig("isc.yaml", "      packages:\n        - name: fooo\n        - name: bar\n");
  auto result = runFerry({"mirror", "-c", config.string(), "--workspace", "file://" + (work.path() / "ws").string(),
                          "docker://" + destination.host() + "/mirror", "--source-use-http", "--dest-use-http"});
  EXPECT_EQ(result.exitCode, 4) << "the operator bit alone: " << result.err;
  EXPECT_TRUE(contains(result.err, "package \"fooo\" is not in the catalog; nothing is mirrored for it; did you mean "
                                   "\"foo\"?"))
      << result.err;
  // The rest of the run went on: bar's bundle is at the destination.
  auto mapping = readFile(work.path() / "ws" / "working-dir" / "mapping.txt");
  EXPECT_TRUE(contains(mapping, scenario.bundle("bar", "2.0.0").bundleImage)) << mapping;
}

}  // namespace
}  // namespace ferry::testing
