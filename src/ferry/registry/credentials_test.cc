#include "ferry/registry/credentials.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry {

TEST(Credentials, NormalisesKeys) {
  EXPECT_EQ(normaliseAuthKey("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(normaliseAuthKey("registry-1.docker.io"), "docker.io");
  EXPECT_EQ(normaliseAuthKey("http://127.0.0.1:5000"), "127.0.0.1:5000");
  EXPECT_EQ(normaliseAuthKey("quay.io/org/repo"), "quay.io/org/repo");
  EXPECT_EQ(normaliseAuthKey("https://quay.io/v2/"), "quay.io");
}

TEST(Credentials, FindsTheLongestMatchingKey) {
  TemporaryDirectory dir;
  auto file = dir.path() / "auth.json";
  writeFileAtomically(file, R"({"auths":{
    "quay.io": {"auth": "dXNlcjpwYXNz"},
    "quay.io/team": {"auth": "dGVhbTpzZWNyZXQ="},
    "https://index.docker.io/v1/": {"auth": "aHViOmh1YnBhc3M="},
    "127.0.0.1:5000": {"username": "plain", "password": "text"}}})");
  auto store = CredentialStore::fromFiles({file});
  EXPECT_EQ(store.find("quay.io", "other/app")->username, "user");
  EXPECT_EQ(store.find("quay.io", "team/app")->username, "team");
  EXPECT_EQ(store.find("quay.io", "team/app")->password, "secret");
  EXPECT_EQ(store.find("docker.io", "library/nginx")->username, "hub");
  EXPECT_EQ(store.find("127.0.0.1:5000", "x")->password, "text");
  EXPECT_FALSE(store.find("ghcr.io", "x"));
}

TEST(Credentials, EarlierFilesWin) {
  TemporaryDirectory dir;
  writeFileAtomically(dir.path() / "a.json", R"({"auths":{"quay.io":{"auth":"YTph"}}})");
  writeFileAtomically(dir.path() / "b.json", R"({"auths":{"quay.io":{"auth":"Yjpi"}, "ghcr.io":{"auth":"Yjpi"}}})");
  auto store = CredentialStore::fromFiles({dir.path() / "missing.json", dir.path() / "a.json", dir.path() / "b.json"});
  EXPECT_EQ(store.find("quay.io", "x")->username, "a");
  EXPECT_EQ(store.find("ghcr.io", "x")->username, "b");
}

TEST(Credentials, EnvironmentOrder) {
  TemporaryDirectory dir;
  setenv("REGISTRY_AUTH_FILE", (dir.path() / "env.json").c_str(), 1);
  EXPECT_EQ(CredentialStore::fromEnvironment().files().front(), dir.path() / "env.json");
  unsetenv("REGISTRY_AUTH_FILE");
  setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
  setenv("HOME", "/home/someone", 1);
  auto files = CredentialStore::fromEnvironment().files();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], "/run/user/7/containers/auth.json");
  EXPECT_EQ(files[1], "/home/someone/.docker/config.json");
  EXPECT_THROW(CredentialStore::fromEnvironment(dir.path() / "absent.json"), Error);
}

TEST(Credentials, BadValuesAreErrorsThatHideTheSecret) {
  TemporaryDirectory dir;
  writeFileAtomically(dir.path() / "bad.json", R"({"auths":{"quay.io":{"auth":"bm9jb2xvbg=="}}})");  // "nocolon"
  EXPECT_THROW(CredentialStore::fromFiles({dir.path() / "bad.json"}).find("quay.io", "x"), Error);
  try {
    Credential::parse("justapassword");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("justapassword"), std::string::npos);
  }
  EXPECT_EQ(Credential::parse("u:p:w").password, "p:w");
}

}  // namespace ferry
