// Proves the harness itself works: the HTTP server, each registry mode, the
// token server, the fixtures (valid, deterministic, usable by skopeo and umoci).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "support/fixtures.h"
#include "support/http_client.h"
#include "support/http_server.h"
#include "support/process.h"
#include "support/registry_push.h"
#include "support/test_registry.h"
#include "support/token_server.h"

namespace ferry::testing {
namespace {

using namespace std::chrono_literals;

// Sends raw bytes on one connection and reads until the server closes it.
std::string rawExchange(int port, std::string_view request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) response.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  return response;
}

size_t occurrences(std::string_view text, std::string_view needle) {
  size_t count = 0;
  for (auto at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

std::string gunzip(const std::string& compressed) {
  z_stream stream{};
  inflateInit2(&stream, 15 + 16);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char chunk[65536];
  int result = Z_OK;
  while (result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - stream.avail_out);
  }
  inflateEnd(&stream);
  EXPECT_EQ(result, Z_STREAM_END);
  return out;
}

HttpServer echoServer() {
  return HttpServer([](const HttpRequest& request) {
    if (request.path == "/throw") throw Error("deliberate");
    HttpResponse response;
    response.body = request.method + " " + request.path + " ?" + request.query + " " + request.header("x-test") + " " +
                    request.body;
    return response.with("X-Echo", "yes");
  });
}

// --- HttpServer -----------------------------------------------------------

TEST(HttpServer, AnswersRequestsThroughLibcurl) {
  auto server = echoServer();
  ASSERT_GT(server.port(), 0);
  auto response = httpRequest("POST", server.url() + "/p/a?x=1&y=2", {"X-Test: hello"}, "body!");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "POST /p/a ?x=1&y=2 hello body!");
  EXPECT_EQ(response.header("x-echo"), "yes");

  auto head = httpRequest("HEAD", server.url() + "/h");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.header("content-length"), std::to_string(std::string("HEAD /h ?  ").size()));

  EXPECT_EQ(httpGet(server.url() + "/throw").status, 500);
}

TEST(HttpServer, KeepsConnectionsAliveAndDecodesChunkedBodies) {
  auto server = echoServer();
  auto response = rawExchange(server.port(),
                              "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
                              "POST /two HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                              "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: t\r\n\r\n");
  EXPECT_EQ(occurrences(response, "HTTP/1.1 200 OK"), 2u) << response;
  EXPECT_NE(response.find("GET /one ?  "), std::string::npos) << response;
  EXPECT_NE(response.find("POST /two ?  hello world"), std::string::npos) << response;
  EXPECT_EQ(server.connectionCount(), 1u);
  EXPECT_EQ(server.requestCount(), 2u);
}

TEST(HttpServer, AnswersExpectContinueWithLargeBodies) {
  auto server = echoServer();
  std::string body(3 << 20, 'z');
  auto response = httpRequest("PUT", server.url() + "/big", {"Expect: 100-continue"}, body);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), std::string("PUT /big ?  ").size() + body.size());
}

TEST(HttpServer, StopsPromptlyWithIdleKeepAliveConnections) {
  auto server = std::make_unique<HttpServer>([](const HttpRequest&) { return HttpResponse{}; });
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(server->port()));
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ::send(fd, request.data(), request.size(), 0);
  char buffer[512];
  ASSERT_GT(::recv(fd, buffer, sizeof buffer, 0), 0);

  auto started = std::chrono::steady_clock::now();
  server.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(::recv(fd, buffer, sizeof buffer, 0), 0);  // the server closed its end
  ::close(fd);
}

TEST(HttpServer, ParsesQueries) {
  auto pairs = parseQuery("scope=repository%3Afoo%2Fbar%3Apull&scope=b+c&flag&service=s");
  ASSERT_EQ(pairs.size(), 4u);
  EXPECT_EQ(pairs[0], (std::pair<std::string, std::string>{"scope", "repository:foo/bar:pull"}));
  EXPECT_EQ(pairs[1].second, "b c");
  EXPECT_EQ(pairs[2], (std::pair<std::string, std::string>{"flag", ""}));
}

// --- Processes ------------------------------------------------------------

TEST(Process, RunsCommandsWithInputAndLargeOutput) {
  auto echoed = runCommand({"cat"}, "round trip");
  EXPECT_EQ(echoed.exitCode, 0);
  EXPECT_EQ(echoed.out, "round trip");

  std::string big(1 << 20, 'q');
  EXPECT_EQ(runChecked({"cat"}, big).size(), big.size());  // both pipes full at once must not deadlock

  auto failed = runCommand({"sh", "-c", "echo oops >&2; exit 3"});
  EXPECT_EQ(failed.exitCode, 3);
  EXPECT_EQ(failed.err, "oops\n");
  EXPECT_THROW(runChecked({"false"}), Error);
  EXPECT_THROW(runCommand({"no-such-program-for-ferry"}), Error);
}

// --- Registries -----------------------------------------------------------

// gtest parameter names allow only letters, digits and '_'.
std::string modeName(const ::testing::TestParamInfo<RegistryMode>& info) {
  std::string name(toString(info.param));
  std::erase(name, '-');
  return name;
}

class RegistryModes : public ::testing::TestWithParam<RegistryMode> {};

TEST_P(RegistryModes, StartsAndAnswersV2AsItsModeRequires) {
  TestRegistry registry(GetParam());
  ClientOptions options;
  options.caFile = registry.caFile();
  auto anonymous = httpGet(registry.url() + "/v2/", options);
  EXPECT_EQ(anonymous.header("docker-distribution-api-version"), "registry/2.0");
  switch (GetParam()) {
    case RegistryMode::Plain:
    case RegistryMode::Tls:
      EXPECT_EQ(anonymous.status, 200);
      break;
    case RegistryMode::BasicAuth:
    case RegistryMode::BasicAuthTls: {
      EXPECT_EQ(anonymous.status, 401);
      EXPECT_EQ(anonymous.header("www-authenticate"), "Basic realm=\"harness-realm\"");
      auto withCredentials = options;
      withCredentials.username = registry.username();
      withCredentials.password = registry.password();
      EXPECT_EQ(httpGet(registry.url() + "/v2/", withCredentials).status, 200);
      withCredentials.password = "wrong";
      EXPECT_EQ(httpGet(registry.url() + "/v2/", withCredentials).status, 401);
      break;
    }
    case RegistryMode::Token: {
      EXPECT_EQ(anonymous.status, 401);
      auto challenge = parseChallenge(anonymous.header("www-authenticate"));
      EXPECT_EQ(challenge.scheme, "Bearer");
      EXPECT_EQ(challenge.params["realm"], registry.tokenServer()->realm());
      EXPECT_EQ(challenge.params["service"], "harness-registry");
      break;
    }
  }
  EXPECT_EQ(registry.host(), "127.0.0.1:" + std::to_string(registry.port()));
  EXPECT_TRUE(std::filesystem::is_directory(registry.dataDir()));
}

INSTANTIATE_TEST_SUITE_P(AllModes, RegistryModes,
                         ::testing::Values(RegistryMode::Plain, RegistryMode::BasicAuth, RegistryMode::Tls,
                                           RegistryMode::BasicAuthTls, RegistryMode::Token),
                         modeName);

TEST(TestRegistry, TlsIsVerifiedWithItsCaAndRefusedWithoutIt) {
  TestRegistry registry(RegistryMode::Tls);
  EXPECT_TRUE(registry.tls());
  EXPECT_TRUE(registry.url().starts_with("https://"));
  EXPECT_TRUE(std::filesystem::exists(registry.certDir() / "ca.crt"));
  EXPECT_TRUE(std::filesystem::exists(registry.certsDRoot() / registry.host() / "ca.crt"));
  EXPECT_EQ(readFile(registry.caFile()), readFile(registry.certDir() / "ca.crt"));

  ClientOptions trusted;
  trusted.caFile = registry.caFile();
  EXPECT_EQ(httpGet(registry.url() + "/v2/", trusted).status, 200);
  ClientOptions systemStore;  // the system CAs do not know ours
  EXPECT_THROW(httpGet(registry.url() + "/v2/", systemStore), Error);
  // The certificate names localhost as well as 127.0.0.1.
  EXPECT_EQ(httpGet("https://localhost:" + std::to_string(registry.port()) + "/v2/", trusted).status, 200);
}

TEST(TestRegistry, CountsAccessLogLinesAfterStartup) {
  TestRegistry registry;
  EXPECT_EQ(registry.accessLogCount(), 0u);  // the readiness probe is not counted
  httpGet(registry.url() + "/v2/");
  httpRequest("HEAD", registry.url() + "/v2/x/blobs/sha256:" + std::string(64, '0'));
  EXPECT_EQ(registry.accessLogCount(), 2u);
  EXPECT_EQ(registry.accessLogCount("HEAD"), 1u);
  auto log = registry.accessLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].method, "GET");
  EXPECT_EQ(log[0].target, "/v2/");
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[1].status, 404);
}

TEST(TestRegistry, StopsAndRemovesItsDirectory) {
  std::filesystem::path directory;
  std::string url;
  {
    TestRegistry registry;
    directory = registry.directory();
    url = registry.url();
  }
  EXPECT_FALSE(std::filesystem::exists(directory));
  EXPECT_THROW(httpGet(url + "/v2/"), Error);
}

TEST(TestRegistry, RestartsOnTheSamePortWithItsData) {
  TemporaryDirectory dir;
  auto image = FixtureBuilder(dir.path(), 4).singleArchOci("v1");
  TestRegistry registry;
  pushImage(registry, dir.path(), image, "kept", "v1");
  auto port = registry.port();
  registry.stop();
  EXPECT_THROW(httpGet(registry.url() + "/v2/"), Error);
  registry.restart();
  EXPECT_EQ(registry.port(), port);
  EXPECT_EQ(getManifest(registry, "kept", "v1").status, 200);
  EXPECT_EQ(registry.accessLogCount(), 1u);
}

TEST(TestRegistry, ParsesOnlyAccessLogLines) {
  auto entries = parseAccessLog(
      "time=\"2024\" level=error msg=\"response completed with error\" err.code=\"blob unknown\"\n"
      "127.0.0.1 - - [01/Jan/2024:00:00:00 +0000] \"HEAD /v2/a/blobs/sha256:00 HTTP/1.1\" 404 157 \"\" \"skopeo\"\n"
      "127.0.0.1 - testuser [01/Jan/2024:00:00:01 +0000] \"PUT /v2/a/manifests/v1?x=1 HTTP/1.1\" 201 0 \"\" \"c\"\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].method, "HEAD");
  EXPECT_EQ(entries[1].target, "/v2/a/manifests/v1?x=1");
  EXPECT_EQ(entries[1].status, 201);
}

// --- Token server -----------------------------------------------------------

std::string fetchToken(const TestRegistry& registry, const std::string& scope, bool withCredentials) {
  ClientOptions options;
  if (withCredentials) {
    options.username = registry.username();
    options.password = registry.password();
  }
  auto response = httpGet(registry.tokenServer()->realm() + "?service=harness-registry&scope=" + scope, options);
  EXPECT_EQ(response.status, 200) << response.body;
  auto json = nlohmann::json::parse(response.body);
  EXPECT_EQ(json["expires_in"], 300);
  EXPECT_EQ(json["token"], json["access_token"]);
  EXPECT_TRUE(json.contains("issued_at"));
  return json["token"].get<std::string>();
}

nlohmann::json jwtPart(const std::string& token, int index) {
  size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  auto part = token.substr(start, token.find('.', start) - start);
  std::replace(part.begin(), part.end(), '-', '+');
  std::replace(part.begin(), part.end(), '_', '/');
  while (part.size() % 4 != 0) part += '=';
  return nlohmann::json::parse(*base64Decode(part));
}

TEST(TokenServer, GrantsPushOnlyToAuthenticatedCallers) {
  TestRegistry registry(RegistryMode::Token);
  const std::string repo = "team/app";
  auto token = fetchToken(registry, "repository:" + repo + ":pull,push", true);
  EXPECT_EQ(registry.tokenRequestCount(), 1u);

  auto header = jwtPart(token, 0);
  EXPECT_EQ(header["alg"], "RS256");
  EXPECT_EQ(header["kid"], libtrustKeyId(registry.directory() / "token" / "token.crt"));
  EXPECT_EQ(header["kid"].get<std::string>().size(), 12u * 4 + 11);  // 12 groups of 4, joined by ':'
  auto claims = jwtPart(token, 1);
  EXPECT_EQ(claims["iss"], "harness-token-issuer");
  EXPECT_EQ(claims["aud"], "harness-registry");
  EXPECT_EQ(claims["sub"], "testuser");
  EXPECT_EQ(claims["access"][0]["name"], repo);
  EXPECT_EQ(claims["access"][0]["actions"], nlohmann::json({"pull", "push"}));

  ClientOptions bearer;
  bearer.bearerToken = token;
  EXPECT_EQ(httpGet(registry.url() + "/v2/", bearer).status, 200);

  std::string blob = "token-mode blob";
  auto digest = Digest::sha256Of(blob);
  auto started = httpRequest("POST", registry.url() + "/v2/" + repo + "/blobs/uploads/", {}, {}, bearer);
  ASSERT_EQ(started.status, 202) << started.body;
  auto location = started.header("location");
  location += (location.find('?') == std::string::npos ? "?digest=" : "&digest=") + digest.str();
  EXPECT_EQ(httpRequest("PUT", location, {}, blob, bearer).status, 201);
  EXPECT_EQ(httpRequest("HEAD", registry.url() + "/v2/" + repo + "/blobs/" + digest.str(), {}, {}, bearer).status, 200);

  // Anonymous callers only get pull, so the same upload is refused.
  ClientOptions anonymous;
  anonymous.bearerToken = fetchToken(registry, "repository:" + repo + ":pull,push", false);
  EXPECT_EQ(jwtPart(anonymous.bearerToken, 1)["access"][0]["actions"], nlohmann::json({"pull"}));
  EXPECT_EQ(httpRequest("POST", registry.url() + "/v2/" + repo + "/blobs/uploads/", {}, {}, anonymous).status, 401);
  EXPECT_EQ(httpGet(registry.url() + "/v2/" + repo + "/blobs/" + digest.str(), anonymous).status, 200);

  ClientOptions wrong;
  wrong.username = "testuser";
  wrong.password = "nope";
  EXPECT_EQ(httpGet(registry.tokenServer()->realm() + "?service=harness-registry", wrong).status, 401);
  EXPECT_EQ(registry.tokenRequestCount(), 3u);
  auto records = registry.tokenServer()->requests();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].account, "");
  EXPECT_EQ(records[2].status, 401);
}

// --- Fixtures -----------------------------------------------------------------

std::vector<std::string> digestsOf(const std::vector<FixtureImage>& images) {
  std::vector<std::string> digests;
  for (const auto& image : images) digests.push_back(image.digest.str());
  return digests;
}

TEST(Fixtures, AreDeterministicForASeed) {
  TemporaryDirectory a, b, c;
  auto first = FixtureBuilder(a.path(), 7).allShapes();
  auto second = FixtureBuilder(b.path(), 7).allShapes();
  auto other = FixtureBuilder(c.path(), 8).allShapes();
  EXPECT_EQ(digestsOf(first), digestsOf(second));
  EXPECT_EQ(readFile(a.path() / "index.json"), readFile(b.path() / "index.json"));
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].blobs, second[i].blobs);
    EXPECT_NE(first[i].digest, other[i].digest) << first[i].name;
  }
}

TEST(Fixtures, ShapesHaveTheDocumentedStructure) {
  TemporaryDirectory dir;
  FixtureBuilder builder(dir.path(), 1);
  auto images = builder.allShapes();
  ASSERT_EQ(images.size(), 6u);
  std::vector<std::string> names;
  for (const auto& image : images) names.push_back(image.name);
  EXPECT_EQ(names, (std::vector<std::string>{"docker-single", "oci-single", "docker-list", "oci-index", "attestation",
                                             "nested"}));

  auto index = nlohmann::json::parse(readFile(dir.path() / "index.json"));
  ASSERT_EQ(index["manifests"].size(), 6u);
  EXPECT_EQ(readFile(dir.path() / "oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");

  for (const auto& image : images) {
    EXPECT_EQ(Digest::sha256Of(readBlob(dir.path(), image.digest)), image.digest);
    EXPECT_EQ(image.manifests.front(), image.digest);
    for (const auto& digest : image.manifests) {
      auto manifest = nlohmann::json::parse(readBlob(dir.path(), digest));
      if (manifest.contains("manifests")) continue;
      // Every layer is a gzip tar whose uncompressed digest is the config's diff_id.
      auto config =
          nlohmann::json::parse(readBlob(dir.path(), Digest::parse(manifest["config"]["digest"].get<std::string>())));
      ASSERT_EQ(config["rootfs"]["diff_ids"].size(), manifest["layers"].size());
      for (size_t i = 0; i < manifest["layers"].size(); ++i) {
        auto layer = manifest["layers"][i];
        auto bytes = readBlob(dir.path(), Digest::parse(layer["digest"].get<std::string>()));
        EXPECT_EQ(bytes.size(), layer["size"].get<size_t>());
        auto uncompressed = layer["mediaType"] == media::kInTotoLayer ? bytes : gunzip(bytes);
        EXPECT_EQ(Digest::sha256Of(uncompressed).str(), config["rootfs"]["diff_ids"][i]);
      }
    }
  }

  const auto& dockerList = images[2];
  EXPECT_EQ(dockerList.mediaType, media::kDockerManifestList);
  EXPECT_EQ(dockerList.manifests.size(), 6u);
  EXPECT_EQ(dockerList.blobs.size(), 11u);  // one shared base + 5 own layers + 5 configs
  auto list = nlohmann::json::parse(readBlob(dir.path(), dockerList.digest));
  std::vector<std::string> platforms;
  for (const auto& child : list["manifests"]) {
    EXPECT_EQ(child["mediaType"], media::kDockerManifest);
    platforms.push_back(
        child["platform"]["os"].get<std::string>() + "/" + child["platform"]["architecture"].get<std::string>() +
        (child["platform"].contains("variant") ? "/" + child["platform"]["variant"].get<std::string>() : ""));
  }
  EXPECT_EQ(platforms, (std::vector<std::string>{"linux/amd64", "linux/arm64/v8", "linux/arm/v7", "linux/s390x",
                                                 "linux/ppc64le"}));

  const auto& attestation = images[4];
  auto attested = nlohmann::json::parse(readBlob(dir.path(), attestation.digest));
  ASSERT_EQ(attested["manifests"].size(), 3u);
  auto entry = attested["manifests"][2];
  EXPECT_EQ(entry["platform"], nlohmann::json({{"architecture", "unknown"}, {"os", "unknown"}}));
  EXPECT_EQ(entry["annotations"]["vnd.docker.reference.type"], "attestation-manifest");
  EXPECT_EQ(entry["annotations"]["vnd.docker.reference.digest"], attested["manifests"][0]["digest"]);

  const auto& nested = images[5];
  auto outer = nlohmann::json::parse(readBlob(dir.path(), nested.digest));
  ASSERT_EQ(outer["manifests"].size(), 2u);
  EXPECT_EQ(outer["manifests"][0]["mediaType"], media::kOciIndex);
  EXPECT_EQ(nested.manifests.size(), 7u);
}

TEST(Fixtures, OneDescriptorLayoutPointsToAnIndexBlob) {
  TemporaryDirectory dir;
  auto image = layoutIndexPointingToIndexBlob(dir.path() / "layout", 3, "v1");
  auto index = nlohmann::json::parse(readFile(dir.path() / "layout" / "index.json"));
  ASSERT_EQ(index["manifests"].size(), 1u);
  EXPECT_EQ(index["manifests"][0]["mediaType"], media::kOciIndex);
  EXPECT_EQ(index["manifests"][0]["digest"], image.digest.str());
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "v1");
}

TEST(Fixtures, SharedLayersAreTheSameBlobAcrossLayoutsAndSeeds) {
  TemporaryDirectory dir;
  ImageSpec spec;
  spec.platforms = {Platform::parse("linux/amd64"), Platform::parse("linux/arm64")};
  spec.sharedLayers = {SharedLayer{42, 100000, false}, SharedLayer{43, 50000, true}};
  spec.ownLayers = 1;
  spec.ownLayerMinSize = spec.ownLayerMaxSize = 20000;
  auto cache = std::make_shared<LayerCache>();
  auto one = FixtureBuilder(dir.path() / "one", 1, cache).image("a", spec);
  auto two = FixtureBuilder(dir.path() / "two", 2, cache).image("b", spec);
  auto alone = FixtureBuilder(dir.path() / "three", 3).image("c", spec);

  auto layersOf = [&](const std::filesystem::path& layout, const FixtureImage& image, size_t child) {
    auto index = nlohmann::json::parse(readBlob(layout, image.digest));
    auto manifest =
        nlohmann::json::parse(readBlob(layout, Digest::parse(index["manifests"][child]["digest"].get<std::string>())));
    std::vector<std::string> layers;
    for (const auto& layer : manifest["layers"]) layers.push_back(layer["digest"].get<std::string>());
    return layers;
  };
  auto oneAmd = layersOf(dir.path() / "one", one, 0);
  auto oneArm = layersOf(dir.path() / "one", one, 1);
  auto twoAmd = layersOf(dir.path() / "two", two, 0);
  auto threeAmd = layersOf(dir.path() / "three", alone, 0);
  EXPECT_EQ(oneAmd[0], oneArm[0]);  // not per platform: one blob for all
  EXPECT_NE(oneAmd[1], oneArm[1]);  // per platform: differs by architecture
  EXPECT_EQ(oneAmd[0], twoAmd[0]);
  EXPECT_EQ(oneAmd[1], twoAmd[1]);
  EXPECT_EQ(oneAmd[1], threeAmd[1]);  // without a shared cache too
  EXPECT_NE(oneAmd[2], twoAmd[2]);    // own layers follow the builder's seed
  EXPECT_GT(std::filesystem::file_size(dir.path() / "two" / "blobs" / Digest::parse(twoAmd[0]).blobPath()), 100000u);
}

// --- External tools against the fixtures and registries ---------------------

class SkopeoPush : public ::testing::TestWithParam<RegistryMode> {};

TEST_P(SkopeoPush, CopiesAnOciIndexPreservingItsDigest) {
  if (!toolAvailable("skopeo")) GTEST_SKIP() << "skopeo is not installed";
  TemporaryDirectory dir;
  auto image = FixtureBuilder(dir.path(), 11).ociIndex("oci-index");
  TestRegistry registry(GetParam());

  std::vector<std::string> auth;
  if (registry.needsCredentials()) auth = {"--creds", registry.username() + ":" + registry.password()};
  std::vector<std::string> tls = {"--tls-verify=false"};
  if (registry.tls()) tls = {"--cert-dir", registry.certDir().string()};

  std::vector<std::string> copy = {"skopeo", "copy", "-q", "--all", "--preserve-digests"};
  for (const auto& arg : auth) copy.push_back(arg == "--creds" ? "--dest-creds" : arg);
  for (const auto& arg : tls) {
    copy.push_back(arg == "--tls-verify=false" ? "--dest-tls-verify=false"
                   : arg == "--cert-dir"       ? "--dest-cert-dir"
                                               : arg);
  }
  copy.push_back("oci:" + dir.path().string() + ":oci-index");
  copy.push_back("docker://" + registry.host() + "/x:1");
  runChecked(copy);

  std::vector<std::string> inspect = {"skopeo", "inspect", "--raw"};
  inspect.insert(inspect.end(), auth.begin(), auth.end());
  inspect.insert(inspect.end(), tls.begin(), tls.end());
  inspect.push_back("docker://" + registry.host() + "/x:1");
  auto raw = runChecked(inspect);
  EXPECT_EQ(Digest::sha256Of(raw), image.digest);
  EXPECT_EQ(raw, readBlob(dir.path(), image.digest));

  EXPECT_GT(registry.accessLogCount("PUT"), 0u);
  if (GetParam() == RegistryMode::Token) {
    EXPECT_GT(registry.tokenRequestCount(), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(AllModes, SkopeoPush,
                         ::testing::Values(RegistryMode::Plain, RegistryMode::BasicAuthTls, RegistryMode::Token),
                         modeName);

TEST(PushImage, PushesShapesSkopeoCannotPreservingDigests) {
  TemporaryDirectory dir;
  FixtureBuilder builder(dir.path(), 5);
  auto shapes = builder.allShapes();
  for (auto mode : {RegistryMode::Plain, RegistryMode::Token}) {
    TestRegistry registry(mode);
    for (const auto& image : shapes) {
      SCOPED_TRACE(image.name + " to " + std::string(toString(mode)));
      pushImage(registry, dir.path(), image, "shapes/" + image.name, "v1");
      auto response = getManifest(registry, "shapes/" + image.name, "v1");
      ASSERT_EQ(response.status, 200) << response.body;
      EXPECT_EQ(response.header("docker-content-digest"), image.digest.str());
      EXPECT_EQ(response.header("content-type"), image.mediaType);
      EXPECT_EQ(Digest::sha256Of(response.body), image.digest);
      auto options = registryClientOptions(registry, "shapes/" + image.name);
      for (const auto& blob : image.blobs) {
        auto url = registry.url() + "/v2/shapes/" + image.name + "/blobs/" + blob.str();
        EXPECT_EQ(httpRequest("HEAD", url, {}, {}, options).status, 200);
      }
    }
  }
}

TEST(Umoci, UnpacksTheSingleArchOciImage) {
  if (!toolAvailable("umoci")) GTEST_SKIP() << "umoci is not installed";
  TemporaryDirectory dir;
  FixtureBuilder(dir.path() / "layout", 9).allShapes();
  auto bundle = dir.path() / "bundle";
  runChecked(
      {"umoci", "unpack", "--rootless", "--image", (dir.path() / "layout").string() + ":oci-single", bundle.string()});
  EXPECT_TRUE(std::filesystem::exists(bundle / "config.json"));
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(bundle / "rootfs")) {
    if (entry.is_regular_file()) ++files;
  }
  EXPECT_EQ(files, 6u);  // two layers of three files
}

}  // namespace
}  // namespace ferry::testing
