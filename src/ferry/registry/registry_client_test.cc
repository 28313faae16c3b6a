// RegistryClient's retries, download resumption and re-authentication, against
// small scripted servers, with the test fault proxy where a body must be cut.
#include "ferry/registry/registry_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <ctime>

#include "ferry/base/error.h"
#include "ferry/registry/registry_repository.h"
#include "ferry/transport/image_store.h"
#include "support/error_kind.h"
#include "support/fault_proxy.h"
#include "support/http_server.h"

namespace ferry {
namespace {

using namespace std::chrono_literals;
using testing::HttpServer;
using Served = testing::HttpResponse;
using Received = testing::HttpRequest;

struct Warnings {
  std::mutex mutex;
  std::vector<std::string> lines;
};

// Plain HTTP, quick retries, warnings collected.
RegistryOptions quickRetries(Warnings& warnings) {
  RegistryOptions options{.plainHttp = true};
  options.retry.delay = 1ms;
  options.warn = [&warnings](const std::string& line) {
    std::lock_guard lock(warnings.mutex);
    warnings.lines.push_back(line);
  };
  return options;
}

RegistryClient clientFor(const std::string& host, RegistryOptions options) {
  return RegistryClient(host, host, std::move(options));
}

class StringWriter : public BlobWriter {
 public:
  bool write(const char* data, size_t size) override {
    bytes.append(data, size);
    return true;
  }
  void restart() override {
    bytes.clear();
    ++restarts;
  }
  std::string bytes;
  int restarts = 0;
};

// 10,000 bytes that differ from position to position.
std::string blobBody() {
  std::string body;
  for (int i = 0; i < 10000; ++i) body.push_back(static_cast<char>('a' + (i * 7) % 26));
  return body;
}

// Serves `body` at every path but /v2/, with Range when `honourRange`.
Served serveBlob(const Received& request, const std::string& body, bool honourRange = true) {
  if (request.path == "/v2/") return Served{.status = 200, .headers = {}, .body = "{}"};
  auto range = request.header("range");
  if (!honourRange || range.empty()) return Served{.status = 200, .headers = {}, .body = body};
  size_t start = std::stoul(range.substr(6));
  Served partial{.status = 206, .headers = {}, .body = body.substr(start)};
  partial.with("Content-Range", fmt::format("bytes {}-{}/{}", start, body.size() - 1, body.size()));
  return partial;
}

TEST(RegistryRetries, ServerErrorsAreRetriedCountedAndLogged) {
  std::atomic<int> calls{0};
  HttpServer server([&](const Received& request) {
    if (request.path == "/v2/") return Served{.status = 200, .headers = {}, .body = "{}"};
    return ++calls <= 2 ? Served{.status = 503, .headers = {}, .body = ""} : Served{.status = 200, .headers = {}, .body = "ok"};
  });
  Warnings warnings;
  auto client = clientFor(server.host(), quickRetries(warnings));
  auto response = client.send(HttpRequest{.url = "/v2/app/manifests/sha256:" + std::string(64, 'a')}, {});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");
  EXPECT_EQ(client.retryCount(), 2);
  ASSERT_EQ(warnings.lines.size(), 2u);
  EXPECT_TRUE(warnings.lines[0].starts_with(server.host() + ": GET /v2/app/manifests/sha256:aaaaaaaaaaaa: HTTP 503; retry 1/5 in "))
      << warnings.lines[0];
  EXPECT_NE(warnings.lines[1].find("retry 2/5"), std::string::npos) << warnings.lines[1];
}

TEST(RegistryRetries, ClientErrorsAreNotRetried) {
  for (int status : {400, 401, 403, 404, 405, 409}) {
    std::atomic<int> calls{0};
    HttpServer server([&](const Received& request) {
      if (request.path == "/v2/") return Served{.status = 200, .headers = {}, .body = "{}"};
      ++calls;
      return Served{.status = status, .headers = {}, .body = ""};
    });
    Warnings warnings;
    auto client = clientFor(server.host(), quickRetries(warnings));
    EXPECT_EQ(client.send(HttpRequest{.url = "/v2/app/manifests/v1"}, {}).status, status);
    EXPECT_EQ(calls, status == 401 ? 2 : 1) << status;  // a 401 is answered once with fresh credentials
    EXPECT_EQ(client.retryCount(), 0) << status;
  }
}

TEST(RegistryRetries, GivesUpAfterTheConfiguredRetries) {
  std::atomic<int> calls{0};
  HttpServer server([&](const Received& request) {
    if (request.path == "/v2/") return Served{.status = 200, .headers = {}, .body = "{}"};
    ++calls;
    return Served{.status = 502, .headers = {}, .body = ""};
  });
  Warnings warnings;
  auto options = quickRetries(warnings);
  options.retry.times = 3;
  auto client = clientFor(server.host(), options);
  auto response = client.send(HttpRequest{.url = "/v2/app/manifests/v1"}, {});
  EXPECT_EQ(response.status, 502);
  EXPECT_EQ(response.retries, 3);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(client.retryCount(), 3);
  try {
    client.failWith(response, "read manifest 'app:v1'");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 502 after 3 retries"), std::string::npos) << e.what();
  }

  options.retry.times = 0;
  auto once = clientFor(server.host(), options);
  calls = 0;
  EXPECT_EQ(once.send(HttpRequest{.url = "/v2/app/manifests/v1"}, {}).status, 502);
  EXPECT_EQ(calls, 1);
}

TEST(RegistryRetries, RetryAfterIsHonouredInSecondsAndAsADate) {
  std::atomic<int> calls{0};
  std::string retryAfter;
  HttpServer server([&](const Received& request) {
    if (request.path == "/v2/") return Served{.status = 200, .headers = {}, .body = "{}"};
    if (++calls % 2 == 1) return Served{.status = 429, .headers = {{"Retry-After", retryAfter}}, .body = ""};
    return Served{.status = 200, .headers = {}, .body = ""};
  });
  Warnings warnings;
  auto client = clientFor(server.host(), quickRetries(warnings));

  retryAfter = "1";
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(client.send(HttpRequest{.url = "/v2/app/manifests/v1"}, {}).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_NE(warnings.lines.at(0).find("HTTP 429; retry 1/5 in 1s"), std::string::npos) << warnings.lines.at(0);

  // An HTTP date two whole seconds ahead is between one and two seconds away.
  std::time_t when = std::time(nullptr) + 2;
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", std::gmtime(&when));
  retryAfter = date;
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(client.send(HttpRequest{.url = "/v2/app/manifests/v1"}, {}).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(client.retryCount(), 2);

  // A wait longer than the policy's cap is not sat through.
  retryAfter = "3600";
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(client.send(HttpRequest{.url = "/v2/app/manifests/v1"}, {}).status, 429);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(client.retryCount(), 2);
}

TEST(RegistryRetries, AnUnreachableRegistryFailsAtOnce) {
  Warnings warnings;
  auto client = clientFor("127.0.0.1:1", quickRetries(warnings));
  try {
    client.send(HttpRequest{.url = "/v2/app/manifests/v1"}, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot reach registry 127.0.0.1:1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(client.retryCount(), 0);
}

TEST(RegistryRetries, DroppedConnectionsAreRetried) {
  HttpServer registry([](const Received& request) { return serveBlob(request, "{\"schemaVersion\":2}"); });
  testing::FaultProxy proxy(testing::FaultProxy::Upstream{.url = registry.url()});
  int reset = proxy.add(testing::Fault::reset("GET", "/manifests/", 0));
  Warnings warnings;
  auto client = clientFor(proxy.host(), quickRetries(warnings));
  auto response = client.send(HttpRequest{.url = "/v2/app/manifests/v1"}, {});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{\"schemaVersion\":2}");
  EXPECT_EQ(proxy.fired(reset), 1);
  EXPECT_EQ(client.retryCount(), 1);
}

TEST(RegistryDownload, ABodyCutShortResumesWithRange) {
  const std::string body = blobBody();
  HttpServer registry([&](const Received& request) { return serveBlob(request, body); });
  testing::FaultProxy proxy(testing::FaultProxy::Upstream{.url = registry.url()});
  int reset = proxy.add(testing::Fault::reset("GET", "/blobs/", 3000));
  int truncated = proxy.add(testing::Fault::truncate("GET", "/blobs/", 3000));  // the resumed request
  Warnings warnings;
  auto client = clientFor(proxy.host(), quickRetries(warnings));
  StringWriter out;
  auto response = client.download(HttpRequest{.url = "/v2/app/blobs/sha256:x"}, {}, out);
  EXPECT_EQ(response.status, 206);
  EXPECT_EQ(out.bytes, body);
  EXPECT_EQ(out.restarts, 0);
  EXPECT_EQ(proxy.fired(reset) + proxy.fired(truncated), 2);
  EXPECT_EQ(client.retryCount(), 2);
  std::vector<std::string> ranges;
  for (const auto& seen : proxy.requests())
    if (seen.target.find("/blobs/") != std::string::npos) ranges.push_back(seen.range);
  // The reset delivered 3000 bytes, the cut resumed answer 3000 more.
  EXPECT_EQ(ranges, (std::vector<std::string>{"", "bytes=3000-", "bytes=6000-"}));
  EXPECT_NE(warnings.lines.at(0).find("(resuming from byte 3000)"), std::string::npos) << warnings.lines.at(0);
}

TEST(RegistryDownload, ServersThatIgnoreRangeGiveTheWholeBlobAgain) {
  const std::string body = blobBody();
  HttpServer registry([&](const Received& request) { return serveBlob(request, body, /*honourRange=*/false); });
  testing::FaultProxy proxy(testing::FaultProxy::Upstream{.url = registry.url()});
  proxy.add(testing::Fault::reset("GET", "/blobs/", 3000));
  Warnings warnings;
  auto client = clientFor(proxy.host(), quickRetries(warnings));
  StringWriter out;
  EXPECT_EQ(client.download(HttpRequest{.url = "/v2/app/blobs/sha256:x"}, {}, out).status, 200);
  EXPECT_EQ(out.bytes, body);
  EXPECT_EQ(out.restarts, 1);
  EXPECT_EQ(client.retryCount(), 1);
}

TEST(RegistryDownload, AnAnswerForTheWrongRangeIsDroppedAndTheBlobAskedAgain) {
  const std::string body = blobBody();
  HttpServer registry([&](const Received& request) {
    if (request.header("range").empty()) return serveBlob(request, body);
    // Claims a range from byte 0, whatever was asked.
    Served wrong{.status = 206, .headers = {}, .body = body};
    wrong.with("Content-Range", fmt::format("bytes 0-{}/{}", body.size() - 1, body.size()));
    return wrong;
  });
  testing::FaultProxy proxy(testing::FaultProxy::Upstream{.url = registry.url()});
  proxy.add(testing::Fault::truncate("GET", "/blobs/", 3000));
  Warnings warnings;
  auto client = clientFor(proxy.host(), quickRetries(warnings));
  StringWriter out;
  EXPECT_EQ(client.download(HttpRequest{.url = "/v2/app/blobs/sha256:x"}, {}, out).status, 200);
  EXPECT_EQ(out.bytes, body);
  EXPECT_EQ(out.restarts, 1);
  EXPECT_EQ(client.retryCount(), 2);  // the cut body, then the wrong range
}

TEST(RegistryDownload, AnExpiredRedirectIsAskedAgainFromTheRegistry) {
  const std::string body = blobBody();
  std::atomic<int> storageCalls{0};
  std::atomic<bool> leaked{false};
  HttpServer storage([&](const Received& request) {
    leaked = leaked || !request.header("authorization").empty();
    if (++storageCalls == 1) return Served{.status = 403, .headers = {}, .body = "Request has expired"};
    return Served{.status = 200, .headers = {}, .body = body};
  });
  std::atomic<int> registryCalls{0};
  HttpServer registry([&](const Received& request) {
    if (request.path == "/v2/") return Served{.status = 401, .headers = {{"WWW-Authenticate", "Basic realm=\"r\""}}, .body = ""};
    if (request.header("authorization").empty()) return Served{.status = 401, .headers = {}, .body = ""};
    ++registryCalls;
    return Served{.status = 307, .headers = {{"Location", storage.url() + "/bucket/blob?X-Amz-Signature=s"}}, .body = ""};
  });
  Warnings warnings;
  auto options = quickRetries(warnings);
  options.credential = Credential{"user", "secret"};
  auto client = clientFor(registry.host(), options);
  StringWriter out;
  EXPECT_EQ(client.download(HttpRequest{.url = "/v2/app/blobs/sha256:x"}, {}, out).status, 200);
  EXPECT_EQ(out.bytes, body);
  EXPECT_EQ(registryCalls, 2);
  EXPECT_EQ(storageCalls, 2);
  EXPECT_FALSE(leaked);
  EXPECT_EQ(client.retryCount(), 1);
  EXPECT_NE(warnings.lines.at(0).find("GET " + storage.url() + "/bucket/blob: HTTP 403"), std::string::npos)
      << warnings.lines.at(0);
  EXPECT_EQ(warnings.lines.at(0).find("Signature"), std::string::npos) << "a signed URL's query is never logged";
}

TEST(RegistryAuth, AnExpiredTokenIsRenewedForAStreamedDownload) {
  const std::string body = blobBody();
  std::atomic<int> tokensIssued{0};
  std::atomic<int> refusals{0};
  std::unique_ptr<HttpServer> server;
  server = std::make_unique<HttpServer>([&](const Received& request) {
    if (request.path == "/token")
      return Served{.status = 200, .headers = {}, .body = fmt::format("{{\"token\":\"t{}\",\"expires_in\":300}}", ++tokensIssued)};
    std::string challenge = "Bearer realm=\"" + server->url() + "/token\",service=\"test\"";
    if (request.path == "/v2/") return Served{.status = 401, .headers = {{"WWW-Authenticate", challenge}}, .body = ""};
    // Only the second token is good: the first "expired" before its stated lifetime.
    if (request.header("authorization") != "Bearer t2") {
      ++refusals;
      return Served{.status = 401, .headers = {{"WWW-Authenticate", challenge}}, .body = ""};
    }
    return Served{.status = 200, .headers = {}, .body = body};
  });
  Warnings warnings;
  auto client = clientFor(server->host(), quickRetries(warnings));
  StringWriter out;
  EXPECT_EQ(client.download(HttpRequest{.url = "/v2/app/blobs/sha256:x"}, {"repository:app:pull"}, out).status, 200);
  EXPECT_EQ(out.bytes, body);
  EXPECT_EQ(tokensIssued, 2);
  EXPECT_EQ(refusals, 1);
  EXPECT_EQ(client.reauthenticationCount(), 1);
  EXPECT_EQ(client.retryCount(), 0);
}

}  // namespace
}  // namespace ferry

namespace ferry {
namespace {

TEST(RegistryRedirects, TheTokenEndpointMayRedirectAndCredentialsStayWithTheRealm) {
  std::mutex mutex;
  std::vector<std::string> movedAuthorizations;
  HttpServer moved([&](const Received& request) {
    std::lock_guard lock(mutex);
    movedAuthorizations.push_back(request.header("authorization"));
    return Served{.status = 200, .headers = {}, .body = R"({"token":"tok","expires_in":300})"};
  });
  std::atomic<int> realmCalls{0};
  std::string realmAuthorization;
  HttpServer realm([&](const Received& request) {
    ++realmCalls;
    realmAuthorization = request.header("authorization");
    return Served{.status = 307, .headers = {}, .body = ""}.with("Location", moved.url() + "/token?" + request.query);
  });
  HttpServer registry([&](const Received& request) {
    if (request.header("authorization") != "Bearer tok")
      return Served{.status = 401, .headers = {}, .body = ""}.with(
          "WWW-Authenticate", "Bearer realm=\"" + realm.url() + "/token\",service=\"test\"");
    return Served{.status = 200, .headers = {}, .body = "ok"};
  });
  auto options = RegistryOptions{.plainHttp = true, .credential = Credential{"user", "secret"}};
  auto client = clientFor(registry.host(), options);
  auto response = client.send(HttpRequest{.method = "GET", .url = "/v2/app/tags/list"}, {"repository:app:pull"});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");
  EXPECT_EQ(realmCalls, 1);
  EXPECT_TRUE(realmAuthorization.starts_with("Basic ")) << realmAuthorization;
  std::lock_guard lock(mutex);
  ASSERT_EQ(movedAuthorizations.size(), 1u);
  EXPECT_EQ(movedAuthorizations[0], "");  // another host: no credentials
}

TEST(RegistryRedirects, AManifestGetFollowsARedirectWithoutCredentials) {
  const std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]})";
  std::string mirrorAuthorization = "unset";
  HttpServer mirror([&](const Received& request) {
    mirrorAuthorization = request.header("authorization");
    return Served{.status = 200, .headers = {}, .body = manifest}.with("Content-Type",
                                                                        "application/vnd.oci.image.manifest.v1+json");
  });
  std::string registryAuthorization;
  HttpServer registry([&](const Received& request) {
    if (request.header("authorization").empty())
      return Served{.status = 401, .headers = {}, .body = ""}.with("WWW-Authenticate", "Basic realm=\"test\"");
    registryAuthorization = request.header("authorization");
    if (request.path == "/v2/") return Served{.status = 200, .headers = {}, .body = "{}"};
    return Served{.status = 307, .headers = {}, .body = ""}.with("Location", mirror.url() + "/cdn" + request.path);
  });
  auto options = RegistryOptions{.plainHttp = true, .credential = Credential{"user", "secret"}};
  auto client = std::make_shared<RegistryClient>(registry.host(), registry.host(), options);
  RegistryRepository repository(client, "app");
  auto raw = repository.getManifest("v1");
  EXPECT_EQ(raw.bytes, manifest);
  EXPECT_TRUE(registryAuthorization.starts_with("Basic ")) << registryAuthorization;
  EXPECT_EQ(mirrorAuthorization, "");  // another host: no credentials
}

TEST(RegistryErrors, StatusesAndRegistryCodesGiveErrorKinds) {
  HttpServer registry([&](const Received& request) {
    if (request.path == "/v2/") return Served{.status = 200, .headers = {}, .body = "{}"};
    if (request.path.ends_with("/missing"))
      return Served{.status = 404, .headers = {}, .body = R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"};
    if (request.path.ends_with("/denied")) return Served{.status = 403, .headers = {}, .body = ""};
    if (request.path.ends_with("/odd"))
      return Served{.status = 400, .headers = {}, .body = R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]})"};
    return Served{.status = 401, .headers = {}, .body = ""};
  });
  auto client = std::make_shared<RegistryClient>(registry.host(), registry.host(), RegistryOptions{.plainHttp = true});
  RegistryRepository repository(client, "app");
  auto kindOf = [&](const std::string& reference) {
    return testing::errorKindOf([&] { repository.getManifest(reference); });
  };
  EXPECT_EQ(kindOf("missing"), ErrorKind::NotFound);
  EXPECT_EQ(kindOf("denied"), ErrorKind::Unauthorized);
  EXPECT_EQ(kindOf("odd"), ErrorKind::NotFound);
  EXPECT_EQ(testing::errorKindOf([] {
              clientFor("127.0.0.1:1", RegistryOptions{.plainHttp = true}).send(HttpRequest{.url = "/v2/x"}, {});
            }),
            ErrorKind::Unreachable);
}

}  // namespace
}  // namespace ferry
