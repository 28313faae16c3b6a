#include "support/fault_proxy.h"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <regex>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "support/wire.h"
#include "support/test_registry.h"

namespace ferry::testing {
namespace {

using wire::kMaxHeadBytes;
using wire::lowercase;
using wire::sendAll;
using wire::trim;

// Waits (briefly) until the peer has acknowledged everything sent, so that a
// reset that follows cannot overtake the bytes the fault promised to deliver.
void drainSendQueue(int fd) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  int pending = 0;
  while (::ioctl(fd, SIOCOUTQ, &pending) == 0 && pending > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// Buffered reads of requests from one connection.
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}

  // The next request with its body, or nullopt when the peer closed or sent garbage.
  std::optional<HttpRequest> next() {
    auto request = nextHead();
    if (!request || !readBody(*request)) return std::nullopt;
    return request;
  }

  // The next request's head, its body still to read (readBody).
  std::optional<HttpRequest> nextHead() {
    auto head = readUntil("\r\n\r\n");
    if (!head) return std::nullopt;
    return parseHead(*head);
  }

  // Reads up to `limit` bytes of the body into request.body.
  bool readBody(HttpRequest& request, size_t limit = SIZE_MAX) {
    if (limit != SIZE_MAX) {
      auto length = request.header("content-length");
      size_t wanted = std::min<size_t>(limit, length.empty() ? 0 : std::stoull(length));
      return readExactly(wanted, request.body);
    }
    if (lowercase(request.header("transfer-encoding")).find("chunked") != std::string::npos) {
      if (!readChunked(request.body)) return false;
    } else if (auto length = request.header("content-length"); !length.empty()) {
      if (!readExactly(std::stoull(length), request.body)) return false;
    }
    return true;
  }

 private:
  std::optional<std::string> readUntil(std::string_view end) {
    while (true) {
      auto at = buffer_.find(end);
      if (at != std::string::npos) {
        std::string text = buffer_.substr(0, at);
        buffer_.erase(0, at + end.size());
        return text;
      }
      if (buffer_.size() > kMaxHeadBytes || !fill()) return std::nullopt;
    }
  }

  bool readExactly(size_t size, std::string& out) {
    while (buffer_.size() < size)
      if (!fill()) return false;
    out.append(buffer_, 0, size);
    buffer_.erase(0, size);
    return true;
  }

  bool readChunked(std::string& out) {
    while (true) {
      auto line = readUntil("\r\n");
      if (!line) return false;
      size_t size = std::stoul(std::string(trim(line->substr(0, line->find(';')))), nullptr, 16);
      std::string crlf;
      if (size == 0) return readUntil("\r\n").has_value();  // no trailers from our clients
      if (!readExactly(size, out) || !readExactly(2, crlf)) return false;
    }
  }

  static std::optional<HttpRequest> parseHead(const std::string& head) {
    HttpRequest request;
    auto lineEnd = head.find("\r\n");
    std::string_view line = std::string_view(head).substr(0, lineEnd);
    auto first = line.find(' ');
    auto last = line.rfind(' ');
    if (first == std::string_view::npos || first == last) return std::nullopt;
    request.method = line.substr(0, first);
    request.target = line.substr(first + 1, last - first - 1);
    auto question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    size_t position = lineEnd == std::string::npos ? head.size() : lineEnd + 2;
    while (position < head.size()) {
      auto end = std::min(head.find("\r\n", position), head.size());
      std::string_view header = std::string_view(head).substr(position, end - position);
      position = end + 2;
      if (!wire::addHeaderLine(request.headers, header)) return std::nullopt;
    }
    return request;
  }

  bool fill() { return wire::receiveSome(fd_, buffer_); }

  int fd_;
  std::string buffer_;
};

bool isHopByHop(std::string_view lowerName) {
  return lowerName == "connection" || lowerName == "content-length" || lowerName == "transfer-encoding" ||
         lowerName == "keep-alive" || lowerName == "host" || lowerName == "expect";
}

std::string errorBody(std::string_view code, std::string_view message) {
  return "{\"errors\":[{\"code\":\"" + std::string(code) + "\",\"message\":\"" + std::string(message) + "\"}]}";
}

// "/v2/<repository>/blobs/<digest>" → repository; empty for other paths.
std::string blobRepository(std::string_view path) {
  auto blobs = path.find("/blobs/");
  if (!path.starts_with("/v2/") || blobs == std::string_view::npos) return {};
  return std::string(path.substr(4, blobs - 4));
}

bool isBlobDownload(std::string_view path) {
  return !blobRepository(path).empty() && path.find("/blobs/uploads") == std::string_view::npos;
}

// A Range header "bytes=START-" or "bytes=START-END" applied to a body of `size` bytes.
std::optional<std::pair<size_t, size_t>> parseRange(std::string_view range, size_t size) {
  if (!range.starts_with("bytes=")) return std::nullopt;
  range.remove_prefix(6);
  auto dash = range.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  size_t start = std::stoull(std::string(range.substr(0, dash)));
  size_t end = dash + 1 < range.size() ? std::stoull(std::string(range.substr(dash + 1))) : size - 1;
  if (start >= size) return std::nullopt;
  return std::pair{start, std::min(end, size - 1)};
}

}  // namespace

Fault Fault::answer(std::string method, std::string pattern, int status) {
  return Fault{.kind = Kind::Status, .method = std::move(method), .pattern = std::move(pattern), .status = status};
}

Fault Fault::respond(std::string method, std::string pattern, std::string contentType, std::string body) {
  auto fault = answer(std::move(method), std::move(pattern), 200);
  fault.headers.emplace_back("Content-Type", std::move(contentType));
  fault.body = std::move(body);
  return fault;
}

Fault Fault::tooManyRequests(std::string method, std::string pattern, std::string retryAfter) {
  auto fault = answer(std::move(method), std::move(pattern), 429);
  fault.headers.emplace_back("Retry-After", std::move(retryAfter));
  return fault;
}

Fault Fault::reset(std::string method, std::string pattern, int64_t afterBytes) {
  return Fault{.kind = Kind::Reset, .method = std::move(method), .pattern = std::move(pattern), .afterBytes = afterBytes};
}

Fault Fault::truncate(std::string method, std::string pattern, int64_t afterBytes) {
  return Fault{
      .kind = Kind::Truncate, .method = std::move(method), .pattern = std::move(pattern), .afterBytes = afterBytes};
}

Fault Fault::unauthorized(std::string method, std::string pattern) {
  return Fault{.kind = Kind::Unauthorized, .method = std::move(method), .pattern = std::move(pattern)};
}

Fault Fault::ignoreRange(std::string method, std::string pattern) {
  return Fault{.kind = Kind::IgnoreRange, .method = std::move(method), .pattern = std::move(pattern)};
}

Fault Fault::dropHeader(std::string method, std::string pattern, std::string header) {
  return Fault{.kind = Kind::DropHeader,
               .method = std::move(method),
               .pattern = std::move(pattern),
               .count = -1,
               .header = std::move(header)};
}

Fault Fault::cutRequest(std::string method, std::string pattern, int64_t afterBytes) {
  return Fault{.kind = Kind::CutRequest, .method = std::move(method), .pattern = std::move(pattern), .afterBytes = afterBytes};
}

Fault Fault::drip(std::string method, std::string pattern, int64_t announced) {
  return Fault{.kind = Kind::Drip, .method = std::move(method), .pattern = std::move(pattern), .afterBytes = announced};
}

Fault Fault::setHeader(std::string method, std::string pattern, std::string header, std::string value) {
  return Fault{.kind = Kind::SetHeader,
               .method = std::move(method),
               .pattern = std::move(pattern),
               .count = -1,
               .header = std::move(header),
               .value = std::move(value)};
}

FaultProxy::FaultProxy(Upstream upstream) : upstream_(std::move(upstream)) {
  side_ = std::make_unique<HttpServer>([this](const HttpRequest& request) { return serveSide(request); });
  listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listenFd_ < 0) fail("cannot create the fault proxy's socket: {}", std::strerror(errno));
  int one = 1;
  ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listenFd_, 128) != 0 ||
      ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    int error = errno;
    ::close(listenFd_);
    fail("cannot listen on 127.0.0.1 for the fault proxy: {}", std::strerror(error));
  }
  port_ = ntohs(address.sin_port);
  acceptThread_ = std::thread([this] { acceptLoop(); });
}

FaultProxy::FaultProxy(const TestRegistry& registry) : FaultProxy([&registry] {
    if (registry.tls()) fail("the fault proxy forwards to plain-HTTP registries only");
    Upstream upstream{.url = registry.url()};
    auto mode = registry.mode();
    std::string basic = "Authorization: Basic " + base64Encode(registry.username() + ":" + registry.password());
    TokenServer* tokens = registry.tokenServer();
    upstream.authorize = [mode, basic, tokens](const std::string& repository) -> std::vector<std::string> {
      if (mode == RegistryMode::BasicAuth) return {basic};
      if (mode == RegistryMode::Token)
        return {"Authorization: Bearer " +
                tokens->issueToken("testuser", {AccessGrant{"repository", repository, {"pull", "push"}}})};
      return {};
    };
    return upstream;
  }()) {}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  ::shutdown(listenFd_, SHUT_RDWR);
  if (acceptThread_.joinable()) acceptThread_.join();
  ::close(listenFd_);
  {
    std::lock_guard lock(mutex_);
    for (auto& connection : connections_)
      if (connection->fd >= 0) ::shutdown(connection->fd, SHUT_RDWR);
  }
  for (auto& connection : connections_)
    if (connection->thread.joinable()) connection->thread.join();
  side_->stop();
}

std::string FaultProxy::host() const { return "127.0.0.1:" + std::to_string(port_); }
std::string FaultProxy::sideHost() const { return side_->host(); }

int FaultProxy::add(Fault fault) {
  std::regex check(fault.pattern);  // a bad pattern fails here, in the test, not in a proxy thread
  std::lock_guard lock(mutex_);
  faults_.push_back(std::move(fault));
  fired_.push_back(0);
  return static_cast<int>(faults_.size()) - 1;
}

int FaultProxy::fired(int id) const {
  std::lock_guard lock(mutex_);
  return fired_.at(static_cast<size_t>(id));
}

int FaultProxy::firedTotal() const {
  std::lock_guard lock(mutex_);
  int total = 0;
  for (int count : fired_) total += count;
  return total;
}

void FaultProxy::redirectBlobDownloads(bool heads) {
  redirectGets_ = true;
  redirectHeads_ = heads;
}

std::vector<SeenRequest> FaultProxy::requests() const {
  std::lock_guard lock(mutex_);
  return seen_;
}

std::vector<SeenRequest> FaultProxy::sideRequests() const {
  std::lock_guard lock(mutex_);
  return sideSeen_;
}

size_t FaultProxy::count(std::string_view method, const std::string& pattern) const {
  std::regex expression(pattern);
  size_t matches = 0;
  for (const auto& seen : requests())
    if ((method.empty() || seen.method == method) && std::regex_search(seen.target, expression)) ++matches;
  return matches;
}

void FaultProxy::record(std::vector<SeenRequest>& log, const HttpRequest& request, int status) {
  std::lock_guard lock(mutex_);
  log.push_back(SeenRequest{.method = request.method,
                            .target = request.target,
                            .range = request.header("range"),
                            .contentRange = request.header("content-range"),
                            .authorization = !request.header("authorization").empty(),
                            .bodySize = request.body.size(),
                            .status = status});
}

void FaultProxy::acceptLoop() {
  while (!stopping_) {
    int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // the listener was shut down
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    // Finished connections are reaped here, so a long test does not pile up threads.
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->done) {
        (*it)->thread.join();
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
    auto& connection = *connections_.emplace_back(std::make_unique<Connection>());
    connection.fd = fd;
    connection.thread = std::thread([this, &connection] { serve(connection); });
  }
}

void FaultProxy::serve(Connection& connection) {
  Reader reader(connection.fd);
  After after = After::Close;
  while (!stopping_) {
    auto request = reader.nextHead();
    if (!request) break;
    if (auto cut = takeRequestCut(*request)) {
      reader.readBody(*request, static_cast<size_t>(*cut));
      record(seen_, *request, 0);
      after = After::Reset;
      break;
    }
    if (!reader.readBody(*request)) break;
    after = handle(connection.fd, *request);
    if (after != After::KeepAlive) break;
  }
  std::lock_guard lock(mutex_);
  if (after == After::Reset) {
    // SO_LINGER with a zero timeout makes close() send RST instead of FIN.
    linger abort{.l_onoff = 1, .l_linger = 0};
    ::setsockopt(connection.fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  }
  ::close(connection.fd);
  connection.fd = -1;
  connection.done = true;
}

std::optional<int64_t> FaultProxy::takeRequestCut(const HttpRequest& request) {
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < faults_.size(); ++i) {
    auto& fault = faults_[i];
    if (fault.kind != Fault::Kind::CutRequest || fault.count == 0) continue;
    if ((!fault.method.empty() && fault.method != request.method) || !std::regex_search(request.target, std::regex(fault.pattern)))
      continue;
    if (fault.count > 0) --fault.count;
    ++fired_[i];
    return fault.afterBytes;
  }
  return std::nullopt;
}

std::vector<FaultProxy::Planned> FaultProxy::takeFaults(const HttpRequest& request) {
  // Faults that decide the answer (a status, a cut body) exclude each other:
  // of those, only the first matching one fires, so faults added one after
  // another hit successive requests. The others combine freely.
  auto decidesAnswer = [](const Fault& fault) {
    return fault.kind == Fault::Kind::Status || fault.kind == Fault::Kind::Reset || fault.kind == Fault::Kind::Truncate ||
           fault.kind == Fault::Kind::Drip;
  };
  std::vector<Planned> planned;
  bool answerDecided = false;
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < faults_.size(); ++i) {
    auto& fault = faults_[i];
    if (fault.count == 0 || (!fault.method.empty() && fault.method != request.method)) continue;
    if (fault.kind == Fault::Kind::CutRequest) continue;  // taken before the body is read (takeRequestCut)
    if (decidesAnswer(fault) && answerDecided) continue;
    if (!std::regex_search(request.target, std::regex(fault.pattern))) continue;
    answerDecided = answerDecided || decidesAnswer(fault);
    if (fault.count > 0) --fault.count;
    ++fired_[i];
    planned.push_back(Planned{static_cast<int>(i), fault});
  }
  return planned;
}

ClientResponse FaultProxy::forward(const HttpRequest& request, const std::vector<Planned>& faults) {
  auto has = [&](Fault::Kind kind) {
    return std::any_of(faults.begin(), faults.end(), [&](const Planned& p) { return p.fault.kind == kind; });
  };
  // The registry builds Location headers from Host: they should name the proxy.
  std::vector<std::string> headers{"Host: " + host()};
  for (const auto& [name, value] : request.headers) {
    if (isHopByHop(name)) continue;
    if (name == "authorization" && has(Fault::Kind::Unauthorized)) continue;
    if (name == "range" && has(Fault::Kind::IgnoreRange)) continue;
    headers.push_back(name + ": " + value);
  }
  return httpRequest(request.method, upstream_.url + request.target, headers, request.body, upstream_.options);
}

FaultProxy::After FaultProxy::handle(int fd, const HttpRequest& request) {
  auto faults = takeFaults(request);
  for (const auto& planned : faults) {
    if (planned.fault.kind != Fault::Kind::Drip) continue;
    record(seen_, request, 0);
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: " +
                       std::to_string(planned.fault.afterBytes) + "\r\n\r\n";
    if (!sendAll(fd, head)) return After::Close;
    for (int64_t sent = 0; sent < planned.fault.afterBytes && !stopping_; ++sent) {
      if (!sendAll(fd, "{")) return After::Close;
      for (int tick = 0; tick < 10 && !stopping_; ++tick) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return After::Close;
  }
  std::optional<Fault> cut;
  HttpResponse response;
  bool answered = false;
  for (const auto& planned : faults) {
    if (planned.fault.kind == Fault::Kind::Status && !answered) {
      response = HttpResponse{.status = planned.fault.status, .headers = planned.fault.headers, .body = planned.fault.body};
      if (response.body.empty()) {
        response.body = errorBody("INJECTED", "a fault the test asked for");
        response.with("Content-Type", "application/json");
      }
      answered = true;
    }
    if (planned.fault.kind == Fault::Kind::Reset || planned.fault.kind == Fault::Kind::Truncate) cut = planned.fault;
  }

  std::string contentLength;  // what a HEAD answer announces
  if (!answered && request.method == "PATCH" && chunkMinimum_ > 0 &&
      static_cast<int64_t>(request.body.size()) < chunkMinimum_) {
    response = HttpResponse{.status = 416, .headers = {}, .body = errorBody("SIZE_INVALID", "chunk below OCI-Chunk-Min-Length")};
    answered = true;
  }
  bool redirect = (request.method == "GET" && redirectGets_) || (request.method == "HEAD" && redirectHeads_);
  if (!answered && redirect && isBlobDownload(request.path)) {
    response = HttpResponse{.status = 307, .headers = {}, .body = {}};
    response.with("Location", side_->url() + "/storage" + request.path + "?X-Amz-Signature=signed-for-get");
    answered = true;
  }
  if (!answered) {
    ClientResponse upstream;
    try {
      upstream = forward(request, faults);
    } catch (const Error& error) {
      upstream.status = 502;
      upstream.body = errorBody("PROXY", error.what());
    }
    response.status = static_cast<int>(upstream.status);
    response.body = std::move(upstream.body);
    for (const auto& [name, value] : upstream.headers) {
      if (isHopByHop(name)) continue;
      std::string adjusted = value;
      if (name == "location" && moveUploads_ && value.find("/blobs/uploads/") != std::string::npos) {
        auto path = value.find("/v2/");
        adjusted = side_->url() + value.substr(path);
      }
      response.with(name, adjusted);
    }
    contentLength = upstream.header("content-length");
    if (request.method == "POST" && request.path.ends_with("/blobs/uploads/") && chunkMinimum_ > 0)
      response.with("OCI-Chunk-Min-Length", std::to_string(chunkMinimum_.load()));
  }
  for (const auto& planned : faults) {
    const auto& fault = planned.fault;
    if (fault.kind != Fault::Kind::DropHeader && fault.kind != Fault::Kind::SetHeader) continue;
    std::erase_if(response.headers, [&](const auto& header) { return lowercase(header.first) == lowercase(fault.header); });
    if (fault.kind == Fault::Kind::SetHeader) response.with(fault.header, fault.value);
  }

  std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " + std::string(reasonPhrase(response.status)) + "\r\n";
  for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
  if (request.method == "HEAD") {
    if (!contentLength.empty()) head += "Content-Length: " + contentLength + "\r\n";
  } else {
    head += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  }
  head += "\r\n";

  if (cut && request.method != "HEAD") {
    // Cut inside the body whatever its size, so the client always sees a short one.
    size_t keep = std::min<size_t>(static_cast<size_t>(cut->afterBytes), response.body.size() / 2);
    record(seen_, request, 0);
    sendAll(fd, head + response.body.substr(0, keep));
    if (cut->kind == Fault::Kind::Reset) {
      drainSendQueue(fd);
      return After::Reset;
    }
    ::shutdown(fd, SHUT_WR);
    return After::Close;
  }
  record(seen_, request, response.status);
  if (!sendAll(fd, request.method == "HEAD" ? head : head + response.body)) return After::Close;
  return lowercase(request.header("connection")) == "close" ? After::Close : After::KeepAlive;
}

HttpResponse FaultProxy::serveSide(const HttpRequest& request) {
  HttpResponse response;
  if (!request.header("authorization").empty()) {
    // Object storage (S3: "Only one auth mechanism allowed") and foreign upload hosts refuse registry credentials.
    ++leakedAuthorizations_;
    response = HttpResponse{.status = 400, .headers = {}, .body = "registry credentials must not be sent here\n"};
  } else if (request.path.starts_with("/storage/")) {
    response = serveStorage(request);
  } else if (request.path.starts_with("/v2/")) {
    response = forwardUpload(request);
  } else {
    response = HttpResponse{.status = 404, .headers = {}, .body = "nothing here\n"};
  }
  record(sideSeen_, request, response.status);
  return response;
}

HttpResponse FaultProxy::serveStorage(const HttpRequest& request) {
  if (request.method == "HEAD" && refuseHeads_)
    return HttpResponse{.status = 403, .headers = {}, .body = "<Error><Code>SignatureDoesNotMatch</Code></Error>"};
  int expiring = expireRemaining_.load();
  while (request.method == "GET" && expiring > 0 && !expireRemaining_.compare_exchange_weak(expiring, expiring - 1)) {
  }
  if (request.method == "GET" && expiring > 0) {
    ++expiredLinksServed_;
    return HttpResponse{.status = 403, .headers = {}, .body = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"};
  }
  if (request.query != "X-Amz-Signature=signed-for-get")
    return HttpResponse{.status = 403, .headers = {}, .body = "<Error><Code>SignatureDoesNotMatch</Code></Error>"};
  std::string path = request.path.substr(std::string("/storage").size());
  auto blob = httpRequest("GET", upstream_.url + path, upstream_.authorize ? upstream_.authorize(blobRepository(path)) : std::vector<std::string>{},
                          {}, upstream_.options);
  if (blob.status != 200) return HttpResponse{.status = static_cast<int>(blob.status), .headers = {}, .body = blob.body};
  auto range = parseRange(request.header("range"), blob.body.size());
  if (request.method == "GET" && range) {
    auto [start, end] = *range;
    HttpResponse partial{.status = 206, .headers = {}, .body = blob.body.substr(start, end - start + 1)};
    partial.with("Content-Range", "bytes " + std::to_string(start) + "-" + std::to_string(end) + "/" +
                                      std::to_string(blob.body.size()));
    return partial;
  }
  return HttpResponse{.status = 200, .headers = {}, .body = std::move(blob.body)};
}

HttpResponse FaultProxy::forwardUpload(const HttpRequest& request) {
  std::vector<std::string> headers{"Host: " + sideHost()};  // later Locations stay on this host
  if (upstream_.authorize)
    for (auto& header : upstream_.authorize(blobRepository(request.path))) headers.push_back(header);
  for (const auto& [name, value] : request.headers)
    if (!isHopByHop(name) && name != "authorization") headers.push_back(name + ": " + value);
  ClientResponse upstream;
  try {
    upstream = httpRequest(request.method, upstream_.url + request.target, headers, request.body, upstream_.options);
  } catch (const Error& error) {
    return HttpResponse{.status = 502, .headers = {}, .body = error.what()};
  }
  HttpResponse response{.status = static_cast<int>(upstream.status), .headers = {}, .body = std::move(upstream.body)};
  for (const auto& [name, value] : upstream.headers)
    if (!isHopByHop(name)) response.with(name, value);
  return response;
}

}  // namespace ferry::testing
