// A client for one registry: connection pool, TLS settings, authentication.
//
// Authentication follows the distribution spec: the first request pings /v2/
// to learn the scheme. Basic sends the credential on every request; Bearer
// fetches a token from the challenge's realm for the scopes a request needs
// ("repository:NAME:pull", "repository:NAME:pull,push", plus "pull" on a mount
// source), caches it per scope set until it expires, and asks again once when
// the registry answers 401. An identity token (docker config "identitytoken",
// a helper's user "<token>") is an OAuth2 refresh token, exchanged at the realm
// with POST grant_type=refresh_token&client_id=ferry as the distribution token
// spec says. Credentials are only ever sent to the registry's
// own origin and to its token realm: a redirect to another host (object
// storage) gets no Authorization header.
//
// Failed requests are retried by ferry's HTTP retry layer (http/retry.h and
// docs/design.md, "Retries"): transport failures, 5xx, 429 and 408, with
// exponential backoff and jitter, honouring Retry-After; other 4xx never. Blob
// downloads cut short resume with a Range request. Every request has a deadline
// (RegistryOptions::requestTimeout, longer for blobs by their size).
//
// Errors carry a kind (base/error.h): 404 and the distribution codes
// *_UNKNOWN are NotFound, 401/403 Unauthorized, no answer Unreachable, a
// deadline Timeout.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <vector>

#include "ferry/registry/credentials.h"
#include "ferry/http/http_client.h"
#include "ferry/http/retry.h"

namespace ferry {

struct RegistryOptions {
  bool tlsVerify = true;
  bool plainHttp = false;
  // With tlsVerify off: if the registry does not speak TLS on its port but answers
  // plain HTTP there, talk HTTP to it, as containers/image does for
  // --src-tls-verify=false / --dest-tls-verify=false (an "insecure registry").
  bool httpFallback = false;
  // A certs.d-style folder: *.crt are CAs, *.cert + *.key a client certificate.
  // When set, it is used instead of the certs.d roots (see cert_dirs.h).
  std::filesystem::path certDirectory;
  // An explicit credential (--src-creds / --dest-creds) overrides the credential store.
  std::optional<Credential> credential;
  std::filesystem::path authFile;
  // At most this many requests in flight to this registry.
  int maxConcurrentRequests = 8;
  // Roots holding HOST[:PORT]/ folders (certs.d); unset: defaultCertsDirectoryRoots().
  std::optional<std::vector<std::filesystem::path>> certsDirectoryRoots;
  // How failed requests are retried (--retry-times, --retry-delay).
  RetryPolicy retry;
  // The overall deadline of one request (--request-timeout); blob transfers get
  // more by their size (see requestDeadline in http/http_client.h).
  std::chrono::milliseconds requestTimeout = kDefaultRequestTimeout;
  // Upload blobs in PATCH chunks of this many bytes, or more when the registry
  // asks for more (OCI-Chunk-Min-Length); 0 uploads each blob in one PUT (--chunk-size).
  int64_t uploadChunkSize = 0;
  // Receives one line per retry, and notices such as a refused mount; nothing is said when unset.
  std::function<void(const std::string&)> warn;
  // When set, every retry is counted here too: a run's total over all its registries.
  std::shared_ptr<std::atomic<int64_t>> retryTotal;
};

class BlobWriter;

class RegistryClient {
 public:
  // `registry` is the normalised name ("docker.io"); `apiHost` where requests go.
  RegistryClient(std::string registry, std::string apiHost, RegistryOptions options);

  const std::string& registry() const { return registry_; }
  // "https://host:port" (or http:// with plainHttp). With httpFallback it may
  // turn to http:// on first contact, so requests are best given as paths.
  const std::string& baseUrl() const { return baseUrl_; }

  const RegistryOptions& options() const { return options_; }

  // Sends a request to the registry with authorization for `scopes`, retrying it
  // as options().retry says. `request.url` may be a path ("/v2/...") or an
  // absolute URL. Redirects are followed when `followRedirects` is set, without
  // credentials when they leave the registry's origin. Throws Error when there
  // is still no answer after the retries. A request is repeated whole, so a
  // streamed body (onBody) goes through download() instead.
  HttpResponse send(HttpRequest request, const std::vector<std::string>& scopes, bool followRedirects = false);

  // One attempt of send(): a 401 is answered once with fresh credentials and
  // redirects are followed, but nothing is retried and a transport failure is
  // reported in response.failure. For exchanges that are retried as a whole
  // (an upload session) through retrying().
  HttpResponse sendOnce(HttpRequest request, const std::vector<std::string>& scopes, bool followRedirects = false);

  // Calls attempt(0), attempt(1), ... while the answer is worth another try and
  // the policy allows one; each retry is counted, logged through
  // options().warn, and waited for. Returns the last answer, which may be a
  // transport failure (see throwIfUnreached). On `firstContact` with the
  // registry a refused connection or an unknown host is not retried: a wrong
  // host or port should fail at once.
  HttpResponse retrying(const std::function<HttpResponse(int attempt)>& attempt, bool firstContact = false);
  // Returns `response`, or throws Error if it is a transport failure.
  HttpResponse throwIfUnreached(HttpResponse response) const;

  // GETs a blob into `out`, following redirects, with send()'s retries. A body
  // cut short is asked again from where it stopped (Range) and kept when the
  // answer is a 206 from that byte; otherwise `out` is restarted and gets the
  // whole body. A 403 from a redirect target (an expired signed URL) is asked
  // again from the registry, which hands out a fresh URL.
  HttpResponse download(HttpRequest request, const std::vector<std::string>& scopes, BlobWriter& out);

  // Whether a cross-repository mount failed at this registry in this run; later
  // blobs then skip mounting. noteMountRefused() records it and warns once.
  bool mountsRefused() const { return mountsRefused_; }
  void noteMountRefused(const std::string& why);

  // What happened so far, for the summary and for tests: requests asked again
  // because of a failure, and 401s answered with fresh credentials.
  int64_t retryCount() const { return retrier_->count(); }
  int64_t reauthenticationCount() const { return reauthentications_; }

  // Passes a line to options().warn, if set.
  void warn(const std::string& line) const;

  // "cannot <action> <what>: HTTP 404 (MANIFEST_UNKNOWN: ...); <hint>"
  [[noreturn]] void failWith(const HttpResponse& response, const std::string& action) const;

 private:
  enum class Scheme { Unknown, Anonymous, Basic, Bearer };
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };

  void ping();
  HttpResponse pingOverPlainHttp(const HttpResponse& overTls);
  std::optional<std::string> authorization(const std::vector<std::string>& scopes, bool refresh);
  std::string fetchToken(const std::vector<std::string>& scopes, int& lifetimeSeconds);
  std::string fetchTokenWithRefreshToken(const std::vector<std::string>& scopes, const Credential& user,
                                         int& lifetimeSeconds);
  void learnChallenge(const std::string& header);
  std::optional<Credential> credential(const std::vector<std::string>& scopes);
  std::string transportHint() const;
  HttpResponse performLimited(const HttpRequest& request);

  std::string registry_;
  std::string apiHost_;
  std::string baseUrl_;
  std::string origin_;
  RegistryOptions options_;
  std::unique_ptr<HttpClient> http_;
  std::counting_semaphore<1024> slots_;
  std::unique_ptr<Retrier> retrier_;
  std::atomic<int64_t> reauthentications_{0};
  std::atomic<bool> mountsRefused_{false};

  std::mutex authMutex_;
  bool pinged_ = false;
  Scheme scheme_ = Scheme::Unknown;
  std::string realm_;
  std::string service_;
  std::map<std::string, Token> tokens_;
  std::optional<CredentialStore> credentialStore_;
  std::map<std::string, std::optional<Credential>> credentials_;  // per repository
};

}  // namespace ferry
