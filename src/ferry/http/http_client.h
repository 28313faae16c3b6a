// A small HTTP client on libcurl: the one way ferry talks HTTP (registries, and
// any other service: update graphs, chart repositories, signature stores).
//
// Concurrency model (decided for ferry, see docs/design.md): a bounded pool of
// worker threads, each request running synchronously on a libcurl easy handle
// taken from this client's handle pool. A handle keeps its connections alive
// between requests, so a pool of N handles means at most N open connections per
// server, all reused. This keeps request code straight-line (easy to read and
// to retry) while still moving many blobs at once.
//
// Every request has an overall deadline (HttpClientOptions::requestTimeout, more
// for large bodies; see requestDeadline), so a server that drips a byte a second
// cannot hold it for ever; a body collected in memory is refused as soon as its
// Content-Length says it is over maxBodyBytes.
//
// Redirects are never followed by libcurl: callers follow them themselves so
// they can decide, per hop, whether credentials may be sent (see retry.h's
// RetryingHttpClient and the registry client).
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
  // Or a body pulled as it is sent: bodyLength bytes in all, from a function
  // that fills up to `size` bytes and returns how many (it may block until it
  // has some), or -1 to abort the request. A pulled body cannot be sent twice.
  std::function<int64_t(char* buffer, size_t size)> bodySource;
  // Called once the response's status and headers are in, before any body byte
  // (with a 2xx status, the body goes to onBody next). Returning false abandons
  // the response: the transfer stops and HttpResponse::abandoned is set.
  std::function<bool(const HttpResponse&)> onHead;
  // Receives a 2xx response body as it arrives when set (returns false to abort);
  // otherwise the body is collected in HttpResponse::body up to maxBodyBytes.
  std::function<bool(const char*, size_t)> onBody;
  int64_t maxBodyBytes = 1 << 20;
  // The size of the body sent or expected back (a blob's descriptor size), which
  // lengthens the deadline beyond the client's requestTimeout (see requestDeadline).
  int64_t expectedBytes = 0;
  // AWS Signature Version 4 through libcurl (CURLOPT_AWS_SIGV4), for S3: the
  // "aws:amz:REGION:SERVICE" provider string and "ACCESS_KEY:SECRET_KEY"; empty: unsigned.
  // libcurl signs the headers given (x-amz-content-sha256 carries the payload hash).
  std::string awsSigV4;
  std::string awsCredentials;
};

// Why a request got no complete answer. The kinds are what retrying needs to know.
enum class TransportFailure {
  None,
  // The name did not resolve or the connection was refused: a wrong host or port, or a host that is down.
  Unreachable,
  // TLS could not be set up or verified: a configuration problem that asking again does not cure.
  Insecure,
  // Anything else: a reset, a stalled transfer, a body cut short. Worth another attempt.
  Interrupted,
  // The request's overall deadline ran out: asking again would only wait as long again.
  TimedOut,
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
  bool redirected = false;  // the server sent the request elsewhere to get this answer
  // How many times the request was retried before this answer (see Retrier).
  int retries = 0;
  // The deadline this attempt had (see requestDeadline), for TimedOut messages.
  std::chrono::milliseconds deadline{0};

  std::string header(const std::string& lowerName) const;
};

// The default overall deadline of one request (--request-timeout).
inline constexpr std::chrono::milliseconds kDefaultRequestTimeout = std::chrono::minutes(5);
// Bodies are allowed to move this slowly on top of the deadline: a request with
// N expected bytes gets N / kSlowestTransferRate seconds more.
inline constexpr int64_t kSlowestTransferRate = 256 << 10;

// `base`, plus one second per kSlowestTransferRate bytes of `bodyBytes`.
std::chrono::milliseconds requestDeadline(std::chrono::milliseconds base, int64_t bodyBytes);

class HttpClient {
 public:
  explicit HttpClient(TlsSettings tls, std::chrono::milliseconds requestTimeout = kDefaultRequestTimeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs one request. A transport failure (connection refused, TLS
  // verification, a reset, a timeout, a body cut short) is reported in
  // HttpResponse::failure, never thrown.
  HttpResponse attempt(const HttpRequest& request);
  // attempt(), following up to `maxHops` redirects. Headers other than Accept
  // (credentials among them) go to the request's own origin only.
  HttpResponse attemptFollowingRedirects(HttpRequest request, int maxHops = 10);
  // Like attempt(), but throws Error for a transport failure (see failUnreached).
  HttpResponse perform(const HttpRequest& request);

  std::chrono::milliseconds requestTimeout() const { return requestTimeout_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> handle);

  TlsSettings tls_;
  std::chrono::milliseconds requestTimeout_;
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
// The URL without its query or fragment, which may hold a signature or upload state: for messages.
std::string urlForMessages(const std::string& url);

bool isRedirect(long status);
// Points `request` at where the redirect `response` sends it (a 303 becomes a GET).
void followRedirect(HttpRequest& request, const HttpResponse& response);

// Throws the Error for a response that got no complete answer: kind Timeout
// naming the deadline and the URL, Unreachable otherwise, naming the URL's
// origin; `what` says what was asked ("cannot reach registry quay.io"), `hint`
// what to try (a TimedOut answer gets its own).
[[noreturn]] void failUnreached(const HttpResponse& response, const std::string& what, const std::string& hint);

// The first byte position of a 206 answer's "Content-Range: bytes START-END/TOTAL".
std::optional<int64_t> contentRangeStart(std::string_view value);

// Command-line values: "500ms", "2s", "1.5" (seconds), "1m"; throws Error otherwise.
std::chrono::milliseconds parseDuration(std::string_view text);
// "1048576", "512KiB", "5MiB", "1GiB" (also "KB"/"MB"/"GB", powers of 1000); throws Error otherwise.
int64_t parseByteSize(std::string_view text);

}  // namespace ferry
