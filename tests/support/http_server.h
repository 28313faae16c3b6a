// A small blocking HTTP/1.1 server on 127.0.0.1 for test services: the bearer
// token server, fault-injecting proxies, redirect targets.
//
// One thread accepts, one thread serves each connection (keep-alive). Request
// bodies may be sent with Content-Length or chunked; "Expect: 100-continue" is
// answered. Responses always carry Content-Length. Destroying the server (or
// stop()) closes the listening socket and every open connection and joins all
// threads; a handler still running is waited for.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace ferry::testing {

struct HttpRequest {
  std::string method;
  std::string target;                          // as sent: path?query
  std::string path;                            // target before '?', not percent-decoded
  std::string query;                           // target after '?', not percent-decoded
  std::map<std::string, std::string> headers;  // names lowercased; repeated headers joined with ", "
  std::string body;                            // de-chunked

  // The value of header `name` (any case), or "" when absent.
  std::string header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Adds a header; returns *this so responses can be built in one expression.
  HttpResponse& with(std::string name, std::string value);
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  // Listens on 127.0.0.1:`port` (0 picks a free port) before returning.
  explicit HttpServer(HttpHandler handler, int port = 0);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  std::string host() const;  // "127.0.0.1:PORT"
  std::string url() const;   // "http://127.0.0.1:PORT"
  uint64_t connectionCount() const { return connectionsAccepted_; }
  uint64_t requestCount() const { return requestsServed_; }

  // Closes the listener and all connections and joins the threads. Idempotent.
  void stop();

 private:
  struct Connection {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  void acceptLoop();
  void serve(Connection& connection);
  void reapFinishedConnections();

  HttpHandler handler_;
  int listenFd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> connectionsAccepted_{0};
  std::atomic<uint64_t> requestsServed_{0};
  std::thread acceptThread_;
  std::mutex mutex_;  // guards connections_ and each Connection::fd
  std::list<std::unique_ptr<Connection>> connections_;
};

// Splits a query string into decoded name/value pairs, keeping order and repeats.
std::vector<std::pair<std::string, std::string>> parseQuery(std::string_view query);
// Decodes %XX escapes and '+' (as a space, the form-encoding rule).
std::string percentDecode(std::string_view text);
// The standard reason phrase for a status code ("Not Found"), or "Status".
std::string_view reasonPhrase(int status);

}  // namespace ferry::testing
