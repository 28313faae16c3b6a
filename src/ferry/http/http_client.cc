#include "ferry/http/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/base/log.h"

namespace ferry {
namespace {

void initialiseCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string trim(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(start, end - start + 1));
}

struct Exchange {
  CURL* curl = nullptr;
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  // Upload state: bytes left to send, from memory or from a file.
  const char* uploadData = nullptr;
  FILE* uploadFile = nullptr;
  size_t uploadRemaining = 0;
  bool aborted = false;
};

// Whether the head announces a body larger than the request collects in memory.
// (A streamed 2xx body has no such cap, and a HEAD answer announces a body it does not send.)
bool bodyAnnouncedTooLarge(const Exchange& exchange, long status) {
  const auto& request = *exchange.request;
  if (request.method == "HEAD" || (request.onBody && status >= 200 && status < 300)) return false;
  auto length = exchange.response->headers.find("content-length");
  if (length == exchange.response->headers.end()) return false;
  int64_t announced = -1;
  const auto& text = length->second;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), announced);
  if (error == std::errc::result_out_of_range) return true;
  return error == std::errc() && announced > request.maxBodyBytes;
}

// The blank line that ends a header block: refuses an oversized body, hands the head to onHead.
bool headComplete(Exchange& exchange) {
  long status = 0;
  curl_easy_getinfo(exchange.curl, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200) return true;  // 1xx heads are followed by the real one
  if (bodyAnnouncedTooLarge(exchange, status)) {
    // Refused on the head alone: waiting for a body ferry would not keep anyway
    // lets a server hold the request as long as it likes.
    exchange.response->status = status;
    exchange.response->bodyTooLarge = true;
    exchange.aborted = true;
    return false;
  }
  if (!exchange.request->onHead) return true;
  exchange.response->status = status;
  if (exchange.request->onHead(*exchange.response)) return true;
  exchange.response->abandoned = true;
  exchange.aborted = true;
  return false;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  std::string_view line(data, size * count);
  if (line == "\r\n" || line == "\n") {
    return headComplete(*exchange) ? size * count : 0;
  } else if (line.starts_with("HTTP/")) {
    // A new status line (after a 100 Continue, say): forget earlier headers.
    exchange->response->headers.clear();
    exchange->response->linkHeaders.clear();
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string name = lowercase(std::string(line.substr(0, colon)));
    std::string value = trim(line.substr(colon + 1));
    if (name == "link") exchange->response->linkHeaders.push_back(value);
    exchange->response->headers[name] = value;
  }
  return size * count;
}

size_t onBodyData(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  size_t bytes = size * count;
  long status = 0;
  curl_easy_getinfo(exchange->curl, CURLINFO_RESPONSE_CODE, &status);
  // Only successful answers are streamed; error bodies are kept for messages.
  if (exchange->request->onBody && status >= 200 && status < 300) {
    if (!exchange->request->onBody(data, bytes)) {
      exchange->aborted = true;
      return 0;
    }
    return bytes;
  }
  auto& body = exchange->response->body;
  if (static_cast<int64_t>(body.size() + bytes) > exchange->request->maxBodyBytes) {
    exchange->response->bodyTooLarge = true;
    exchange->aborted = true;
    return 0;
  }
  body.append(data, bytes);
  return bytes;
}

size_t onUploadData(char* buffer, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  size_t bytes = std::min(size * count, exchange->uploadRemaining);
  if (bytes == 0) return 0;
  if (exchange->request->bodySource) {
    int64_t pulled = exchange->request->bodySource(buffer, bytes);
    if (pulled < 0 || pulled > static_cast<int64_t>(bytes)) {
      exchange->aborted = true;
      return CURL_READFUNC_ABORT;
    }
    bytes = static_cast<size_t>(pulled);
  } else if (exchange->uploadFile) {
    bytes = std::fread(buffer, 1, bytes, exchange->uploadFile);
  } else {
    std::memcpy(buffer, exchange->uploadData, bytes);
    exchange->uploadData += bytes;
  }
  exchange->uploadRemaining -= bytes;
  return bytes;
}

TransportFailure classify(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return TransportFailure::None;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return TransportFailure::Unreachable;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
      return TransportFailure::Insecure;
    default:
      return TransportFailure::Interrupted;
  }
}

// One debug line per request (method, URL without secrets, status or failure,
// bytes each way, time); at trace also the headers, Authorization redacted.
void logExchange(CURL* curl, const HttpRequest& request, const HttpResponse& response, CURLcode code,
                 const char* failure) {
  if (!log::enabled(log::Level::Debug)) return;
  curl_off_t received = 0, sent = 0, micros = 0;
  curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &received);
  curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &sent);
  curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &micros);
  std::string outcome = code == CURLE_OK || response.status > 0 ? fmt::format("HTTP {}", response.status) : failure;
  log::debug("http {} {} -> {}, {} bytes in, {} bytes out, {:.3f}s", request.method, log::redactUrl(request.url),
             outcome, static_cast<int64_t>(received), static_cast<int64_t>(sent), static_cast<double>(micros) / 1e6);
  if (!log::enabled(log::Level::Trace)) return;
  for (const auto& header : request.headers) log::trace("http > {}", log::redactHeader(header));
  for (const auto& [name, value] : response.headers) log::trace("http < {}", log::redactHeader(name + ": " + value));
}

std::string systemCaBundle() {
  for (const char* path : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}) {
    if (std::filesystem::exists(path)) return readFile(path);
  }
  return {};
}

}  // namespace

struct HttpClient::Handle {
  CURL* curl = curl_easy_init();
  ~Handle() { curl_easy_cleanup(curl); }
};

std::string HttpResponse::header(const std::string& lowerName) const {
  auto it = headers.find(lowerName);
  return it == headers.end() ? std::string() : it->second;
}

HttpClient::HttpClient(TlsSettings tls, std::chrono::milliseconds requestTimeout)
    : tls_(std::move(tls)), requestTimeout_(requestTimeout) {
  initialiseCurlOnce();
  if (!tls_.extraCaPem.empty()) caBundle_ = systemCaBundle() + "\n" + tls_.extraCaPem;
}

HttpClient::~HttpClient() = default;

std::unique_ptr<HttpClient::Handle> HttpClient::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  auto handle = std::make_unique<Handle>();
  if (!handle->curl) fail("cannot initialise libcurl");
  return handle;
}

void HttpClient::release(std::unique_ptr<Handle> handle) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(handle));
}

HttpResponse HttpClient::perform(const HttpRequest& request) {
  auto response = attempt(request);
  if (response.failure != TransportFailure::None) failUnreached(response, "cannot reach " + originOf(request.url), "");
  return response;
}

HttpResponse HttpClient::attempt(const HttpRequest& request) {
  auto handle = acquire();
  CURL* curl = handle->curl;
  // reset() keeps the handle's live connections, which is the point of pooling it.
  curl_easy_reset(curl);

  HttpResponse response;
  response.method = request.method;
  response.url = request.url;
  response.deadline = requestDeadline(requestTimeout_, request.expectedBytes);
  Exchange exchange{.curl = curl, .request = &request, .response = &response};
  char errorBuffer[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorBuffer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBodyData);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
  // The overall deadline; the low-speed check below catches a dead transfer sooner.
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(response.deadline.count()));
  // A transfer that moves nothing for a minute is dead; fail it rather than hang.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  // Larger buffers than libcurl's 16 KiB / 64 KiB defaults: fewer system calls per blob.
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "ferry/0.1");
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, tls_.verify ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, tls_.verify ? 2L : 0L);
  if (!caBundle_.empty()) {
    curl_blob blob{caBundle_.data(), caBundle_.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (!tls_.clientCertificate.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, tls_.clientCertificate.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, tls_.clientKey.c_str());
  }

  std::string_view bodyBytes = request.bodyView.empty() ? std::string_view(request.body) : request.bodyView;
  bool hasBody = !request.bodyFile.empty() || request.bodySource || !bodyBytes.empty() || request.method == "POST" ||
                 request.method == "PUT" || request.method == "PATCH";
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (hasBody) {
    int64_t size = static_cast<int64_t>(bodyBytes.size());
    if (!request.bodyFile.empty()) {
      exchange.uploadFile = std::fopen(request.bodyFile.c_str(), "rb");
      if (!exchange.uploadFile) fail("cannot read '{}' to upload it", request.bodyFile.string());
      std::setvbuf(exchange.uploadFile, nullptr, _IOFBF, 1 << 20);
      auto fileSize = static_cast<int64_t>(std::filesystem::file_size(request.bodyFile));
      int64_t offset = std::clamp<int64_t>(request.bodyOffset, 0, fileSize);
      size = request.bodyLength < 0 ? fileSize - offset : std::min(request.bodyLength, fileSize - offset);
      if (offset > 0 && std::fseek(exchange.uploadFile, static_cast<long>(offset), SEEK_SET) != 0) {
        std::fclose(exchange.uploadFile);
        fail("cannot read '{}' to upload it: cannot seek to byte {}", request.bodyFile.string(), offset);
      }
    } else if (request.bodySource) {
      size = std::max<int64_t>(request.bodyLength, 0);
    } else {
      exchange.uploadData = bodyBytes.data();
    }
    exchange.uploadRemaining = static_cast<size_t>(size);
    if (size > request.expectedBytes) {
      response.deadline = requestDeadline(requestTimeout_, size);
      curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(response.deadline.count()));
    }
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, onUploadData);
    curl_easy_setopt(curl, CURLOPT_READDATA, &exchange);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  struct curl_slist* headers = nullptr;
  for (const auto& header : request.headers) headers = curl_slist_append(headers, header.c_str());
  // Registries answer 100-continue inconsistently; send bodies straight away.
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (!request.awsSigV4.empty()) {
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, request.awsSigV4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERPWD, request.awsCredentials.c_str());
  }

  auto started = std::chrono::steady_clock::now();
  CURLcode code = curl_easy_perform(curl);
  auto elapsed = std::chrono::steady_clock::now() - started;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  logExchange(curl, request, response, code, errorBuffer[0] ? errorBuffer : curl_easy_strerror(code));
  curl_slist_free_all(headers);
  if (exchange.uploadFile) std::fclose(exchange.uploadFile);
  release(std::move(handle));

  // A transfer stopped by our own callbacks is not a transport failure: the
  // caller that stopped it knows why.
  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && exchange.aborted)) {
    response.failure = classify(code);
    response.failureDetail = errorBuffer[0] ? errorBuffer : curl_easy_strerror(code);
    // curl reports the stall detector and the deadline alike; the clock tells them apart.
    if (code == CURLE_OPERATION_TIMEDOUT && elapsed >= response.deadline - std::chrono::milliseconds(50))
      response.failure = TransportFailure::TimedOut;
  }
  return response;
}

HttpResponse HttpClient::attemptFollowingRedirects(HttpRequest request, int maxHops) {
  const std::string origin = originOf(request.url);
  const auto headers = request.headers;
  bool redirected = false;
  for (int hops = 0;; ++hops) {
    request.headers.clear();
    for (const auto& header : headers) {
      bool accept = lowercase(header.substr(0, 7)) == "accept:";
      if (accept || originOf(request.url) == origin) request.headers.push_back(header);
    }
    auto response = attempt(request);
    response.redirected = redirected;
    if (response.failure != TransportFailure::None || !isRedirect(response.status) || hops >= maxHops ||
        response.header("location").empty())
      return response;
    followRedirect(request, response);
    redirected = true;
  }
}

std::string originOf(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  auto end = url.find_first_of("/?#", scheme + 3);
  return lowercase(url.substr(0, end));
}

std::string resolveUrl(const std::string& base, const std::string& location) {
  if (location.find("://") != std::string::npos) return location;
  if (location.starts_with("//")) return base.substr(0, base.find("://") + 1) + location;
  std::string origin = originOf(base);
  if (location.starts_with("/")) return origin + location;
  // Relative to the base path's directory.
  std::string path = base.substr(origin.size());
  path = path.substr(0, path.find_first_of("?#"));
  auto slash = path.rfind('/');
  return origin + (slash == std::string::npos ? "/" : path.substr(0, slash + 1)) + location;
}

std::string urlForMessages(const std::string& url) { return url.substr(0, url.find_first_of("?#")); }

bool isRedirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

void followRedirect(HttpRequest& request, const HttpResponse& response) {
  request.url = resolveUrl(request.url, response.header("location"));
  if (response.status == 303) request.method = "GET";
}

std::chrono::milliseconds requestDeadline(std::chrono::milliseconds base, int64_t bodyBytes) {
  return base + std::chrono::milliseconds(std::max<int64_t>(bodyBytes, 0) / (kSlowestTransferRate / 1000));
}

namespace {
// "5m", "90s", "1.5s": the way the limit is written on the command line.
std::string formatLimit(std::chrono::milliseconds limit) {
  auto ms = limit.count();
  if (ms % 60000 == 0) return fmt::format("{}m", ms / 60000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{:g}s", static_cast<double>(ms) / 1000.0);
}
}  // namespace

void failUnreached(const HttpResponse& response, const std::string& what, const std::string& hint) {
  std::string gaveUp = response.retries > 0 ? fmt::format(" (gave up after {} retries)", response.retries) : "";
  if (response.failure == TransportFailure::TimedOut)
    fail(ErrorKind::Timeout,
         "{}: {} {} did not complete within its {} deadline{}; the server is too slow or stalling; raise "
         "--request-timeout if it is only slow",
         what, response.method, urlForMessages(response.url), formatLimit(response.deadline), gaveUp);
  fail(ErrorKind::Unreachable, "{}: request to {} failed: {}{}{}", what, originOf(response.url), response.failureDetail,
       gaveUp, hint.empty() ? "" : "; " + hint);
}

std::string urlEncode(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::optional<int64_t> contentRangeStart(std::string_view value) {
  std::string text = lowercase(trim(value));
  if (!text.starts_with("bytes ")) return std::nullopt;
  std::string_view range = std::string_view(text).substr(6);
  range = range.substr(range.find_first_not_of(' '));
  int64_t start = -1;
  auto [end, error] = std::from_chars(range.data(), range.data() + range.size(), start);
  if (error != std::errc() || end == range.data() + range.size() || *end != '-') return std::nullopt;
  return start;
}

std::chrono::milliseconds parseDuration(std::string_view text) {
  std::string value = lowercase(trim(text));
  double scale = 1000;  // plain numbers are seconds
  for (auto [suffix, factor] : {std::pair{"ms", 1.0}, {"s", 1000.0}, {"m", 60000.0}}) {
    if (value.size() > std::strlen(suffix) && value.ends_with(suffix)) {
      value.resize(value.size() - std::strlen(suffix));
      scale = factor;
      break;
    }
  }
  double number = -1;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || error != std::errc() || end != value.data() + value.size() || number < 0)
    fail("'{}' is not a duration; write it like 500ms, 2s, 1.5 (seconds) or 1m", text);
  return std::chrono::milliseconds(std::llround(number * scale));
}

int64_t parseByteSize(std::string_view text) {
  std::string value = lowercase(trim(text));
  int64_t scale = 1;
  for (auto [suffix, factor] : {std::pair{"kib", int64_t{1} << 10}, {"mib", int64_t{1} << 20}, {"gib", int64_t{1} << 30},
                                {"kb", int64_t{1000}}, {"mb", int64_t{1000000}}, {"gb", int64_t{1000000000}},
                                {"b", int64_t{1}}}) {
    if (value.ends_with(suffix)) {
      value.resize(value.size() - std::strlen(suffix));
      scale = factor;
      break;
    }
  }
  value = trim(value);
  int64_t number = -1;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || error != std::errc() || end != value.data() + value.size() || number < 0 ||
      number > INT64_MAX / scale)
    fail("'{}' is not a size; write it like 1048576, 512KiB, 5MiB or 1GiB", text);
  return number * scale;
}

}  // namespace ferry
