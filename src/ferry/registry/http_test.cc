#include "ferry/registry/http.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"

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

}  // namespace ferry
