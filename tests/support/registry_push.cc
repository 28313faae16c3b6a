#include "support/registry_push.h"

#include <nlohmann/json.hpp>
#include <set>

#include "ferry/base/error.h"

namespace ferry::testing {
namespace {

constexpr const char* kAcceptAll =
    "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

class Pusher {
 public:
  Pusher(const TestRegistry& registry, const std::filesystem::path& layoutDir, std::string_view repository)
      : registry_(registry),
        layoutDir_(layoutDir),
        repository_(repository),
        options_(registryClientOptions(registry, repository)) {}

  // Pushes everything `digest` references, then the manifest itself under `reference`.
  void pushManifest(const Digest& digest, std::string_view reference) {
    auto bytes = readBlob(layoutDir_, digest);
    auto manifest = nlohmann::json::parse(bytes);
    if (manifest.contains("manifests")) {
      for (const auto& child : manifest["manifests"]) {
        auto childDigest = Digest::parse(child["digest"].get<std::string>());
        if (pushed_.insert(childDigest).second) pushManifest(childDigest, childDigest.str());
      }
    } else {
      pushBlob(Digest::parse(manifest["config"]["digest"].get<std::string>()));
      for (const auto& layer : manifest["layers"]) pushBlob(Digest::parse(layer["digest"].get<std::string>()));
    }
    auto mediaType = manifest.value("mediaType", std::string());
    if (mediaType.empty()) fail("cannot push manifest {}: it has no mediaType field", digest.str());
    auto url = fmt::format("{}/v2/{}/manifests/{}", registry_.url(), repository_, reference);
    expect(httpRequest("PUT", url, {"Content-Type: " + mediaType}, bytes, options_), 201, "PUT", url);
  }

 private:
  void pushBlob(const Digest& digest) {
    if (!pushed_.insert(digest).second) return;
    auto blobUrl = fmt::format("{}/v2/{}/blobs/{}", registry_.url(), repository_, digest.str());
    if (httpRequest("HEAD", blobUrl, {}, {}, options_).status == 200) return;

    auto startUrl = fmt::format("{}/v2/{}/blobs/uploads/", registry_.url(), repository_);
    auto started = httpRequest("POST", startUrl, {}, {}, options_);
    expect(started, 202, "POST", startUrl);
    auto location = started.header("location");
    if (location.starts_with("/")) location = registry_.url() + location;
    location += (location.find('?') == std::string::npos ? "?digest=" : "&digest=") + digest.str();
    auto finished = httpRequest("PUT", location, {"Content-Type: application/octet-stream"},
                                readBlob(layoutDir_, digest), options_);
    expect(finished, 201, "PUT", location);
  }

  static void expect(const ClientResponse& response, long status, std::string_view method, const std::string& url) {
    if (response.status != status) {
      fail("{} {} answered {} (expected {}): {}", method, url, response.status, status, response.body);
    }
  }

  const TestRegistry& registry_;
  std::filesystem::path layoutDir_;
  std::string repository_;
  ClientOptions options_;
  std::set<Digest> pushed_;
};

}  // namespace

ClientOptions registryClientOptions(const TestRegistry& registry, std::string_view repository) {
  ClientOptions options;
  options.caFile = registry.caFile();
  switch (registry.mode()) {
    case RegistryMode::Plain:
    case RegistryMode::Tls:
      break;
    case RegistryMode::BasicAuth:
    case RegistryMode::BasicAuthTls:
      options.username = registry.username();
      options.password = registry.password();
      break;
    case RegistryMode::Token: {
      auto* server = registry.tokenServer();
      auto url = fmt::format("{}?service={}&scope=repository:{}:pull,push", server->realm(), server->config().service,
                             repository);
      ClientOptions credentials;
      credentials.username = registry.username();
      credentials.password = registry.password();
      auto response = httpGet(url, credentials);
      if (response.status != 200) fail("GET {} answered {}: {}", url, response.status, response.body);
      options.bearerToken = nlohmann::json::parse(response.body).at("token").get<std::string>();
      break;
    }
  }
  return options;
}

void pushImage(const TestRegistry& registry, const std::filesystem::path& layoutDir, const FixtureImage& image,
               std::string_view repository, std::string_view tag) {
  Pusher pusher(registry, layoutDir, repository);
  pusher.pushManifest(image.digest, tag.empty() ? std::string_view(image.digest.str()) : tag);
}

ClientResponse getManifest(const TestRegistry& registry, std::string_view repository, std::string_view reference) {
  auto url = fmt::format("{}/v2/{}/manifests/{}", registry.url(), repository, reference);
  return httpRequest("GET", url, {kAcceptAll}, {}, registryClientOptions(registry, repository));
}

HttpResponse forwardToRegistry(const TestRegistry& registry, const std::string& frontHost, const HttpRequest& request) {
  std::vector<std::string> headers{"Host: " + frontHost};
  for (const auto& [name, value] : request.headers)
    if (name != "host" && name != "content-length" && name != "connection" && name != "transfer-encoding" &&
        name != "expect")
      headers.push_back(name + ": " + value);
  auto answer = httpRequest(request.method, registry.url() + request.target, headers, request.body);
  HttpResponse response{.status = static_cast<int>(answer.status), .headers = {}, .body = answer.body};
  for (const auto& [name, value] : answer.headers)
    if (name != "content-length" && name != "connection" && name != "transfer-encoding")
      response.headers.emplace_back(name, value);
  if (request.method == "HEAD") response.headers.emplace_back("content-length", answer.header("content-length"));
  return response;
}

}  // namespace ferry::testing
