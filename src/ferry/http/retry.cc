#include "ferry/http/retry.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "ferry/base/error.h"

namespace ferry {
namespace {

std::string trim(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(start, end - start + 1));
}

double random01() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

// "0.25s", "2s", "1.5s": short enough for a warning line.
std::string formatDelay(std::chrono::milliseconds delay) {
  return fmt::format("{:g}s", static_cast<double>(delay.count()) / 1000.0);
}

}  // namespace

std::chrono::milliseconds RetryPolicy::backoff(int retry, double random01) const {
  double full = static_cast<double>(delay.count()) * std::pow(2.0, std::max(retry - 1, 0));
  full = std::min(full, static_cast<double>(maxDelay.count()));
  double spread = full / 2 + std::clamp(random01, 0.0, 1.0) * full / 2;
  return std::chrono::milliseconds(static_cast<int64_t>(spread));
}

bool isRetryableStatus(long status) { return status >= 500 || status == 429 || status == 408; }

std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now) {
  std::string text = trim(value);
  if (text.empty()) return std::nullopt;
  if (std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    int64_t seconds = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error != std::errc() || end != text.data() + text.size()) return std::chrono::hours(24 * 365);  // absurdly long
    return std::chrono::seconds(seconds);
  }
  // An HTTP date (IMF-fixdate, or the obsolete RFC 850 and asctime forms, which curl also reads).
  time_t when = curl_getdate(text.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  auto wait = std::chrono::system_clock::from_time_t(when) - now;
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(wait), std::chrono::milliseconds(0));
}

std::optional<std::string> standardRetryReason(const HttpResponse& response, bool firstContact) {
  switch (response.failure) {
    case TransportFailure::Insecure:
    case TransportFailure::TimedOut:
      return std::nullopt;
    case TransportFailure::Unreachable:
      if (firstContact) return std::nullopt;
      return response.failureDetail;
    case TransportFailure::Interrupted:
      return response.failureDetail;
    case TransportFailure::None:
      break;
  }
  if (isRetryableStatus(response.status)) return fmt::format("HTTP {}", response.status);
  return std::nullopt;
}

std::string describeRequest(const HttpResponse& response, const std::string& ownOrigin) {
  // The path only, for the client's own URLs; never the query, which may
  // hold a signature or upload state; digests cut to 12 hex digits.
  std::string origin = originOf(response.url);
  std::string path = urlForMessages(response.url.substr(origin.size()));
  static const std::regex longDigest("(sha256:[0-9a-f]{12})[0-9a-f]{52}");
  path = std::regex_replace(path, longDigest, "$1");
  return response.method + " " + (!ownOrigin.empty() && origin == ownOrigin ? path : origin + path);
}

Retrier::Retrier(std::string name, std::string ownOrigin, RetryPolicy policy,
                 std::function<void(const std::string&)> warn, std::shared_ptr<std::atomic<int64_t>> total)
    : name_(std::move(name)),
      ownOrigin_(std::move(ownOrigin)),
      policy_(policy),
      warn_(std::move(warn)),
      total_(std::move(total)) {}

HttpResponse Retrier::run(const std::function<HttpResponse(int)>& attempt, bool firstContact,
                          const ExtraReason& extraReason) {
  for (int retry = 0;; ++retry) {
    auto response = attempt(retry);
    response.retries = retry;
    auto reason = standardRetryReason(response, firstContact);
    if (!reason && extraReason && response.failure == TransportFailure::None) reason = extraReason(response);
    if (!reason || retry >= policy_.times) return response;
    auto delay = delayBefore(response, retry + 1);
    if (!delay) return response;  // the server asks for a longer wait than ferry will sit through
    ++retries_;
    if (total_) ++*total_;
    if (warn_)
      warn_(fmt::format("{}: {}: {}; retry {}/{} in {}", name_, describeRequest(response, ownOrigin_), *reason,
                        retry + 1, policy_.times, formatDelay(*delay)));
    std::this_thread::sleep_for(*delay);
  }
}

std::optional<std::chrono::milliseconds> Retrier::delayBefore(const HttpResponse& response, int retry) const {
  if (auto asked = parseRetryAfter(response.header("retry-after"), std::chrono::system_clock::now())) {
    if (*asked > policy_.maxRetryAfter) return std::nullopt;
    return *asked;
  }
  return policy_.backoff(retry, random01());
}

RetryingHttpClient::RetryingHttpClient(std::string name, RetryingHttpClientOptions options)
    : name_(std::move(name)),
      http_(std::move(options.tls), options.requestTimeout),
      retrier_(name_, "", options.retry, std::move(options.warn), std::move(options.retryTotal)) {}

HttpResponse RetryingHttpClient::send(HttpRequest request) {
  auto response = retrier_.run([&](int) { return http_.attemptFollowingRedirects(request); });
  if (response.failure != TransportFailure::None) failUnreached(response, "cannot reach " + name_, "");
  return response;
}

}  // namespace ferry
