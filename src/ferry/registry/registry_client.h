// A client for one registry: connection pool, TLS settings, authentication.
//
// Authentication follows the distribution spec: the first request pings /v2/
// to learn the scheme. Basic sends the credential on every request; Bearer
// fetches a token from the challenge's realm for the scopes a request needs
// ("repository:NAME:pull", "repository:NAME:pull,push", plus "pull" on a mount
// source), caches it per scope set until it expires, and asks again once when
// the registry answers 401. Credentials are only ever sent to the registry's
// own origin and to its token realm: a redirect to another host (object
// storage) gets no Authorization header.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <vector>

#include "ferry/registry/credentials.h"
#include "ferry/registry/http.h"

namespace ferry {

struct RegistryOptions {
  bool tlsVerify = true;
  bool plainHttp = false;
  // A certs.d-style folder: *.crt are CAs, *.cert + *.key a client certificate.
  std::filesystem::path certDirectory;
  // An explicit credential (--src-creds / --dest-creds) overrides the credential store.
  std::optional<Credential> credential;
  std::filesystem::path authFile;
  // At most this many requests in flight to this registry.
  int maxConcurrentRequests = 8;
};

class RegistryClient {
 public:
  // `registry` is the normalised name ("docker.io"); `apiHost` where requests go.
  RegistryClient(std::string registry, std::string apiHost, RegistryOptions options);

  const std::string& registry() const { return registry_; }
  // "https://host:port" (or http:// with plainHttp).
  const std::string& baseUrl() const { return baseUrl_; }

  // Sends a request to the registry with authorization for `scopes`. `request.url`
  // may be a path ("/v2/...") or an absolute URL on the registry's origin.
  // Redirects are followed when `followRedirects` is set, without credentials
  // when they leave the registry's origin. Throws Error on transport failure.
  HttpResponse send(HttpRequest request, const std::vector<std::string>& scopes, bool followRedirects = false);

  // "cannot <action> <what>: HTTP 404 (MANIFEST_UNKNOWN: ...); <hint>"
  [[noreturn]] void failWith(const HttpResponse& response, const std::string& action) const;

 private:
  enum class Scheme { Unknown, Anonymous, Basic, Bearer };
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };

  void ping();
  std::optional<std::string> authorization(const std::vector<std::string>& scopes, bool refresh);
  std::string fetchToken(const std::vector<std::string>& scopes, int& lifetimeSeconds);
  void learnChallenge(const std::string& header);
  std::optional<Credential> credential();
  std::string transportHint() const;

  std::string registry_;
  std::string apiHost_;
  std::string baseUrl_;
  std::string origin_;
  RegistryOptions options_;
  std::unique_ptr<HttpClient> http_;
  std::counting_semaphore<1024> slots_;

  std::mutex authMutex_;
  bool pinged_ = false;
  Scheme scheme_ = Scheme::Unknown;
  std::string realm_;
  std::string service_;
  std::map<std::string, Token> tokens_;
  bool credentialLoaded_ = false;
  std::optional<Credential> credential_;
};

}  // namespace ferry
