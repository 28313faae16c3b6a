#include "ferry/http/http_client.h"

#include <gtest/gtest.h>

#include <ctime>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "support/http_server.h"

namespace ferry {

TEST(Url, ResolvesAbsoluteAndRelativeLocationsKeepingQueries) {
  std::string base = "http://127.0.0.1:5000/v2/app/blobs/uploads/";
  EXPECT_EQ(resolveUrl(base, "/v2/app/blobs/uploads/uuid?_state=abc"),
            "http://127.0.0.1:5000/v2/app/blobs/uploads/uuid?_state=abc");
  EXPECT_EQ(resolveUrl(base, "https://storage.example/upload?sig=1"), "https://storage.example/upload?sig=1");
  EXPECT_EQ(resolveUrl(base, "uuid?x=1"), "http://127.0.0.1:5000/v2/app/blobs/uploads/uuid?x=1");
  EXPECT_EQ(resolveUrl("https://a.example/v2/x?y=1", "//b.example/p"), "https://b.example/p");
}

TEST(Url, OriginComparesSchemeHostAndPort) {
  EXPECT_EQ(originOf("http://127.0.0.1:5000/v2/"), "http://127.0.0.1:5000");
  EXPECT_EQ(originOf("HTTPS://Registry.Example/v2/x?y"), "https://registry.example");
  EXPECT_NE(originOf("http://127.0.0.1:5000/x"), originOf("http://127.0.0.1:5001/x"));
  EXPECT_EQ(originOf("https://[::1]:5000/v2/"), "https://[::1]:5000");
}

TEST(Url, EncodesQueryValues) {
  EXPECT_EQ(urlEncode("sha256:abc"), "sha256%3Aabc");
  EXPECT_EQ(urlEncode("repository:a/b:pull,push"), "repository%3Aa%2Fb%3Apull%2Cpush");
}

TEST(Http, UnreachableHostGivesAClearError) {
  HttpClient client(TlsSettings{});
  try {
    // Port 1 on loopback is closed on any sane machine.
    client.perform(HttpRequest{.method = "GET", .url = "http://127.0.0.1:1/v2/"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("http://127.0.0.1:1"), std::string::npos) << e.what();
  }
}

TEST(Http, TransportFailuresAreReportedByKind) {
  HttpClient client(TlsSettings{});
  auto response = client.attempt(HttpRequest{.method = "GET", .url = "http://127.0.0.1:1/v2/"});
  EXPECT_EQ(response.failure, TransportFailure::Unreachable);
  EXPECT_FALSE(response.failureDetail.empty());
  EXPECT_EQ(response.url, "http://127.0.0.1:1/v2/");
}

TEST(Http, OnHeadSeesTheStatusBeforeTheBodyAndCanAbandonIt) {
  testing::HttpServer server([](const testing::HttpRequest&) {
    return testing::HttpResponse{.status = 206, .headers = {{"Content-Range", "bytes 5-9/10"}}, .body = "56789"};
  });
  HttpClient client(TlsSettings{});
  std::string seenRange;
  std::string body;
  HttpRequest request{.method = "GET", .url = server.url() + "/blob"};
  request.onHead = [&](const HttpResponse& head) {
    seenRange = head.header("content-range");
    return head.status == 206;
  };
  request.onBody = [&](const char* data, size_t size) {
    body.append(data, size);
    return true;
  };
  auto kept = client.attempt(request);
  EXPECT_EQ(kept.status, 206);
  EXPECT_EQ(seenRange, "bytes 5-9/10");
  EXPECT_EQ(body, "56789");
  EXPECT_FALSE(kept.abandoned);

  body.clear();
  request.onHead = [](const HttpResponse&) { return false; };
  auto abandoned = client.attempt(request);
  EXPECT_TRUE(abandoned.abandoned);
  EXPECT_EQ(abandoned.failure, TransportFailure::None);
  EXPECT_EQ(body, "");
}

TEST(Http, SendsAPartOfAFile) {
  std::string received;
  testing::HttpServer server([&](const testing::HttpRequest& request) {
    received = request.body;
    return testing::HttpResponse{.status = 202, .headers = {}, .body = {}};
  });
  TemporaryDirectory directory;
  auto file = directory.path() / "blob";
  writeFileAtomically(file, "0123456789");
  HttpClient client(TlsSettings{});
  auto response = client.attempt(
      HttpRequest{.method = "PATCH", .url = server.url() + "/up", .bodyFile = file, .bodyOffset = 3, .bodyLength = 4});
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(received, "3456");
  client.attempt(HttpRequest{.method = "PUT", .url = server.url() + "/up", .bodyFile = file, .bodyOffset = 8});
  EXPECT_EQ(received, "89");
  std::string memory = "abcdef";
  client.attempt(HttpRequest{.method = "PUT", .url = server.url() + "/up", .bodyView = std::string_view(memory).substr(1, 2)});
  EXPECT_EQ(received, "bc");
}

TEST(Retry, ContentRangeStart) {
  EXPECT_EQ(contentRangeStart("bytes 100-199/200"), 100);
  EXPECT_EQ(contentRangeStart("Bytes 0-0/*"), 0);
  EXPECT_EQ(contentRangeStart("bytes */200"), std::nullopt);
  EXPECT_EQ(contentRangeStart("items 1-2/3"), std::nullopt);
  EXPECT_EQ(contentRangeStart(""), std::nullopt);
}

TEST(Flags, Durations) {
  EXPECT_EQ(parseDuration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(parseDuration("2s"), std::chrono::milliseconds(2000));
  EXPECT_EQ(parseDuration("1.5"), std::chrono::milliseconds(1500));
  EXPECT_EQ(parseDuration("3"), std::chrono::milliseconds(3000));
  EXPECT_EQ(parseDuration("1m"), std::chrono::milliseconds(60000));
  EXPECT_EQ(parseDuration("10MS"), std::chrono::milliseconds(10));
  for (const char* bad : {"", "ms", "fast", "-1s", "1h", "2 s s"}) EXPECT_THROW(parseDuration(bad), Error) << bad;
}

TEST(Flags, ByteSizes) {
  EXPECT_EQ(parseByteSize("1048576"), 1048576);
  EXPECT_EQ(parseByteSize("512KiB"), 512 * 1024);
  EXPECT_EQ(parseByteSize("5MiB"), 5 << 20);
  EXPECT_EQ(parseByteSize("1GiB"), int64_t{1} << 30);
  EXPECT_EQ(parseByteSize("10MB"), 10000000);
  EXPECT_EQ(parseByteSize("64 KiB"), 64 * 1024);
  for (const char* bad : {"", "MiB", "big", "-5MiB", "1.5MiB", "99999999999GiB"}) EXPECT_THROW(parseByteSize(bad), Error) << bad;
}

}  // namespace ferry
