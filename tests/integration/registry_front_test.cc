// Behaviour real registries show that distribution 2.8 does not: blob
// downloads redirected to object storage on another host, and tag lists served
// in pages with Link headers. A front server of the test's own stands before a
// real (basic-auth) registry, forwards everything else to it, and adds those two.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>

#include "ferry/copy/endpoints.h"
#include "ferry/registry/registry_repository.h"
#include "integration/ferry_test_env.h"
#include "support/registry_push.h"
#include "support/http_client.h"
#include "support/http_server.h"

namespace ferry::testing {
namespace {

class RegistryFront {
 public:
  explicit RegistryFront(const TestRegistry& registry)
      : registry_(registry),
        storage_([this](const HttpRequest& request) { return serveStorage(request); }),
        front_([this](const HttpRequest& request) { return serveFront(request); }) {}

  std::string host() const { return front_.host(); }
  int storageRequests() const { return storageRequests_; }
  int leakedAuthorizations() const { return leakedAuthorizations_; }
  int tagPages() const { return tagPages_; }
  // Manifest GETs answer 307 to the storage server, as a registry behind a CDN does.
  void redirectManifests() { redirectManifests_ = true; }
  int manifestRedirects() const { return manifestRedirects_; }

 private:
  ClientOptions registryAccess() const {
    ClientOptions options;
    options.username = registry_.username();
    options.password = registry_.password();
    return options;
  }

  HttpResponse forward(const HttpRequest& request) { return forwardToRegistry(registry_, front_.host(), request); }

  HttpResponse serveFront(const HttpRequest& request) {
    auto blobs = request.path.find("/blobs/sha256:");
    if (request.method == "GET" && blobs != std::string::npos) {
      // Object storage on another origin, with a signed URL as S3 would give.
      std::string digest = request.path.substr(blobs + 7);
      std::string repository = request.path.substr(4, blobs - 4);
      return HttpResponse{.status = 307}.with(
          "Location", storage_.url() + "/storage/" + repository + "/" + digest + "?X-Signature=abc%2Fdef");
    }
    if (request.method == "GET" && request.path.ends_with("/tags/list")) return serveTagPage(request);
    if (redirectManifests_ && request.method == "GET" && request.path.find("/manifests/") != std::string::npos) {
      ++manifestRedirects_;
      return HttpResponse{.status = 307}.with("Location", storage_.url() + "/cdn" + request.path + "?X-Signature=abc%2Fdef");
    }
    return forward(request);
  }

  HttpResponse serveStorage(const HttpRequest& request) {
    ++storageRequests_;
    if (!request.header("authorization").empty()) {
      ++leakedAuthorizations_;
      return HttpResponse{.status = 400, .headers = {}, .body = "credentials must not be sent here"};
    }
    if (request.query != "X-Signature=abc%2Fdef") return HttpResponse{.status = 403, .headers = {}, .body = "bad signature"};
    if (request.path.starts_with("/cdn/")) {
      auto manifest = httpRequest("GET", registry_.url() + request.path.substr(4), {"Accept: " + request.header("accept")},
                                  "", registryAccess());
      HttpResponse response{.status = static_cast<int>(manifest.status), .headers = {}, .body = manifest.body};
      for (const char* name : {"content-type", "docker-content-digest"})
        if (!manifest.header(name).empty()) response.with(name, manifest.header(name));
      return response;
    }
    std::string rest = request.path.substr(std::string("/storage/").size());
    auto colon = rest.rfind("/sha256:");
    auto blob = httpGet(registry_.url() + "/v2/" + rest.substr(0, colon) + "/blobs/" + rest.substr(colon + 1),
                        registryAccess());
    return HttpResponse{.status = static_cast<int>(blob.status), .headers = {}, .body = blob.body};
  }

  // Pages of the real tag list: ?n=K&last=TAG, with a Link to the next page.
  HttpResponse serveTagPage(const HttpRequest& request) {
    ++tagPages_;
    auto all = httpGet(registry_.url() + request.path, registryAccess());
    if (all.status != 200) return HttpResponse{.status = static_cast<int>(all.status), .headers = {}, .body = all.body};
    auto document = nlohmann::json::parse(all.body);
    std::vector<std::string> tags = document["tags"];
    std::sort(tags.begin(), tags.end());
    size_t pageSize = tags.size();
    std::string last;
    for (const auto& [name, value] : parseQuery(request.query)) {
      if (name == "n") pageSize = std::stoul(value);
      if (name == "last") last = value;
    }
    auto begin = std::upper_bound(tags.begin(), tags.end(), last);
    if (last.empty()) begin = tags.begin();
    auto end = begin + std::min<ptrdiff_t>(static_cast<ptrdiff_t>(pageSize), tags.end() - begin);
    nlohmann::json page{{"name", document["name"]}, {"tags", std::vector<std::string>(begin, end)}};
    HttpResponse response{.status = 200, .headers = {}, .body = page.dump()};
    response.with("Content-Type", "application/json");
    if (end != tags.end())
      response.with("Link", "<" + request.path + "?n=" + std::to_string(pageSize) + "&last=" + *(end - 1) + ">; rel=\"next\"");
    return response;
  }

  const TestRegistry& registry_;
  std::atomic<int> storageRequests_{0};
  std::atomic<int> leakedAuthorizations_{0};
  std::atomic<int> tagPages_{0};
  std::atomic<bool> redirectManifests_{false};
  std::atomic<int> manifestRedirects_{0};
  HttpServer storage_;
  HttpServer front_;
};

TEST(RegistryFront, BlobRedirectsAreFollowedWithoutSendingCredentials) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 31);
  auto image = builder.dockerManifestList("list");
  TestRegistry registry(RegistryMode::BasicAuth);
  RegistryFront front(registry);

  auto pushed = runFerry({"copy", "-q", "--dest-use-http", "--dest-creds=testuser:testpass",
                          "oci:" + fixtures.string() + ":list", "docker://" + front.host() + "/app:v1"});
  ASSERT_EQ(pushed.exitCode, 0) << pushed.err;

  auto out = work.path() / "out";
  auto pulled = runFerry({"copy", "-q", "--source-use-http", "--src-creds=testuser:testpass",
                          "docker://" + front.host() + "/app:v1", "oci:" + out.string() + ":list"});
  ASSERT_EQ(pulled.exitCode, 0) << pulled.err;
  expectLayoutHolds(out, image, fixtures);
  EXPECT_EQ(front.storageRequests(), static_cast<int>(image.blobs.size()));
  EXPECT_EQ(front.leakedAuthorizations(), 0);
}

TEST(RegistryFront, ManifestRedirectsAreFollowedWithoutSendingCredentials) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 34);
  auto image = builder.dockerManifestList("list");
  TestRegistry registry(RegistryMode::BasicAuth);
  RegistryFront front(registry);
  auto pushed = runFerry({"copy", "-q", "--dest-use-http", "--dest-creds=testuser:testpass",
                          "oci:" + fixtures.string() + ":list", "docker://" + front.host() + "/app:v1"});
  ASSERT_EQ(pushed.exitCode, 0) << pushed.err;

  front.redirectManifests();
  auto out = work.path() / "out";
  auto pulled = runFerry({"copy", "-q", "--source-use-http", "--src-creds=testuser:testpass",
                          "docker://" + front.host() + "/app:v1", "oci:" + out.string() + ":list"});
  ASSERT_EQ(pulled.exitCode, 0) << pulled.err;
  expectLayoutHolds(out, image, fixtures);
  EXPECT_EQ(front.manifestRedirects(), static_cast<int>(image.manifests.size()));
  EXPECT_EQ(front.leakedAuthorizations(), 0);
}

TEST(RegistryFront, BlobHeadAnswersPresence) {
  TemporaryDirectory work;
  FixtureBuilder builder(work.path() / "fixtures", 33);
  auto image = builder.singleArchOci("one");
  TestRegistry registry(RegistryMode::Token);
  auto pushed = runFerry({"copy", "-q", "--dest-use-http", "--dest-creds=testuser:testpass",
                          "oci:" + (work.path() / "fixtures").string() + ":one", dockerRef(registry, "app", "v1")});
  ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  RegistryOptions options{.plainHttp = true, .credential = Credential{"testuser", "testpass"}};
  Endpoints endpoints(EndpointOptions{.source = options, .destination = {}});
  auto repository = endpoints.repository(ImageReference::parse(dockerRef(registry, "app", "v1")), false);
  for (const auto& digest : image.blobs) EXPECT_TRUE(repository->hasBlob(digest)) << digest.str();
  EXPECT_FALSE(repository->hasBlob(Digest::sha256Of("not pushed")));
}

TEST(RegistryFront, TagListFollowsLinkPagination) {
  TemporaryDirectory work;
  FixtureBuilder builder(work.path() / "fixtures", 32);
  builder.singleArchOci("one");
  TestRegistry registry(RegistryMode::BasicAuth);
  RegistryFront front(registry);
  std::string mapping;
  for (int i = 0; i < 5; ++i)
    mapping += "oci:" + (work.path() / "fixtures").string() + ":one=docker://" + front.host() + "/tags:t" + std::to_string(i) + "\n";
  writeFileAtomically(work.path() / "mapping.txt", mapping);
  auto pushed = runFerry({"copy", "-q", "--dest-use-http", "--dest-creds=testuser:testpass", "-f", (work.path() / "mapping.txt").string()});
  ASSERT_EQ(pushed.exitCode, 0) << pushed.err;

  RegistryOptions options{.plainHttp = true, .credential = Credential{"testuser", "testpass"}};
  Endpoints endpoints(EndpointOptions{.source = options, .destination = {}});
  auto repository = endpoints.repository(ImageReference::parse("docker://" + front.host() + "/tags:t0"), false);
  EXPECT_EQ(repository->listTags(2), (std::vector<std::string>{"t0", "t1", "t2", "t3", "t4"}));
  EXPECT_EQ(front.tagPages(), 3);  // 2 + 2 + 1
}

}  // namespace
}  // namespace ferry::testing
