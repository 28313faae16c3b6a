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

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
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

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // Request body: a string, or a file streamed from disk.
  std::string body;
  std::filesystem::path bodyFile;
  // Receives the response body as it arrives when set (returns false to abort);
  // otherwise the body is collected in HttpResponse::body up to maxBodyBytes.
  std::function<bool(const char*, size_t)> onBody;
  int64_t maxBodyBytes = 1 << 20;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; the last value wins
  std::vector<std::string> linkHeaders;        // every Link header, in order
  std::string body;
  bool bodyTooLarge = false;

  std::string header(const std::string& lowerName) const;
};

class HttpClient {
 public:
  explicit HttpClient(TlsSettings tls);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs one request. Throws Error for transport failures (connection
  // refused, TLS verification, timeouts), naming the URL's host.
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

}  // namespace ferry
