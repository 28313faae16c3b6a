// ferry finds credentials and certificates where users keep them: credential
// helpers, the auth files skopeo and podman read (in their order), certs.d
// folders; and it goes through an HTTP proxy from the environment.
//
// Every ferry run here gets a home, runtime folder and certs.d roots of the
// test's own (environment variables), so nothing on the machine leaks in.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "integration/ferry_test_env.h"
#include "support/http_client.h"
#include "support/http_server.h"
#include "support/test_keys.h"

namespace ferry::testing {
namespace {

// A home, runtime folder, empty certs.d root and helper folder for ferry runs.
class IsolatedEnvironment {
 public:
  IsolatedEnvironment() : directory_("ferry-env") {
    for (auto* sub : {"home", "runtime", "certs.d-empty", "bin"}) std::filesystem::create_directories(path(sub));
    const char* inherited = std::getenv("PATH");
    changes_ = {
        {"HOME", path("home").string()},
        {"XDG_RUNTIME_DIR", path("runtime").string()},
        {"XDG_CONFIG_HOME", std::nullopt},
        {"DOCKER_CONFIG", std::nullopt},
        {"REGISTRY_AUTH_FILE", std::nullopt},
        {"FERRY_CERTS_D", path("certs.d-empty").string()},
        {"PATH", path("bin").string() + ":" + (inherited ? inherited : "/usr/bin:/bin")},
    };
    for (auto* proxy : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                        "no_proxy", "NO_PROXY"})
      changes_[proxy] = std::nullopt;
  }

  std::filesystem::path path(const std::string& relative) const { return directory_.path() / relative; }
  std::filesystem::path home() const { return path("home"); }
  std::filesystem::path runtimeDir() const { return path("runtime"); }

  void set(const std::string& name, std::optional<std::string> value) { changes_[name] = std::move(value); }

  // Writes a shell script as bin/docker-credential-NAME.
  void writeHelper(const std::string& name, const std::string& script) const {
    auto file = path("bin") / ("docker-credential-" + name);
    writeFileAtomically(file, "#!/bin/sh\n" + script);
    ::chmod(file.c_str(), 0755);
  }

  CommandResult ferry(std::vector<std::string> args) const {
    args.insert(args.begin(), FERRY_BINARY);
    return runCommand(args, {}, changes_);
  }

 private:
  TemporaryDirectory directory_;
  EnvironmentChanges changes_;
};

// {"auths": {KEY: {"auth": base64(USER:PASS)}}} for each (key, "user:pass").
std::string authFileJson(const std::vector<std::pair<std::string, std::string>>& entries) {
  nlohmann::json auths = nlohmann::json::object();
  for (const auto& [key, userColonPassword] : entries) auths[key] = {{"auth", base64Encode(userColonPassword)}};
  return nlohmann::json{{"auths", auths}}.dump();
}

void writeFile(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  writeFileAtomically(path, text);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class CredentialsAndCertificates : public ::testing::Test {
 protected:
  CredentialsAndCertificates() : builder_(work_.path() / "fixtures", 41), image_(builder_.singleArchOci("one")) {}

  std::string source() const { return "oci:" + (work_.path() / "fixtures").string() + ":one"; }
  // The image's manifest bytes, as skopeo should read them back.
  std::string manifest() const { return readBlob(work_.path() / "fixtures", image_.digest); }

  TemporaryDirectory work_;
  FixtureBuilder builder_;
  FixtureImage image_;
  IsolatedEnvironment env_;
};

// --- credential helpers ------------------------------------------------------

// A helper that answers only for `server` with the registry's user, and logs each call.
std::string ferrytestHelper(const std::string& server, const std::filesystem::path& log, const std::string& user,
                            const std::string& secret) {
  return fmt::format(R"(
[ "$1" = get ] || {{ echo "expected 'get', was asked '$1'" >&2; exit 2; }}
read -r server
echo "$server" >> '{0}'
[ "$server" = '{1}' ] || {{ echo "asked for '$server', expected '{1}'" >&2; exit 2; }}
printf '{{"ServerURL":"%s","Username":"{2}","Secret":"{3}"}}\n' "$server"
)",
                     log.string(), server, user, secret);
}

class CredentialHelpers : public CredentialsAndCertificates, public ::testing::WithParamInterface<RegistryMode> {};

TEST_P(CredentialHelpers, CredHelpersAndCredsStoreGiveTheRegistryItsCredentials) {
  TestRegistry registry(GetParam());
  auto log = env_.path("helper.log");
  env_.writeHelper("ferrytest", ferrytestHelper(registry.host(), log, registry.username(), registry.password()));

  // credHelpers names a helper per registry (docker writes the key as a host).
  writeFile(env_.home() / ".docker/config.json",
            R"({"credHelpers":{")" + registry.host() + R"(":"ferrytest"}, "auths":{}})");
  auto push = env_.ferry({"copy", "-q", "--dest-use-http", source(), dockerRef(registry, "team/app", "v1")});
  ASSERT_EQ(push.exitCode, 0) << push.err;
  EXPECT_EQ(skopeoRaw(registry, "team/app", "v1"), manifest());
  // Asked once for the registry, with its host:port.
  EXPECT_EQ(readFile(log), registry.host() + "\n");

  // credsStore is docker's helper for every registry.
  writeFile(env_.home() / ".docker/config.json", R"({"credsStore":"ferrytest"})");
  auto out = work_.path() / "out";
  auto pull = env_.ferry({"copy", "-q", "--source-use-http", dockerRef(registry, "team/app", "v1"), "oci:" + out.string()});
  ASSERT_EQ(pull.exitCode, 0) << pull.err;
  expectLayoutHolds(out, image_, work_.path() / "fixtures");

  if (GetParam() == RegistryMode::Token) {
    // The token server saw the helper's user, not an anonymous caller.
    auto requests = registry.tokenServer()->requests();
    ASSERT_FALSE(requests.empty());
    for (const auto& request : requests) EXPECT_EQ(request.account, registry.username());
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, CredentialHelpers, ::testing::Values(RegistryMode::BasicAuth, RegistryMode::Token),
                         [](const auto& info) {
                           std::string name(toString(info.param));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST_F(CredentialsAndCertificates, HelperFailuresSayWhichHelperAndRegistryAndNeverTheSecret) {
  TestRegistry registry(RegistryMode::BasicAuth);
  auto config = env_.home() / ".docker/config.json";
  auto copy = [&] { return env_.ferry({"copy", "-q", "--dest-use-http", source(), dockerRef(registry, "app", "v1")}); };

  env_.writeHelper("ferrytest", "echo 'the vault is sealed' >&2; exit 3\n");
  writeFile(config, R"({"credHelpers":{")" + registry.host() + R"(":"ferrytest"}})");
  auto failing = copy();
  EXPECT_EQ(failing.exitCode, 1);
  EXPECT_TRUE(contains(failing.err, "docker-credential-ferrytest")) << failing.err;
  EXPECT_TRUE(contains(failing.err, registry.host())) << failing.err;
  EXPECT_TRUE(contains(failing.err, "the vault is sealed")) << failing.err;
  EXPECT_TRUE(contains(failing.err, config.string())) << failing.err;

  writeFile(config, R"({"credHelpers":{")" + registry.host() + R"(":"absent"}})");
  auto missing = copy();
  EXPECT_EQ(missing.exitCode, 1);
  EXPECT_TRUE(contains(missing.err, "docker-credential-absent")) << missing.err;
  EXPECT_TRUE(contains(missing.err, "not in PATH")) << missing.err;

  // Output that is not the JSON answer may hold a secret: it is not repeated.
  env_.writeHelper("ferrytest", "echo 'password=hunter2'\n");
  writeFile(config, R"({"credsStore":"ferrytest"})");
  auto garbled = copy();
  EXPECT_EQ(garbled.exitCode, 1);
  EXPECT_TRUE(contains(garbled.err, "docker-credential-ferrytest")) << garbled.err;
  EXPECT_FALSE(contains(garbled.err, "hunter2")) << garbled.err;

  // An identity token cannot answer Basic authentication: refused by name, and not shown.
  env_.writeHelper("ferrytest", R"(printf '{"ServerURL":"x","Username":"<token>","Secret":"refresh-hunter2"}')" "\n");
  auto token = copy();
  EXPECT_EQ(token.exitCode, 1);
  EXPECT_TRUE(contains(token.err, "identity token")) << token.err;
  EXPECT_FALSE(contains(token.err, "hunter2")) << token.err;

  EXPECT_EQ(registry.accessLogCount("PUT"), 0u);
}

// Identity tokens (a helper's user "<token>", an auth file's "identitytoken") are
// OAuth2 refresh tokens, exchanged at the token realm with the refresh-token grant.
TEST_F(CredentialsAndCertificates, IdentityTokensAreExchangedWithTheRefreshTokenGrant) {
  TestRegistry registry(RegistryMode::Token);
  const auto& refresh = registry.tokenServer()->config().refreshToken;
  auto log = env_.path("helper.log");
  env_.writeHelper("ferrytest", ferrytestHelper(registry.host(), log, "<token>", refresh));
  writeFile(env_.home() / ".docker/config.json", R"({"credsStore":"ferrytest"})");
  auto push = env_.ferry({"copy", "-q", "--dest-use-http", source(), dockerRef(registry, "team/app", "v1")});
  ASSERT_EQ(push.exitCode, 0) << push.err;
  auto requests = registry.tokenServer()->requests();  // ferry's, before skopeo asks with a password
  EXPECT_EQ(skopeoRaw(registry, "team/app", "v1"), manifest());
  ASSERT_FALSE(requests.empty());
  for (const auto& request : requests) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.grantType, "refresh_token");
    EXPECT_EQ(request.clientId, "ferry");
    EXPECT_EQ(request.status, 200);
    EXPECT_EQ(request.account, registry.username());  // the push scope was granted: not anonymous
  }

  // The auth file's identitytoken, the same way (docker writes it beside an empty "auth").
  std::filesystem::remove(env_.home() / ".docker/config.json");
  writeFile(env_.home() / ".docker/config.json",
            nlohmann::json{{"auths", {{registry.host(), {{"auth", base64Encode("00000000-0000-0000-0000-000000000000:")},
                                                         {"identitytoken", refresh}}}}}}
                .dump());
  auto before = registry.tokenServer()->requests().size();
  auto again = env_.ferry({"copy", "-q", "--dest-use-http", source(), dockerRef(registry, "team/other", "v1")});
  ASSERT_EQ(again.exitCode, 0) << again.err;
  auto later = registry.tokenServer()->requests();
  ASSERT_GT(later.size(), before);
  EXPECT_EQ(later.back().method, "POST");
  EXPECT_EQ(later.back().grantType, "refresh_token");

  // A refresh token the server does not know: refused by name, never shown.
  writeFile(env_.home() / ".docker/config.json",
            nlohmann::json{{"auths", {{registry.host(), {{"identitytoken", "stale-hunter2"}}}}}}.dump());
  auto stale = env_.ferry({"copy", "-q", "--dest-use-http", source(), dockerRef(registry, "team/third", "v1")});
  EXPECT_EQ(stale.exitCode, 1);
  EXPECT_TRUE(contains(stale.err, "refused the identity token")) << stale.err;
  EXPECT_FALSE(contains(stale.err, "hunter2")) << stale.err;
}

// --- auth files ----------------------------------------------------------------

TEST_F(CredentialsAndCertificates, AuthFilesAreReadInSkopeoOrder) {
  TestRegistry registry(RegistryMode::BasicAuth);
  std::string right = authFileJson({{registry.host(), "testuser:testpass"}});
  std::string wrong = authFileJson({{registry.host(), "testuser:wrong"}});
  auto runtimeFile = env_.runtimeDir() / "containers/auth.json";
  auto configFile = env_.home() / ".config/containers/auth.json";
  auto dockerFile = env_.home() / ".docker/config.json";
  auto clear = [&] {
    for (const auto& file : {runtimeFile, configFile, dockerFile, env_.home() / ".dockercfg"}) std::filesystem::remove(file);
    env_.set("REGISTRY_AUTH_FILE", std::nullopt);
    env_.set("DOCKER_CONFIG", std::nullopt);
  };
  int run = 0;
  // Pushes to a fresh tag, so every run asks the registry.
  auto push = [&](std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"copy", "-q", "--dest-use-http"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(source());
    args.push_back(dockerRef(registry, "app", "run" + std::to_string(++run)));
    return env_.ferry(args);
  };
  auto expectAccepted = [&](const char* what, std::vector<std::string> extra = {}) {
    auto result = push(extra);
    EXPECT_EQ(result.exitCode, 0) << what << ": " << result.err;
  };
  auto expectRefused = [&](const char* what, std::vector<std::string> extra = {}) {
    auto result = push(extra);
    EXPECT_EQ(result.exitCode, 1) << what;
    EXPECT_TRUE(contains(result.err, "HTTP 401")) << what << ": " << result.err;
    EXPECT_FALSE(contains(result.err, "wrong")) << "the password must not be printed: " << result.err;
  };

  writeFile(dockerFile, right);
  expectAccepted("~/.docker/config.json alone");
  // https:// keys, as docker login writes them, and a registry with other entries.
  writeFile(dockerFile, authFileJson({{"https://" + registry.host(), "testuser:testpass"}, {"quay.io", "q:q"}}));
  expectAccepted("an https:// key");

  writeFile(runtimeFile, right);
  writeFile(dockerFile, wrong);
  expectAccepted("$XDG_RUNTIME_DIR/containers/auth.json before ~/.docker/config.json");
  writeFile(runtimeFile, wrong);
  writeFile(dockerFile, right);
  expectRefused("$XDG_RUNTIME_DIR/containers/auth.json before ~/.docker/config.json");

  clear();
  writeFile(configFile, right);
  writeFile(dockerFile, wrong);
  expectAccepted("~/.config/containers/auth.json before ~/.docker/config.json");
  writeFile(runtimeFile, wrong);
  expectRefused("$XDG_RUNTIME_DIR before ~/.config/containers/auth.json");

  clear();
  writeFile(dockerFile, wrong);
  writeFile(env_.path("docker-config/config.json"), right);
  env_.set("DOCKER_CONFIG", env_.path("docker-config").string());
  expectAccepted("$DOCKER_CONFIG/config.json instead of ~/.docker/config.json");

  clear();
  writeFile(env_.home() / ".dockercfg", R"({"https://)" + registry.host() + R"(/v1/":{"auth":")" +
                                            base64Encode("testuser:testpass") + R"(","email":"x@y.z"}})");
  expectAccepted("the legacy ~/.dockercfg");

  clear();
  writeFile(runtimeFile, right);
  writeFile(env_.path("env-auth.json"), wrong);
  env_.set("REGISTRY_AUTH_FILE", env_.path("env-auth.json").string());
  expectRefused("$REGISTRY_AUTH_FILE is the only file read");
  writeFile(env_.path("env-auth.json"), right);
  writeFile(runtimeFile, wrong);
  expectAccepted("$REGISTRY_AUTH_FILE before the default files");

  writeFile(env_.path("flag-auth.json"), right);
  writeFile(env_.path("env-auth.json"), wrong);
  expectAccepted("--authfile before $REGISTRY_AUTH_FILE", {"--authfile=" + env_.path("flag-auth.json").string()});
  expectAccepted("--dest-creds before every file", {"--dest-creds=testuser:testpass"});
  expectRefused("--dest-creds before every file", {"--dest-creds=testuser:wrong",
                                                   "--authfile=" + env_.path("flag-auth.json").string()});
}

TEST_F(CredentialsAndCertificates, RepositoryKeysWinForTheirRepositoriesInOneRun) {
  TestRegistry registry(RegistryMode::BasicAuth);
  writeFile(env_.home() / ".docker/config.json",
            authFileJson({{registry.host(), "testuser:wrong"}, {registry.host() + "/team", "testuser:testpass"}}));
  writeFile(work_.path() / "mapping.txt", source() + "=" + dockerRef(registry, "team/app", "v1") + "\n" + source() +
                                              "=" + dockerRef(registry, "other/app", "v1") + "\n");
  // One client for the registry, two repositories with different credentials.
  auto result = env_.ferry({"copy", "-q", "--dest-use-http", "-f", (work_.path() / "mapping.txt").string()});
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_TRUE(contains(result.err, "to " + dockerRef(registry, "other/app", "v1"))) << result.err;
  EXPECT_FALSE(contains(result.err, "to " + dockerRef(registry, "team/app", "v1"))) << result.err;
  EXPECT_EQ(skopeoRaw(registry, "team/app", "v1"), manifest());
}

// --- certs.d -------------------------------------------------------------------

TEST_F(CredentialsAndCertificates, CertsDFoldersAreTrustedLikeSkopeos) {
  TestRegistry registry(RegistryMode::Tls);
  auto push = [&](const std::string& tag, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"copy", "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(source());
    args.push_back(dockerRef(registry, "app", tag));
    return env_.ferry(args);
  };
  auto certsD = registry.certsDRoot().string();

  auto untrusted = push("untrusted");
  EXPECT_EQ(untrusted.exitCode, 1);
  EXPECT_TRUE(contains(untrusted.err, "cannot reach registry")) << untrusted.err;

  env_.set("FERRY_CERTS_D", env_.path("certs.d-empty").string() + ":" + certsD);
  auto trusted = push("v1");
  ASSERT_EQ(trusted.exitCode, 0) << trusted.err;
  EXPECT_EQ(skopeoRaw(registry, "app", "v1"), manifest());
  auto out = work_.path() / "out";
  auto pulled = env_.ferry({"copy", "-q", dockerRef(registry, "app", "v1"), "oci:" + out.string()});
  ASSERT_EQ(pulled.exitCode, 0) << pulled.err;
  expectLayoutHolds(out, image_, work_.path() / "fixtures");

  // Only the first folder found for the host is read; folders are not merged.
  std::filesystem::create_directories(env_.path("shadow") / registry.host());
  env_.set("FERRY_CERTS_D", env_.path("shadow").string() + ":" + certsD);
  EXPECT_EQ(push("shadowed").exitCode, 1);

  // An explicit --dest-cert-dir is used instead of certs.d.
  env_.set("FERRY_CERTS_D", certsD);
  std::filesystem::create_directories(env_.path("empty-cert-dir"));
  EXPECT_EQ(push("explicit-empty", {"--dest-cert-dir=" + env_.path("empty-cert-dir").string()}).exitCode, 1);
  EXPECT_EQ(push("explicit", {"--dest-cert-dir=" + registry.certDir().string()}).exitCode, 0);

  // A misnamed CA (ca.cert has no key) is an error, not silently ignored.
  auto misnamed = env_.path("misnamed") / registry.host();
  std::filesystem::create_directories(misnamed);
  std::filesystem::copy_file(registry.caFile(), misnamed / "ca.cert");
  env_.set("FERRY_CERTS_D", env_.path("misnamed").string());
  auto bad = push("misnamed");
  EXPECT_EQ(bad.exitCode, 1);
  EXPECT_TRUE(contains(bad.err, "ca.cert")) << bad.err;
}

// A docker-registry that requires a client certificate signed by `clientCa`
// (distribution's http.tls.clientcas), on the harness's server certificate.
class MutualTlsRegistry {
 public:
  explicit MutualTlsRegistry(const std::filesystem::path& clientCa) : directory_("ferry-mtls-registry") {
    const auto& keys = harnessKeys();
    std::filesystem::copy_file(keys.serverCert, directory_.path() / "server.crt");
    std::filesystem::copy_file(keys.serverKey, directory_.path() / "server.key");
    std::filesystem::copy_file(clientCa, directory_.path() / "client-ca.crt");
    port_ = pickFreePort();
    auto dir = directory_.path().string();
    writeFileAtomically(directory_.path() / "config.yml",
                        fmt::format("version: 0.1\n"
                                    "log:\n  level: warn\n"
                                    "storage:\n  filesystem:\n    rootdirectory: \"{0}/data\"\n"
                                    "http:\n  addr: 127.0.0.1:{1}\n  secret: harness-not-secret\n"
                                    "  tls:\n    certificate: \"{0}/server.crt\"\n    key: \"{0}/server.key\"\n"
                                    "    clientcas:\n      - \"{0}/client-ca.crt\"\n",
                                    dir, port_));
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"docker-registry", "serve", dir + "/config.yml"}, directory_.path() / "registry.log");
    waitUntilListening();
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void waitUntilListening() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (process_->exited()) break;
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<uint16_t>(port_));
      bool listening = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      ::close(fd);
      if (listening) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    fail("the mutual-TLS docker-registry did not start: {}", readFile(directory_.path() / "registry.log"));
  }

  TemporaryDirectory directory_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

TEST_F(CredentialsAndCertificates, RootlessCertsDInTheHomeFolderComesFirst) {
  TestRegistry registry(RegistryMode::Tls);
  auto push = [&](const std::string& tag) {
    return env_.ferry({"copy", "-q", source(), dockerRef(registry, "app", tag)});
  };
  env_.set("FERRY_CERTS_D", std::nullopt);  // the real roots: $HOME/.config/containers/certs.d first
  auto untrusted = push("untrusted");
  EXPECT_EQ(untrusted.exitCode, 1) << untrusted.err;
  auto home = env_.path("home") / ".config" / "containers" / "certs.d" / registry.host();
  std::filesystem::create_directories(home);
  std::filesystem::copy_file(registry.caFile(), home / "ca.crt");
  auto trusted = push("v1");
  ASSERT_EQ(trusted.exitCode, 0) << trusted.err;
  EXPECT_EQ(skopeoRaw(registry, "app", "v1"), manifest());
}

TEST_F(CredentialsAndCertificates, CertsDClientCertificatesAreSent) {
  // A client CA and a certificate it signed (EC keys: quick to make).
  auto keys = work_.path() / "client-keys";
  std::filesystem::create_directories(keys);
  auto k = [&](const char* name) { return (keys / name).string(); };
  runChecked({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", k("ca.key"), "-out", k("ca.crt"), "-days", "2", "-subj", "/CN=ferry client CA", "-addext",
              "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"});
  runChecked({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", k("client.key"), "-out", k("client.csr"), "-subj", "/CN=ferry client"});
  writeFileAtomically(keys / "client.ext", "extendedKeyUsage=clientAuth\n");
  runChecked({"openssl", "x509", "-req", "-in", k("client.csr"), "-CA", k("ca.crt"), "-CAkey", k("ca.key"),
              "-set_serial", "7", "-days", "2", "-out", k("client.cert"), "-extfile", k("client.ext")});
  MutualTlsRegistry registry(keys / "ca.crt");

  auto withoutClient = env_.path("ca-only") / registry.host();
  std::filesystem::create_directories(withoutClient);
  std::filesystem::copy_file(harnessKeys().caCert, withoutClient / "ca.crt");
  auto withClient = env_.path("with-client") / registry.host();
  std::filesystem::create_directories(withClient);
  std::filesystem::copy_file(harnessKeys().caCert, withClient / "ca.crt");
  std::filesystem::copy_file(keys / "client.cert", withClient / "client.cert");
  std::filesystem::copy_file(keys / "client.key", withClient / "client.key");
  std::string destination = "docker://" + registry.host() + "/app:v1";

  env_.set("FERRY_CERTS_D", env_.path("ca-only").string());
  // The registry resets a connection without a client certificate, which looks
  // like a network failure and would be retried: no retries here.
  auto refused = env_.ferry({"copy", "-q", "--retry-times=0", source(), destination});
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_TRUE(contains(refused.err, "cannot reach registry")) << refused.err;

  env_.set("FERRY_CERTS_D", env_.path("with-client").string());
  auto accepted = env_.ferry({"copy", "-q", source(), destination});
  ASSERT_EQ(accepted.exitCode, 0) << accepted.err;
  // skopeo, reading the same folder as its --cert-dir, sees what ferry pushed.
  EXPECT_EQ(runChecked({"skopeo", "inspect", "--raw", "--cert-dir=" + withClient.string(), destination}), manifest());
}

// --- proxies -------------------------------------------------------------------

// A forward proxy for plain HTTP: it takes requests in absolute form
// ("GET http://host/path HTTP/1.1"), as clients send them to a proxy, passes
// them on and counts them.
class ForwardProxy {
 public:
  ForwardProxy() : server_([this](const HttpRequest& request) { return forward(request); }) {}

  std::string url() const { return server_.url(); }
  int forwarded() const { return forwarded_; }
  int notProxyRequests() const { return notProxyRequests_; }

 private:
  HttpResponse forward(const HttpRequest& request) {
    if (!request.target.starts_with("http://")) {
      ++notProxyRequests_;
      return HttpResponse{.status = 400, .headers = {}, .body = "this is a proxy: send absolute URLs\n"};
    }
    ++forwarded_;
    std::vector<std::string> headers;
    for (const auto& [name, value] : request.headers)
      if (name != "host" && name != "content-length" && name != "connection" && name != "proxy-connection" &&
          name != "transfer-encoding" && name != "expect")
        headers.push_back(name + ": " + value);
    auto answer = httpRequest(request.method, request.target, headers, request.body);
    HttpResponse response{.status = static_cast<int>(answer.status), .headers = {}, .body = answer.body};
    for (const auto& [name, value] : answer.headers)
      if (name != "content-length" && name != "connection" && name != "transfer-encoding")
        response.headers.emplace_back(name, value);
    if (request.method == "HEAD") response.headers.emplace_back("content-length", answer.header("content-length"));
    return response;
  }

  std::atomic<int> forwarded_{0};
  std::atomic<int> notProxyRequests_{0};
  HttpServer server_;  // last: stops before the counters go
};

TEST_F(CredentialsAndCertificates, RequestsGoThroughTheProxyFromTheEnvironment) {
  TestRegistry registry(RegistryMode::Token);
  ForwardProxy proxy;
  // libcurl reads http_proxy for http:// URLs (it ignores upper-case HTTP_PROXY).
  env_.set("http_proxy", proxy.url());
  auto push = env_.ferry({"copy", "-q", "--dest-use-http", "--dest-creds=testuser:testpass", source(),
                          dockerRef(registry, "app", "v1")});
  ASSERT_EQ(push.exitCode, 0) << push.err;
  // Every registry and token request went through the proxy (counted before skopeo adds its own).
  EXPECT_EQ(proxy.forwarded(), static_cast<int>(registry.accessLogCount() + registry.tokenRequestCount()));
  EXPECT_GT(proxy.forwarded(), 0);
  EXPECT_EQ(proxy.notProxyRequests(), 0);
  EXPECT_EQ(skopeoRaw(registry, "app", "v1"), manifest());
}

TEST_F(CredentialsAndCertificates, NoProxyHostsAreReachedDirectly) {
  TestRegistry registry;
  ForwardProxy proxy;
  env_.set("http_proxy", proxy.url());
  env_.set("NO_PROXY", "localhost,127.0.0.1");
  auto push = env_.ferry({"copy", "-q", "--dest-use-http", source(), dockerRef(registry, "app", "v1")});
  ASSERT_EQ(push.exitCode, 0) << push.err;
  EXPECT_EQ(skopeoRaw(registry, "app", "v1"), manifest());
  EXPECT_EQ(proxy.forwarded(), 0);
}

}  // namespace
}  // namespace ferry::testing
