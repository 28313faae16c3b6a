// Retrying HTTP requests, for any client of ferry: the policy (how often, how
// long to wait, Retry-After), the loop that applies it (Retrier), and a plain
// HTTP client that uses it and follows redirects (RetryingHttpClient). The
// registry client builds its authentication on the same Retrier.
//
// What is retried: transport failures other than TLS problems and deadlines,
// HTTP 5xx, 429 and 408; never another 4xx. Waits grow exponentially with
// jitter; a Retry-After header is honoured up to RetryPolicy::maxRetryAfter.
// On first contact with a server, a refused connection or an unknown host
// fails at once: a wrong host or port should not cost minutes of retries.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/http/http_client.h"

namespace ferry {

// When and how often a failed request is asked again (RegistryOptions::retry, RetryingHttpClientOptions::retry).
struct RetryPolicy {
  // Retries after the first attempt; 0 turns retrying off.
  int times = 5;
  // The wait before the first retry; it doubles for each further one, up to maxDelay.
  std::chrono::milliseconds delay{1000};
  std::chrono::milliseconds maxDelay{60000};
  // A Retry-After longer than this is not waited for: the request fails instead,
  // since a registry asking for hours (a rate-limit window) will not be outwaited.
  std::chrono::milliseconds maxRetryAfter{300000};

  // The wait before retry `retry` (1 for the first): delay * 2^(retry-1), capped
  // at maxDelay, then spread uniformly over its upper half by `random01` (in
  // [0, 1)) so that many clients failing together do not come back together.
  std::chrono::milliseconds backoff(int retry, double random01) const;
};

// Whether an HTTP status is worth asking again: the server failed or is
// overloaded (5xx), is rate-limiting (429), or timed out waiting (408).
bool isRetryableStatus(long status);

// The wait a Retry-After header asks for, as delay-seconds ("120") or an HTTP
// date; a date in the past is no wait. nullopt when the value is empty or unreadable.
std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);


// Why `response` is worth another attempt under the rules above, or nullopt.
std::optional<std::string> standardRetryReason(const HttpResponse& response, bool firstContact);

// "GET /v2/x/manifests/sha256:0123456789ab" for requests to `ownOrigin`, the full
// origin otherwise; never the query; digests cut to 12 hex digits. For retry lines.
std::string describeRequest(const HttpResponse& response, const std::string& ownOrigin);

// Applies a RetryPolicy to one request at a time; shared by a client's threads.
class Retrier {
 public:
  // `name` starts every warning line ("quay.io: GET /v2/: HTTP 503; retry 1/5 in 1s").
  // Each retry is passed to `warn` (if set) and added to `total` (if set).
  Retrier(std::string name, std::string ownOrigin, RetryPolicy policy,
          std::function<void(const std::string&)> warn = {}, std::shared_ptr<std::atomic<int64_t>> total = {});

  // A client's own reasons to ask again, on top of standardRetryReason.
  using ExtraReason = std::function<std::optional<std::string>(const HttpResponse&)>;

  // Calls attempt(0), attempt(1), ... while the answer is worth another try and
  // the policy allows one; each retry is counted, logged and waited for. Returns
  // the last answer (HttpResponse::retries set), which may be a transport failure.
  HttpResponse run(const std::function<HttpResponse(int attempt)>& attempt, bool firstContact = false,
                   const ExtraReason& extraReason = {});

  const RetryPolicy& policy() const { return policy_; }
  // Retries made so far.
  int64_t count() const { return retries_; }

 private:
  std::optional<std::chrono::milliseconds> delayBefore(const HttpResponse& response, int retry) const;

  std::string name_;
  std::string ownOrigin_;
  RetryPolicy policy_;
  std::function<void(const std::string&)> warn_;
  std::shared_ptr<std::atomic<int64_t>> total_;
  std::atomic<int64_t> retries_{0};
};

struct RetryingHttpClientOptions {
  TlsSettings tls;
  RetryPolicy retry;
  std::chrono::milliseconds requestTimeout = kDefaultRequestTimeout;
  std::function<void(const std::string&)> warn;
  std::shared_ptr<std::atomic<int64_t>> retryTotal;
};

// HTTP with ferry's retries and redirects, for services without registry auth.
// Headers the caller sets (an Authorization among them) go to the request's own
// origin only: a redirect to another host gets none of them but Accept.
class RetryingHttpClient {
 public:
  // `name` names the service in messages ("update graph", "chart repository example.com").
  RetryingHttpClient(std::string name, RetryingHttpClientOptions options);

  // Sends `request`, following up to 10 redirects, retrying as the policy says.
  // Returns any HTTP answer (the caller judges the status); throws Error of kind
  // Unreachable or Timeout when there is still no answer after the retries.
  HttpResponse send(HttpRequest request);

  int64_t retryCount() const { return retrier_.count(); }

 private:
  std::string name_;
  HttpClient http_;
  Retrier retrier_;
};

}  // namespace ferry
