// A small HTTP client on libcurl for the registry protocol.
//
// Concurrency model (decided for ferry, see docs/design.md): a bounded pool of
// worker threads, each request running synchronously on a libcurl easy handle
// taken from this client's handle pool. A handle keeps its connections alive
// between requests, so a pool of N handles means at most N open connections per
// registry, all reused. This keeps request code straight-line (easy to read and
// to retry) while still moving many blobs at once.
//
// Redirects are never followed by libcurl: the registry client follows them
// itself so it can decide, per hop, whether credentials may be sent.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry {

struct TlsSettings {
  bool verify = true;
  // Extra CA certificates (PEM), trusted in addition to the system's.
  std::string extraCaPem;
  // Client certificate and key files for mutual TLS.
  std::filesystem::path clientCertificate;
  std::filesystem::path clientKey;
};

struct HttpResponse;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // Request body: a string; or bytes the caller keeps alive until the request
  // returns (bodyView, used when non-empty; no copy); or a file streamed from disk.
  std::string body;
  std::string_view bodyView;
  std::filesystem::path bodyFile;
  // The part of bodyFile to send: bodyLength bytes from bodyOffset (-1: to the end).
  // Chunked uploads send a large file in pieces without copying it.
  int64_t bodyOffset = 0;
  int64_t bodyLength = -1;
  // Called once the response's status and headers are in, before any body byte
  // (with a 2xx status, the body goes to onBody next). Returning false abandons
  // the response: the transfer stops and HttpResponse::abandoned is set.
  std::function<bool(const HttpResponse&)> onHead;
  // Receives a 2xx response body as it arrives when set (returns false to abort);
  // otherwise the body is collected in HttpResponse::body up to maxBodyBytes.
  std::function<bool(const char*, size_t)> onBody;
  int64_t maxBodyBytes = 1 << 20;
};

// Why a request got no complete answer. The kinds are what retrying needs to know.
enum class TransportFailure {
  None,
  // The name did not resolve or the connection was refused: a wrong host or port, or a host that is down.
  Unreachable,
  // TLS could not be set up or verified: a configuration problem that asking again does not cure.
  Insecure,
  // Anything else: a reset, a timeout, a body cut short. Worth another attempt.
  Interrupted,
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; the last value wins
  std::vector<std::string> linkHeaders;        // every Link header, in order
  std::string body;
  bool bodyTooLarge = false;
  // The request's onHead refused this response.
  bool abandoned = false;

  // Set when there was no complete answer: the kind, and curl's words for it.
  TransportFailure failure = TransportFailure::None;
  std::string failureDetail;

  // The request that got this answer (the last hop, when redirects were followed).
  std::string method;
  std::string url;
  bool redirected = false;  // the registry sent the request elsewhere to get this answer
  // How many times the request was retried before this answer (see RegistryClient).
  int retries = 0;

  std::string header(const std::string& lowerName) const;
};

class HttpClient {
 public:
  explicit HttpClient(TlsSettings tls);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs one request. A transport failure (connection refused, TLS
  // verification, a reset, a timeout, a body cut short) is reported in
  // HttpResponse::failure, never thrown.
  HttpResponse attempt(const HttpRequest& request);
  // Like attempt(), but throws Error for a transport failure, naming the URL's origin.
  HttpResponse perform(const HttpRequest& request);

 private:
  struct Handle;
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> handle);

  TlsSettings tls_;
  std::string caBundle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Handle>> idle_;
};

// Resolves `location` (absolute, or relative to `base`) as a browser would, keeping its query.
std::string resolveUrl(const std::string& base, const std::string& location);
// "scheme://host[:port]" of a URL, lower-cased, for same-origin checks.
std::string originOf(const std::string& url);
// Percent-encodes a query parameter value.
std::string urlEncode(const std::string& value);

// When and how often a failed request is asked again (RegistryOptions::retry).
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

// The first byte position of a 206 answer's "Content-Range: bytes START-END/TOTAL".
std::optional<int64_t> contentRangeStart(std::string_view value);

// Command-line values: "500ms", "2s", "1.5" (seconds), "1m"; throws Error otherwise.
std::chrono::milliseconds parseDuration(std::string_view text);
// "1048576", "512KiB", "5MiB", "1GiB" (also "KB"/"MB"/"GB", powers of 1000); throws Error otherwise.
int64_t parseByteSize(std::string_view text);

}  // namespace ferry
