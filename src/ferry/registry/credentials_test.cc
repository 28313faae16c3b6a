#include "ferry/registry/credentials.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry {
namespace {

// A helper runner that answers from a table and records what it was asked.
struct FakeHelpers {
  std::map<std::pair<std::string, std::string>, HelperResult> answers;  // (name, server) -> answer
  std::vector<std::string> asked;                                       // "name server"

  CredentialStore::HelperRunner runner() {
    return [this](const std::string& name, const std::string& server) {
      asked.push_back(name + " " + server);
      auto it = answers.find({name, server});
      return it == answers.end() ? HelperResult{} : it->second;
    };
  }
};

HelperResult found(std::string user, std::string secret) {
  return HelperResult{.outcome = HelperResult::Outcome::Found, .username = std::move(user), .secret = std::move(secret)};
}

std::string errorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

EnvironmentLookup fakeEnvironment(std::map<std::string, std::string> variables) {
  return [variables](const std::string& name) -> std::optional<std::string> {
    auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Credentials, NormalisesKeys) {
  EXPECT_EQ(normaliseAuthKey("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(normaliseAuthKey("registry-1.docker.io"), "docker.io");
  EXPECT_EQ(normaliseAuthKey("index.docker.io/library/nginx"), "docker.io/library/nginx");
  EXPECT_EQ(normaliseAuthKey("http://127.0.0.1:5000"), "127.0.0.1:5000");
  EXPECT_EQ(normaliseAuthKey("quay.io/org/repo"), "quay.io/org/repo");
  EXPECT_EQ(normaliseAuthKey("quay.io/org/"), "quay.io/org");
  EXPECT_EQ(normaliseAuthKey("https://quay.io/v2/"), "quay.io");
  // A URL's path is an API path, never a repository (as containers/image reads it).
  EXPECT_EQ(normaliseAuthKey("https://quay.io/org/repo"), "quay.io");
  EXPECT_EQ(normaliseAuthKey("quay.io/org", /*legacyFormat=*/true), "quay.io");
}

TEST(Credentials, FindsTheLongestMatchingKeyPerRepository) {
  TemporaryDirectory dir;
  auto file = dir.path() / "auth.json";
  writeFileAtomically(file, R"({"auths":{
    "quay.io": {"auth": "dXNlcjpwYXNz"},
    "quay.io/team": {"auth": "dGVhbTpzZWNyZXQ="},
    "quay.io/team/app/extra": {"auth": "eDp5"},
    "https://index.docker.io/v1/": {"auth": "aHViOmh1YnBhc3M="},
    "127.0.0.1:5000": {"username": "plain", "password": "text"}}})");
  auto store = CredentialStore::fromFiles({{file}});
  EXPECT_EQ(store.find("quay.io", "other/app")->username, "user");
  EXPECT_EQ(store.find("quay.io", "team/app")->username, "team");
  EXPECT_EQ(store.find("quay.io", "team/app")->password, "secret");
  EXPECT_EQ(store.find("quay.io", "teamwork/app")->username, "user") << "a prefix must end at a '/'";
  EXPECT_EQ(store.find("quay.io", "")->username, "user");
  EXPECT_EQ(store.find("docker.io", "library/nginx")->username, "hub");
  EXPECT_EQ(store.find("127.0.0.1:5000", "x")->password, "text");
  EXPECT_NE(store.find("quay.io", "team/app")->source.find(file.string()), std::string::npos);
  EXPECT_FALSE(store.find("ghcr.io", "x"));
}

TEST(Credentials, APlainKeyBeatsAUrlForTheSameRegistry) {
  TemporaryDirectory dir;
  writeFileAtomically(dir.path() / "a.json",
                      R"({"auths":{"https://index.docker.io/v1/":{"auth":"dXJsOnU="}, "docker.io":{"auth":"cGxhaW46cA=="}}})");
  EXPECT_EQ(CredentialStore::fromFiles({{dir.path() / "a.json"}}).find("docker.io", "library/x")->username, "plain");
}

TEST(Credentials, EarlierFilesWin) {
  TemporaryDirectory dir;
  writeFileAtomically(dir.path() / "a.json", R"({"auths":{"quay.io":{"auth":"YTph"}}})");
  writeFileAtomically(dir.path() / "b.json", R"({"auths":{"quay.io":{"auth":"Yjpi"}, "ghcr.io":{"auth":"Yjpi"}}})");
  auto store =
      CredentialStore::fromFiles({{dir.path() / "missing.json"}, {dir.path() / "a.json"}, {dir.path() / "b.json"}});
  EXPECT_EQ(store.find("quay.io", "x")->username, "a");
  EXPECT_EQ(store.find("ghcr.io", "x")->username, "b");
}

TEST(Credentials, ReadsTheLegacyDockercfgFormat) {
  TemporaryDirectory dir;
  writeFileAtomically(dir.path() / ".dockercfg",
                      R"({"https://index.docker.io/v1/":{"auth":"b2xkOnRpbWVy","email":"a@b.c"}})");
  auto store = CredentialStore::fromFiles({{dir.path() / ".dockercfg", /*legacyFormat=*/true}});
  EXPECT_EQ(store.find("docker.io", "library/nginx")->username, "old");
}

TEST(Credentials, SearchOrderFollowsSkopeoAndPodman) {
  auto uid = std::to_string(::getuid());
  // --authfile, then $REGISTRY_AUTH_FILE: that file alone.
  auto environment = fakeEnvironment({{"REGISTRY_AUTH_FILE", "/env/auth.json"}, {"HOME", "/home/u"}});
  EXPECT_EQ(authFileSearchOrder("/flag/auth.json", environment), (std::vector<AuthFile>{{"/flag/auth.json"}}));
  EXPECT_EQ(authFileSearchOrder("", environment), (std::vector<AuthFile>{{"/env/auth.json"}}));

  EXPECT_EQ(authFileSearchOrder("", fakeEnvironment({{"HOME", "/home/u"}})),
            (std::vector<AuthFile>{{"/run/containers/" + uid + "/auth.json"},
                                   {"/home/u/.config/containers/auth.json"},
                                   {"/home/u/.docker/config.json"},
                                   {"/home/u/.dockercfg", true}}));
  EXPECT_EQ(authFileSearchOrder("", fakeEnvironment({{"HOME", "/home/u"},
                                                      {"XDG_RUNTIME_DIR", "/run/user/7"},
                                                      {"XDG_CONFIG_HOME", "/cfg"},
                                                      {"DOCKER_CONFIG", "/dockercfg"}})),
            (std::vector<AuthFile>{{"/run/user/7/containers/auth.json"},
                                   {"/cfg/containers/auth.json"},
                                   {"/dockercfg/config.json"},
                                   {"/home/u/.dockercfg", true}}));
  EXPECT_THROW(CredentialStore::fromEnvironment("/no/such/auth.json"), Error);
}

TEST(Credentials, CredHelpersAnswerForTheirRegistryAndNothingElseInThatFile) {
  TemporaryDirectory dir;
  auto file = dir.path() / "config.json";
  writeFileAtomically(file, R"({"auths":{"quay.io":{"auth":"ZmlsZTpm"}, "ghcr.io":{"auth":"ZmlsZTpm"}},
                                "credHelpers":{"https://quay.io":"vault"}})");
  FakeHelpers helpers;
  helpers.answers[{"vault", "quay.io"}] = found("robot", "s3cret");
  auto store = CredentialStore::fromFiles({{file}}, helpers.runner());
  auto credential = store.find("quay.io", "team/app");
  ASSERT_TRUE(credential);
  EXPECT_EQ(credential->username, "robot");
  EXPECT_EQ(credential->password, "s3cret");
  EXPECT_EQ(credential->source, "credential helper 'docker-credential-vault'");
  EXPECT_EQ(store.find("ghcr.io", "x")->username, "file");
  // Asked once: the answer is kept for other repositories of the registry.
  store.find("quay.io", "other/app");
  EXPECT_EQ(helpers.asked, (std::vector<std::string>{"vault quay.io"}));
}

TEST(Credentials, AHelperWithNothingPassesOnToTheNextFile) {
  TemporaryDirectory dir;
  writeFileAtomically(dir.path() / "a.json", R"({"auths":{"quay.io":{"auth":"YTph"}}, "credHelpers":{"quay.io":"empty"}})");
  writeFileAtomically(dir.path() / "b.json", R"({"auths":{"quay.io":{"auth":"Yjpi"}}})");
  FakeHelpers helpers;
  auto store = CredentialStore::fromFiles({{dir.path() / "a.json"}, {dir.path() / "b.json"}}, helpers.runner());
  EXPECT_EQ(store.find("quay.io", "x")->username, "b");
}

TEST(Credentials, CredsStoreIsTheDefaultHelperAfterTheFileEntries) {
  TemporaryDirectory dir;
  auto file = dir.path() / "config.json";
  // docker login with a credsStore leaves an empty entry behind.
  writeFileAtomically(file, R"({"auths":{"quay.io":{}, "ghcr.io":{"auth":"aW5saW5lOmk="}}, "credsStore":"desktop"})");
  FakeHelpers helpers;
  helpers.answers[{"desktop", "quay.io"}] = found("stored", "s");
  helpers.answers[{"desktop", "docker.io"}] = found("hub", "h");
  auto store = CredentialStore::fromFiles({{file}}, helpers.runner());
  EXPECT_EQ(store.find("quay.io", "x")->username, "stored");
  EXPECT_EQ(store.find("ghcr.io", "x")->username, "inline");
  // Docker Hub: docker login's server name first, then podman's.
  EXPECT_EQ(store.find("docker.io", "library/nginx")->username, "hub");
  EXPECT_EQ(helpers.asked,
            (std::vector<std::string>{"desktop quay.io", "desktop https://index.docker.io/v1/", "desktop docker.io"}));
  EXPECT_FALSE(store.find("example.com", "x"));
}

TEST(Credentials, IdentityTokensAreMarked) {
  TemporaryDirectory dir;
  auto file = dir.path() / "config.json";
  writeFileAtomically(file, R"({"auths":{"acr.example":{"identitytoken":"refresh-me"}}, "credsStore":"acr"})");
  FakeHelpers helpers;
  helpers.answers[{"acr", "other.example"}] = found("<token>", "also-refresh");
  auto store = CredentialStore::fromFiles({{file}}, helpers.runner());
  auto fromFile = store.find("acr.example", "x");
  ASSERT_TRUE(fromFile);
  EXPECT_EQ(fromFile->identityToken, "refresh-me");
  EXPECT_EQ(fromFile->username, "");
  auto fromHelper = store.find("other.example", "x");
  ASSERT_TRUE(fromHelper);
  EXPECT_EQ(fromHelper->identityToken, "also-refresh");
  EXPECT_EQ(fromHelper->username, "");
}

TEST(Credentials, HelperProblemsNameTheHelperTheRegistryAndTheFile) {
  TemporaryDirectory dir;
  auto file = dir.path() / "config.json";
  writeFileAtomically(file, R"({"credHelpers":{"quay.io":"gone", "ghcr.io":"broken"}})");
  FakeHelpers helpers;
  helpers.answers[{"gone", "quay.io"}] = HelperResult{.outcome = HelperResult::Outcome::NotInstalled};
  helpers.answers[{"broken", "ghcr.io"}] =
      HelperResult{.outcome = HelperResult::Outcome::Failed, .detail = "it exited with status 3 (vault sealed)"};
  auto store = CredentialStore::fromFiles({{file}}, helpers.runner());

  auto missing = errorOf([&] { store.find("quay.io", "x"); });
  EXPECT_NE(missing.find("docker-credential-gone"), std::string::npos) << missing;
  EXPECT_NE(missing.find("not in PATH"), std::string::npos) << missing;
  EXPECT_NE(missing.find("quay.io"), std::string::npos) << missing;
  EXPECT_NE(missing.find(file.string()), std::string::npos) << missing;
  EXPECT_NE(missing.find("credHelpers"), std::string::npos) << missing;

  auto broken = errorOf([&] { store.find("ghcr.io", "x"); });
  EXPECT_NE(broken.find("docker-credential-broken"), std::string::npos) << broken;
  EXPECT_NE(broken.find("ghcr.io"), std::string::npos) << broken;
  EXPECT_NE(broken.find("vault sealed"), std::string::npos) << broken;
}

TEST(Credentials, TheRepositoryOfARequestIsTheOnePushedTo) {
  EXPECT_EQ(credentialRepository({"repository:team/app:pull"}), "team/app");
  EXPECT_EQ(credentialRepository({"repository:src/one:pull", "repository:dst/two:pull,push"}), "dst/two");
  EXPECT_EQ(credentialRepository({"repository:dst/two:push"}), "dst/two");
  EXPECT_EQ(credentialRepository({"registry:catalog:*"}), "");
  EXPECT_EQ(credentialRepository({}), "");
}

TEST(Credentials, BadValuesAreErrorsThatHideTheSecret) {
  TemporaryDirectory dir;
  writeFileAtomically(dir.path() / "bad.json", R"({"auths":{"quay.io":{"auth":"bm9jb2xvbg=="}}})");  // "nocolon"
  EXPECT_THROW(CredentialStore::fromFiles({{dir.path() / "bad.json"}}).find("quay.io", "x"), Error);
  writeFileAtomically(dir.path() / "notjson.json", "{ nope");
  EXPECT_THROW(CredentialStore::fromFiles({{dir.path() / "notjson.json"}}).find("quay.io", "x"), Error);
  auto message = errorOf([] { Credential::parse("justapassword"); });
  EXPECT_EQ(message.find("justapassword"), std::string::npos) << message;
  EXPECT_EQ(Credential::parse("u:p:w").password, "p:w");
}

}  // namespace
}  // namespace ferry
