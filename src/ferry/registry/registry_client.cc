#include "ferry/registry/registry_client.h"

#include <nlohmann/json.hpp>
#include <set>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/registry/challenge.h"

namespace ferry {
namespace {

TlsSettings tlsSettingsFor(const RegistryOptions& options) {
  TlsSettings tls;
  tls.verify = options.tlsVerify;
  const auto& directory = options.certDirectory;
  if (directory.empty()) return tls;
  if (!std::filesystem::is_directory(directory))
    fail("certificate directory '{}' does not exist or is not a directory", directory.string());
  std::vector<std::filesystem::path> entries;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) entries.push_back(entry.path());
  std::sort(entries.begin(), entries.end());
  for (const auto& path : entries) {
    if (path.extension() == ".crt") {
      tls.extraCaPem += readFile(path) + "\n";
    } else if (path.extension() == ".cert") {
      auto key = std::filesystem::path(path).replace_extension(".key");
      if (!std::filesystem::exists(key))
        fail("client certificate '{}' has no matching key '{}'", path.string(), key.string());
      tls.clientCertificate = path;
      tls.clientKey = key;
    }
  }
  return tls;
}

std::string scopeKey(const std::vector<std::string>& scopes) {
  std::set<std::string> sorted(scopes.begin(), scopes.end());
  std::string key;
  for (const auto& scope : sorted) key += scope + " ";
  return key;
}

}  // namespace

RegistryClient::RegistryClient(std::string registry, std::string apiHost, RegistryOptions options)
    : registry_(std::move(registry)),
      apiHost_(std::move(apiHost)),
      options_(std::move(options)),
      http_(std::make_unique<HttpClient>(tlsSettingsFor(options_))),
      slots_(std::clamp(options_.maxConcurrentRequests, 1, 1024)) {
  baseUrl_ = (options_.plainHttp ? "http://" : "https://") + apiHost_;
  origin_ = originOf(baseUrl_);
}

std::string RegistryClient::transportHint() const {
  if (options_.plainHttp) return "check the host and port, and that the registry is running";
  return "check the host and port; for a private CA pass --src-cert-dir/--dest-cert-dir, to skip verification "
         "--src-tls-verify=false/--dest-tls-verify=false, for a plain-HTTP registry --source-use-http/--dest-use-http";
}

std::optional<Credential> RegistryClient::credential() {
  // Called with authMutex_ held.
  if (!credentialLoaded_) {
    credential_ = options_.credential;
    if (!credential_) credential_ = CredentialStore::fromEnvironment(options_.authFile).find(registry_, "");
    credentialLoaded_ = true;
  }
  return credential_;
}

void RegistryClient::learnChallenge(const std::string& header) {
  auto challenge = parseAuthChallenge(header);
  if (!challenge) return;
  if (challenge->scheme == "bearer") {
    scheme_ = Scheme::Bearer;
    if (!challenge->parameter("realm").empty()) realm_ = challenge->parameter("realm");
    service_ = challenge->parameter("service");
  } else if (challenge->scheme == "basic") {
    scheme_ = Scheme::Basic;
  }
}

void RegistryClient::ping() {
  std::lock_guard lock(authMutex_);
  if (pinged_) return;
  HttpResponse response;
  try {
    response = http_->perform(HttpRequest{.method = "GET", .url = baseUrl_ + "/v2/"});
  } catch (const Error& e) {
    fail("cannot reach registry {}: {}; {}", registry_, e.what(), transportHint());
  }
  if (response.status == 401) {
    learnChallenge(response.header("www-authenticate"));
  } else if (response.status >= 200 && response.status < 300) {
    scheme_ = Scheme::Anonymous;
  } else if (response.status == 404) {
    fail("{} does not answer the registry API at {}/v2/ (HTTP 404); is it a container registry?", registry_, baseUrl_);
  }
  pinged_ = true;
}

std::string RegistryClient::fetchToken(const std::vector<std::string>& scopes, int& lifetimeSeconds) {
  if (realm_.empty()) fail("registry {} asked for a bearer token but named no realm to get it from", registry_);
  std::string url = realm_ + (realm_.find('?') == std::string::npos ? "?" : "&");
  url += "service=" + urlEncode(service_);
  for (const auto& scope : scopes) url += "&scope=" + urlEncode(scope);
  HttpRequest request{.method = "GET", .url = url};
  auto user = credential();
  if (user) request.headers.push_back("Authorization: Basic " + base64Encode(user->username + ":" + user->password));
  HttpResponse response;
  try {
    response = http_->perform(request);
  } catch (const Error& e) {
    fail("cannot get a token for {} from {}: {}", registry_, originOf(realm_), e.what());
  }
  if (response.status == 401 || response.status == 403)
    fail("authentication to {} failed: the token server refused {}; check --src-creds/--dest-creds or the auth file",
         registry_, user ? "the credentials of user '" + user->username + "'" : "anonymous access");
  if (response.status != 200) fail("cannot get a token for {}: token server answered HTTP {}", registry_, response.status);
  auto document = nlohmann::json::parse(response.body, nullptr, false);
  if (document.is_discarded() || !document.is_object()) fail("token server for {} sent no JSON", registry_);
  std::string token = document.value("token", "");
  if (token.empty()) token = document.value("access_token", "");
  if (token.empty()) fail("token server for {} sent no token", registry_);
  lifetimeSeconds = document.contains("expires_in") && document["expires_in"].is_number_integer()
                        ? document["expires_in"].get<int>()
                        : 60;
  return token;
}

std::optional<std::string> RegistryClient::authorization(const std::vector<std::string>& scopes, bool refresh) {
  std::lock_guard lock(authMutex_);
  switch (scheme_) {
    case Scheme::Unknown:
    case Scheme::Anonymous:
      return std::nullopt;
    case Scheme::Basic: {
      auto user = credential();
      if (!user) return std::nullopt;
      return "Basic " + base64Encode(user->username + ":" + user->password);
    }
    case Scheme::Bearer: {
      auto key = scopeKey(scopes);
      auto now = std::chrono::steady_clock::now();
      auto it = tokens_.find(key);
      if (!refresh && it != tokens_.end() && it->second.expires > now) return "Bearer " + it->second.value;
      int lifetime = 60;
      std::string token = fetchToken(scopes, lifetime);
      // Renew a little early so a token never expires mid-request.
      tokens_[key] = Token{token, now + std::chrono::seconds(std::max(lifetime - 10, 5))};
      return "Bearer " + token;
    }
  }
  return std::nullopt;
}

HttpResponse RegistryClient::send(HttpRequest request, const std::vector<std::string>& scopes, bool followRedirects) {
  ping();
  if (request.url.starts_with("/")) request.url = baseUrl_ + request.url;
  const auto baseHeaders = request.headers;
  auto auth = authorization(scopes, false);
  HttpResponse response;
  for (int attempt = 0;; ++attempt) {
    request.headers = baseHeaders;
    if (auth && originOf(request.url) == origin_) request.headers.push_back("Authorization: " + *auth);
    {
      slots_.acquire();
      try {
        response = http_->perform(request);
      } catch (const Error& e) {
        slots_.release();
        fail("cannot reach registry {}: {}; {}", registry_, e.what(), transportHint());
      }
      slots_.release();
    }
    if (response.status == 401 && attempt == 0 && originOf(request.url) == origin_) {
      {
        std::lock_guard lock(authMutex_);
        learnChallenge(response.header("www-authenticate"));
      }
      auth = authorization(scopes, /*refresh=*/true);
      continue;
    }
    bool redirect = response.status == 301 || response.status == 302 || response.status == 303 ||
                    response.status == 307 || response.status == 308;
    if (followRedirects && redirect && attempt < 10 && !response.header("location").empty()) {
      request.url = resolveUrl(request.url, response.header("location"));
      if (response.status == 303) request.method = "GET";
      continue;
    }
    return response;
  }
}

void RegistryClient::failWith(const HttpResponse& response, const std::string& action) const {
  std::string detail = registryErrorSummary(response.body);
  std::string hint;
  if (response.status == 401) {
    hint = "; check the credentials (--src-creds/--dest-creds, --authfile, or the auth file)";
  } else if (response.status == 403) {
    hint = "; the credentials lack permission for this repository";
  } else if (response.status == 429) {
    hint = "; the registry is rate-limiting, try again later or lower --parallel";
  }
  fail("cannot {}: {} answered HTTP {}{}{}", action, registry_, response.status,
       detail.empty() ? "" : " (" + detail + ")", hint);
}

}  // namespace ferry
