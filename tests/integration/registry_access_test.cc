// ferry against registries that need credentials and TLS, and the errors a
// user sees when access is wrong.
#include <gtest/gtest.h>

#include "integration/ferry_test_env.h"

namespace ferry::testing {
namespace {

class RegistryAccess : public ::testing::TestWithParam<RegistryMode> {};

TEST_P(RegistryAccess, CopiesIntoAndOutOfTheRegistry) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 3);
  auto image = builder.dockerManifestList("list");
  TestRegistry registry(GetParam());

  std::vector<std::string> push{"copy", "-q", "oci:" + fixtures.string() + ":list", dockerRef(registry, "secure/app", "v1")};
  for (auto& flag : accessFlags(registry, "dest")) push.push_back(flag);
  auto pushed = runFerry(push);
  ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  EXPECT_EQ(skopeoRaw(registry, "secure/app", "v1"), readBlob(fixtures, image.digest));

  auto out = work.path() / "out";
  std::vector<std::string> pull{"copy", "-q", dockerRef(registry, "secure/app", "v1"), "oci:" + out.string() + ":list"};
  for (auto& flag : accessFlags(registry, "src")) pull.push_back(flag);
  auto pulled = runFerry(pull);
  ASSERT_EQ(pulled.exitCode, 0) << pulled.err;
  expectLayoutHolds(out, image, fixtures);

  if (GetParam() == RegistryMode::Token) {
    // Tokens are cached per scope: a handful of token requests, not one per blob.
    EXPECT_GT(registry.tokenRequestCount(), 0u);
    EXPECT_LE(registry.tokenRequestCount(), 8u);
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, RegistryAccess,
                         ::testing::Values(RegistryMode::BasicAuth, RegistryMode::Tls, RegistryMode::BasicAuthTls,
                                           RegistryMode::Token),
                         [](const auto& info) {
                           std::string name(toString(info.param));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(RegistryAccessErrors, WrongCredentialsSayWhatToCheck) {
  TemporaryDirectory work;
  FixtureBuilder builder(work.path() / "fixtures", 3);
  builder.singleArchOci("one");
  for (auto mode : {RegistryMode::BasicAuth, RegistryMode::Token}) {
    TestRegistry registry(mode);
    auto result = runFerry({"copy", "-q", "--dest-use-http", "--dest-creds=testuser:wrong",
                            "oci:" + (work.path() / "fixtures").string() + ":one", dockerRef(registry, "app", "v1")});
    EXPECT_EQ(result.exitCode, 1);
    EXPECT_NE(result.err.find("credentials"), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("wrong"), std::string::npos) << "the password must not be printed: " << result.err;
    EXPECT_EQ(registry.accessLogCount("PUT"), 0u);
  }
}

TEST(RegistryAccessErrors, MissingCredentialsAndCredentialsFromAnAuthFile) {
  TemporaryDirectory work;
  FixtureBuilder builder(work.path() / "fixtures", 3);
  builder.singleArchOci("one");
  TestRegistry registry(RegistryMode::BasicAuth);
  std::string source = "oci:" + (work.path() / "fixtures").string() + ":one";

  auto emptyAuthFile = work.path() / "empty.json";
  writeFileAtomically(emptyAuthFile, "{}");
  auto anonymous = runFerry({"copy", "-q", "--dest-use-http", "--authfile=" + emptyAuthFile.string(), source,
                             dockerRef(registry, "app", "v1")});
  EXPECT_EQ(anonymous.exitCode, 1);
  EXPECT_NE(anonymous.err.find("HTTP 401"), std::string::npos) << anonymous.err;

  // "https://host" keys are how `docker login` writes them.
  auto authFile = work.path() / "auth.json";
  writeFileAtomically(authFile, R"({"auths":{"https://)" + registry.host() + R"(":{"auth":"dGVzdHVzZXI6dGVzdHBhc3M="}}})");
  auto withFile = runFerry({"copy", "-q", "--dest-use-http", "--authfile=" + authFile.string(), source,
                            dockerRef(registry, "app", "v1")});
  EXPECT_EQ(withFile.exitCode, 0) << withFile.err;
}

TEST(RegistryAccessErrors, UntrustedCertificateIsRefusedUnlessVerificationIsOff) {
  TemporaryDirectory work;
  FixtureBuilder builder(work.path() / "fixtures", 3);
  auto image = builder.singleArchOci("one");
  TestRegistry registry(RegistryMode::Tls);
  std::string source = "oci:" + (work.path() / "fixtures").string() + ":one";

  auto refused = runFerry({"copy", "-q", source, dockerRef(registry, "app", "v1")});
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_NE(refused.err.find("--dest-cert-dir"), std::string::npos) << refused.err;
  EXPECT_EQ(registry.accessLogCount(), 0u);

  for (std::string flag : {"--dest-tls-verify=false", "--dest-skip-tls"}) {
    auto accepted = runFerry({"copy", "-q", flag, source, dockerRef(registry, "app", "v1")});
    EXPECT_EQ(accepted.exitCode, 0) << flag << ": " << accepted.err;
  }
  EXPECT_EQ(skopeoRaw(registry, "app", "v1"), readBlob(work.path() / "fixtures", image.digest));
}

TEST(RegistryAccessErrors, UnreachableRegistry) {
  TemporaryDirectory work;
  FixtureBuilder builder(work.path() / "fixtures", 3);
  builder.singleArchOci("one");
  int port = pickFreePort();
  auto result = runFerry({"copy", "-q", "--dest-use-http", "oci:" + (work.path() / "fixtures").string() + ":one",
                          "docker://127.0.0.1:" + std::to_string(port) + "/app:v1"});
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_NE(result.err.find("cannot reach registry 127.0.0.1:" + std::to_string(port)), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("check the host and port"), std::string::npos) << result.err;
}

TEST(RegistryAccessErrors, MissingImageNamesIt) {
  TestRegistry registry;
  auto result = runFerry({"inspect", "--use-http", dockerRef(registry, "nothing/here", "v9")});
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_NE(result.err.find("nothing/here:v9"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("HTTP 404"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace ferry::testing
