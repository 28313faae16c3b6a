// A fault-injecting HTTP proxy for tests. It stands between ferry and a real
// registry (any plain-HTTP upstream, in fact), forwards every request, and
// spoils the ones a test asks for:
//
//   TestRegistry registry(RegistryMode::Token);
//   FaultProxy proxy(registry);
//   int reset = proxy.add(Fault::reset("GET", "/blobs/sha256:ab12", 16384));
//   int busy = proxy.add(Fault::answer("GET", "/manifests/", 503).times(2));
//   ... ferry copy docker://<proxy.host()>/app:v1 ...
//   EXPECT_EQ(proxy.fired(reset), 1);
//
// A fault matches by method ("" for any), by an ECMAScript regex searched in
// the request target (path?query), and fires for the first `times` matching
// requests (-1: all). It can answer a status without asking the registry, cut
// a body after N bytes with a TCP reset or a clean close, or change what is
// forwarded (drop Authorization, drop Range) or answered (drop or set a header).
//
// The proxy is written on raw sockets because it must send less than the
// Content-Length it announced; HttpServer always sends whole bodies.
//
// A second server on another loopback port plays two parts real registries
// hand to other hosts: object storage for redirected blob downloads (it refuses
// any request that carries Authorization, can answer 403 as for an expired
// signed URL, supports Range) and, with moveUploads(), the host of upload
// sessions. It reaches the registry with credentials of its own.
//
// Everything the front and the side server see is recorded.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "support/http_client.h"
#include "support/http_server.h"

namespace ferry::testing {

class TestRegistry;

struct Fault {
  enum class Kind {
    Status,        // answer `status` (with `headers`) without asking the registry
    Reset,         // send the head and `afterBytes` of the body, then reset the connection (RST)
    Truncate,      // send the head and `afterBytes` of the body, then close cleanly (FIN)
    Unauthorized,  // forward without Authorization: the registry's own 401, as for an expired token
    IgnoreRange,   // forward without Range: the whole body with 200, as from a server without Range support
    DropHeader,    // remove response header `header`
    SetHeader,     // set response header `header` to `value` (empty is allowed)
    Drip,          // answer 200 announcing Content-Length `afterBytes`, then send one byte a second for ever
    CutRequest,    // take `afterBytes` of the request's body, then reset the connection (an upload cut mid-body)
  };

  Kind kind = Kind::Status;
  std::string method;
  std::string pattern;
  int count = 1;
  int status = 0;
  int64_t afterBytes = 0;
  std::string header;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // Status: the answer's body (empty: a registry-style error body)

  // Answers `status` (an error body, no registry involved).
  static Fault answer(std::string method, std::string pattern, int status);
  // Answers 200 with `body` of `contentType`: an endpoint the registry lacks (the referrers API), answered by the front.
  static Fault respond(std::string method, std::string pattern, std::string contentType, std::string body);
  // 429 with Retry-After: `retryAfter` (seconds or an HTTP date).
  static Fault tooManyRequests(std::string method, std::string pattern, std::string retryAfter);
  static Fault reset(std::string method, std::string pattern, int64_t afterBytes);
  static Fault truncate(std::string method, std::string pattern, int64_t afterBytes);
  static Fault unauthorized(std::string method, std::string pattern);
  static Fault ignoreRange(std::string method, std::string pattern);
  static Fault dropHeader(std::string method, std::string pattern, std::string header);
  static Fault setHeader(std::string method, std::string pattern, std::string header, std::string value);
  // A server that holds a request open: 200, `announced` bytes promised, one byte a second.
  static Fault drip(std::string method, std::string pattern, int64_t announced);
  // Resets the connection after `afterBytes` of the request body arrived: a destination lost mid-upload.
  static Fault cutRequest(std::string method, std::string pattern, int64_t afterBytes);

  // How many matching requests it spoils (-1: every one).
  Fault& times(int n) {
    count = n;
    return *this;
  }
};

// One request as the proxy (or the side server) saw it.
struct SeenRequest {
  std::string method;
  std::string target;        // path?query
  std::string range;         // the Range header
  std::string contentRange;  // the Content-Range header
  bool authorization = false;
  size_t bodySize = 0;
  int status = 0;  // what was answered; 0 when the body was cut
};

class FaultProxy {
 public:
  struct Upstream {
    std::string url;  // "http://127.0.0.1:PORT"
    ClientOptions options;
    // Headers that authorise the proxy's own requests for a repository: the
    // credentials object storage and an upload host would have of their own.
    std::function<std::vector<std::string>(const std::string& repository)> authorize;
  };

  explicit FaultProxy(Upstream upstream);
  // Before a plain-HTTP TestRegistry, authorising itself as the registry's mode needs.
  explicit FaultProxy(const TestRegistry& registry);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::string host() const;  // "127.0.0.1:PORT", what ferry is pointed at
  std::string sideHost() const;

  // Adds a fault; returns its id for fired().
  int add(Fault fault);
  int fired(int id) const;
  int firedTotal() const;

  // Blob GETs (and HEADs, with heads) are answered with a 307 to the side server.
  void redirectBlobDownloads(bool heads = false);
  // The side server answers the next `times` storage GETs with 403, as for an expired signed URL.
  void expireLinks(int times) { expireRemaining_ = times; }
  // The side server answers storage HEADs with 403, as on a URL signed for GET.
  void refuseStorageHeads() { refuseHeads_ = true; }
  // Upload-session Locations point at the side server, another origin.
  void moveUploads() { moveUploads_ = true; }
  // Upload POSTs answer OCI-Chunk-Min-Length: `bytes`; a PATCH with fewer bytes gets 416.
  void requireChunkMinimum(int64_t bytes) { chunkMinimum_ = bytes; }

  std::vector<SeenRequest> requests() const;
  std::vector<SeenRequest> sideRequests() const;
  // Front requests of `method` ("" any) whose target matches the regex `pattern`.
  size_t count(std::string_view method, const std::string& pattern) const;
  int leakedAuthorizations() const { return leakedAuthorizations_; }
  int expiredLinksServed() const { return expiredLinksServed_; }

 private:
  struct Connection {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  enum class After { KeepAlive, Close, Reset };
  struct Planned {
    int id = -1;
    Fault fault;
  };

  void acceptLoop();
  void serve(Connection& connection);
  After handle(int fd, const HttpRequest& request);
  std::vector<Planned> takeFaults(const HttpRequest& request);
  ClientResponse forward(const HttpRequest& request, const std::vector<Planned>& faults);
  HttpResponse serveSide(const HttpRequest& request);
  HttpResponse serveStorage(const HttpRequest& request);
  HttpResponse forwardUpload(const HttpRequest& request);
  void record(std::vector<SeenRequest>& log, const HttpRequest& request, int status);
  // The byte count of a CutRequest fault for this request's head, taken (counted as fired) if one matches.
  std::optional<int64_t> takeRequestCut(const HttpRequest& request);

  Upstream upstream_;
  std::atomic<int> expireRemaining_{0};
  std::atomic<bool> redirectGets_{false};
  std::atomic<bool> redirectHeads_{false};
  std::atomic<bool> refuseHeads_{false};
  std::atomic<bool> moveUploads_{false};
  std::atomic<int64_t> chunkMinimum_{0};
  std::atomic<int> leakedAuthorizations_{0};
  std::atomic<int> expiredLinksServed_{0};

  mutable std::mutex mutex_;  // guards everything below, and each Connection::fd
  std::vector<Fault> faults_;
  std::vector<int> fired_;
  std::vector<SeenRequest> seen_;
  std::vector<SeenRequest> sideSeen_;

  std::unique_ptr<HttpServer> side_;
  int listenFd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptThread_;
  std::list<std::unique_ptr<Connection>> connections_;
};

}  // namespace ferry::testing
