#include "support/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>

#include "ferry/base/error.h"
#include "support/wire.h"

namespace ferry::testing {
namespace {

using wire::kMaxHeadBytes;
using wire::lowercase;
using wire::sendAll;
using wire::trim;

// Buffered reads from one connection. Every method returns false/nullopt when
// the peer closed, the socket failed, or the server is shutting the socket down.
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}

  // The request head up to and excluding the blank line.
  std::optional<std::string> readHead() {
    while (true) {
      // Not HTTP (a TLS ClientHello from a client that tries https first, as skopeo
      // does with --tls-verify=false): give up at once, as a registry answers, rather
      // than wait for a blank line that never comes.
      if (!buffer_.empty() && !std::isalpha(static_cast<unsigned char>(buffer_.front()))) return std::nullopt;
      auto end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string head = buffer_.substr(0, end);
        buffer_.erase(0, end + 4);
        return head;
      }
      if (buffer_.size() > kMaxHeadBytes || !fill()) return std::nullopt;
    }
  }

  std::optional<std::string> readLine() {
    while (true) {
      auto end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return line;
      }
      if (buffer_.size() > kMaxHeadBytes || !fill()) return std::nullopt;
    }
  }

  bool readExactly(size_t size, std::string& out) {
    while (buffer_.size() < size) {
      if (!fill()) return false;
    }
    out.append(buffer_, 0, size);
    buffer_.erase(0, size);
    return true;
  }

  bool readChunked(std::string& out) {
    while (true) {
      auto sizeLine = readLine();
      if (!sizeLine) return false;
      auto hex = sizeLine->substr(0, sizeLine->find(';'));  // drop chunk extensions
      size_t size = 0;
      try {
        size = std::stoul(std::string(trim(hex)), nullptr, 16);
      } catch (const std::exception&) {
        return false;
      }
      if (size == 0) break;
      std::string crlf;
      if (!readExactly(size, out) || !readExactly(2, crlf) || crlf != "\r\n") return false;
    }
    while (true) {  // trailers end with an empty line
      auto trailer = readLine();
      if (!trailer) return false;
      if (trailer->empty()) return true;
    }
  }

 private:
  bool fill() { return wire::receiveSome(fd_, buffer_); }

  int fd_;
  std::string buffer_;
};

// Parses the request line and headers; nullopt when they are malformed.
std::optional<HttpRequest> parseHead(const std::string& head, std::string& version) {
  HttpRequest request;
  auto lineEnd = head.find("\r\n");
  std::string_view requestLine = std::string_view(head).substr(0, lineEnd);
  auto firstSpace = requestLine.find(' ');
  auto lastSpace = requestLine.rfind(' ');
  if (firstSpace == std::string_view::npos || firstSpace == lastSpace) return std::nullopt;
  request.method = requestLine.substr(0, firstSpace);
  request.target = requestLine.substr(firstSpace + 1, lastSpace - firstSpace - 1);
  version = requestLine.substr(lastSpace + 1);
  auto question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);

  size_t position = lineEnd == std::string::npos ? head.size() : lineEnd + 2;
  while (position < head.size()) {
    auto end = head.find("\r\n", position);
    if (end == std::string::npos) end = head.size();
    std::string_view line = std::string_view(head).substr(position, end - position);
    position = end + 2;
    if (!wire::addHeaderLine(request.headers, line)) return std::nullopt;
  }
  return request;
}

bool hasHeader(const HttpResponse& response, std::string_view name) {
  return std::any_of(response.headers.begin(), response.headers.end(),
                     [&](const auto& header) { return lowercase(header.first) == name; });
}

std::string serializeHead(const HttpResponse& response, bool close) {
  std::string head =
      "HTTP/1.1 " + std::to_string(response.status) + " " + std::string(reasonPhrase(response.status)) + "\r\n";
  for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
  bool bodyless = response.status < 200 || response.status == 204 || response.status == 304;
  if (!bodyless && !hasHeader(response, "content-length")) {
    head += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  }
  if (close && !hasHeader(response, "connection")) head += "Connection: close\r\n";
  head += "\r\n";
  return head;
}

HttpResponse plainResponse(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers.emplace_back("Content-Type", "text/plain");
  return response;
}

}  // namespace

std::string HttpRequest::header(std::string_view name) const {
  auto it = headers.find(lowercase(name));
  return it == headers.end() ? std::string() : it->second;
}

HttpResponse& HttpResponse::with(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

HttpServer::HttpServer(HttpHandler handler, int port) : handler_(std::move(handler)) {
  listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listenFd_ < 0) fail("cannot create the test HTTP server socket: {}", std::strerror(errno));
  int one = 1;
  ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t length = sizeof address;
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listenFd_, 128) != 0 ||
      ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    int error = errno;
    ::close(listenFd_);
    fail("cannot listen on 127.0.0.1:{} for the test HTTP server: {}", port, std::strerror(error));
  }
  port_ = ntohs(address.sin_port);
  acceptThread_ = std::thread([this] { acceptLoop(); });
}

HttpServer::~HttpServer() { stop(); }

std::string HttpServer::host() const { return "127.0.0.1:" + std::to_string(port_); }
std::string HttpServer::url() const { return "http://" + host(); }

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  // shutdown() wakes the blocked accept(); close() alone would not on Linux.
  ::shutdown(listenFd_, SHUT_RDWR);
  if (acceptThread_.joinable()) acceptThread_.join();
  ::close(listenFd_);
  {
    std::lock_guard lock(mutex_);
    for (auto& connection : connections_) {
      if (connection->fd >= 0) ::shutdown(connection->fd, SHUT_RDWR);
    }
  }
  // No new connections can appear now, so the list is stable without the lock.
  for (auto& connection : connections_) {
    if (connection->thread.joinable()) connection->thread.join();
  }
  connections_.clear();
}

void HttpServer::acceptLoop() {
  while (!stopping_) {
    int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // the listener was shut down
    }
    if (stopping_) {
      ::close(fd);
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++connectionsAccepted_;
    reapFinishedConnections();
    std::lock_guard lock(mutex_);
    auto& connection = *connections_.emplace_back(std::make_unique<Connection>());
    connection.fd = fd;
    connection.thread = std::thread([this, &connection] { serve(connection); });
  }
}

void HttpServer::reapFinishedConnections() {
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      auto current = it++;
      if ((*current)->done) finished.splice(finished.end(), connections_, current);
    }
  }
  for (auto& connection : finished) connection->thread.join();
}

void HttpServer::serve(Connection& connection) {
  int fd = connection.fd;
  Reader reader(fd);
  while (!stopping_) {
    auto head = reader.readHead();
    if (!head) break;
    std::string version;
    auto request = parseHead(*head, version);
    if (!request) {
      sendAll(fd, serializeHead(plainResponse(400, "malformed request head\n"), true));
      break;
    }

    bool chunked = lowercase(request->header("transfer-encoding")).find("chunked") != std::string::npos;
    auto contentLength = request->header("content-length");
    bool hasBody = chunked || (!contentLength.empty() && contentLength != "0");
    if (hasBody && lowercase(request->header("expect")) == "100-continue") {
      if (!sendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n")) break;
    }
    bool bodyRead = true;
    if (chunked) {
      bodyRead = reader.readChunked(request->body);
    } else if (!contentLength.empty()) {
      size_t size = 0;
      try {
        size = std::stoull(contentLength);
      } catch (const std::exception&) {
        sendAll(fd, serializeHead(plainResponse(400, "bad Content-Length\n"), true));
        break;
      }
      bodyRead = reader.readExactly(size, request->body);
    }
    if (!bodyRead) break;

    auto connectionHeader = lowercase(request->header("connection"));
    bool close = version == "HTTP/1.0" ? connectionHeader != "keep-alive" : connectionHeader == "close";

    HttpResponse response;
    try {
      response = handler_(*request);
    } catch (const std::exception& error) {
      response = plainResponse(500, std::string("test server handler failed: ") + error.what() + "\n");
    }
    ++requestsServed_;
    for (const auto& [name, value] : response.headers) {
      if (lowercase(name) == "connection" && lowercase(value) == "close") close = true;
    }
    std::string out = serializeHead(response, close);
    if (request->method != "HEAD") out += response.body;
    if (!sendAll(fd, out) || close) break;
  }
  std::lock_guard lock(mutex_);
  ::close(connection.fd);
  connection.fd = -1;
  connection.done = true;
}

std::vector<std::pair<std::string, std::string>> parseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> result;
  while (!query.empty()) {
    auto ampersand = query.find('&');
    auto part = query.substr(0, ampersand);
    if (!part.empty()) {
      auto equals = part.find('=');
      result.emplace_back(percentDecode(part.substr(0, equals)),
                          equals == std::string_view::npos ? std::string() : percentDecode(part.substr(equals + 1)));
    }
    if (ampersand == std::string_view::npos) break;
    query.remove_prefix(ampersand + 1);
  }
  return result;
}

std::string percentDecode(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      result += ' ';
    } else if (c == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      result += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      result += c;
    }
  }
  return result;
}

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 416:
      return "Range Not Satisfiable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

}  // namespace ferry::testing
