// A one-call libcurl client for tests that talk to registries and test
// services directly (readiness probes, auth checks, raw uploads). It never
// follows redirects, so tests see exactly what the server answered.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::testing {

struct ClientOptions {
  std::filesystem::path caFile;  // trust this CA (PEM) instead of the system store
  bool verifyTls = true;         // false accepts any certificate
  std::string username;          // HTTP Basic credentials when non-empty
  std::string password;
  std::string bearerToken;  // "Authorization: Bearer ..." when non-empty
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connectTimeout{5000};
};

struct ClientResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lowercased; repeats joined with ", "
  std::string body;
  std::string httpVersion;  // "1.1" or "2"

  std::string header(std::string_view name) const;
};

// Sends one request. `headers` are "Name: value" lines. A body is sent for any
// method when non-empty, and always (possibly empty) for POST, PUT and PATCH.
// Throws Error naming the URL and curl's reason when there is no HTTP answer
// (connection refused, TLS verification failure, timeout).
ClientResponse httpRequest(std::string_view method, const std::string& url,
                           const std::vector<std::string>& headers = {}, std::string_view body = {},
                           const ClientOptions& options = {});

inline ClientResponse httpGet(const std::string& url, const ClientOptions& options = {}) {
  return httpRequest("GET", url, {}, {}, options);
}

// Parameters of a WWW-Authenticate challenge: scheme ("Basic"/"Bearer", as sent)
// and its key="value" pairs (realm, service, scope).
struct AuthChallenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
AuthChallenge parseChallenge(std::string_view header);

}  // namespace ferry::testing
