#include "ferry/base/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>

#include "ferry/base/error.h"

namespace ferry::log {
namespace detail {
std::atomic<int> threshold{static_cast<int>(Level::Warn)};
}  // namespace detail

namespace {

spdlog::level::level_enum toSpdlog(Level level) {
  switch (level) {
    case Level::Trace: return spdlog::level::trace;
    case Level::Debug: return spdlog::level::debug;
    case Level::Info: return spdlog::level::info;
    case Level::Warn: return spdlog::level::warn;
    case Level::Error: return spdlog::level::err;
    case Level::Off: return spdlog::level::off;
  }
  return spdlog::level::off;
}

std::unique_ptr<spdlog::formatter> utcFormatter(const std::string& pattern) {
  return std::make_unique<spdlog::pattern_formatter>(pattern, spdlog::pattern_time_type::utc);
}

// One logger with a stderr sink and, for a mirror run, a file sink.
struct State {
  std::mutex mutex;
  Level stderrLevel = Level::Warn;
  Level fileLevel = Level::Off;
  std::shared_ptr<spdlog::sinks::stderr_sink_mt> stderrSink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  std::shared_ptr<spdlog::sinks::basic_file_sink_mt> fileSink;
  std::shared_ptr<spdlog::logger> logger;

  State() {
    stderrSink->set_formatter(utcFormatter("%Y-%m-%dT%H:%M:%S.%eZ %l %v"));
    rebuild();
  }
  // Called with mutex held.
  void rebuild() {
    std::vector<spdlog::sink_ptr> sinks{stderrSink};
    stderrSink->set_level(toSpdlog(stderrLevel));
    if (fileSink) {
      fileSink->set_level(toSpdlog(fileLevel));
      sinks.push_back(fileSink);
    }
    logger = std::make_shared<spdlog::logger>("ferry", sinks.begin(), sinks.end());
    logger->set_level(spdlog::level::trace);
    logger->flush_on(spdlog::level::trace);
    Level lowest = fileSink ? std::min(stderrLevel, fileLevel) : stderrLevel;
    detail::threshold.store(static_cast<int>(lowest));
  }
};

State& state() {
  static State instance;
  return instance;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Query parameters that never carry a secret; every other value is hidden.
bool harmlessParameter(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kHarmless = {"n", "last", "digest", "mount", "from", "service", "scope"};
  return std::find(kHarmless.begin(), kHarmless.end(), name) != kHarmless.end();
}

}  // namespace

namespace detail {
void write(Level level, std::string_view message) {
  auto& s = state();
  std::shared_ptr<spdlog::logger> logger;
  {
    std::lock_guard lock(s.mutex);
    logger = s.logger;
  }
  // On a terminal a progress line may be drawn; wipe it so the log line reads cleanly.
  if (static_cast<int>(level) >= static_cast<int>(s.stderrLevel) && ::isatty(STDERR_FILENO)) std::fputs("\r\033[K", stderr);
  logger->log(toSpdlog(level), "{}", message);
}
}  // namespace detail

std::optional<Level> parseLevel(std::string_view text) {
  std::string name = lowercase(text);
  if (name == "trace") return Level::Trace;
  if (name == "debug") return Level::Debug;
  if (name == "info") return Level::Info;
  if (name == "warn" || name == "warning") return Level::Warn;
  if (name == "error") return Level::Error;
  return std::nullopt;
}

std::string_view levelName(Level level) {
  switch (level) {
    case Level::Trace: return "trace";
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
    case Level::Off: return "off";
  }
  return "off";
}

void setStderrLevel(Level level) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.stderrLevel = level;
  s.rebuild();
}

void openFile(const std::filesystem::path& file, Level level) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  try {
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string(), /*truncate=*/false);
    sink->set_formatter(utcFormatter("%Y-%m-%dT%H:%M:%S.%eZ [%t] %l %v"));
    s.fileSink = std::move(sink);
  } catch (const std::exception& e) {
    fail("cannot write the log file '{}': {}", file.string(), e.what());
  }
  s.fileLevel = level;
  s.rebuild();
}

void closeFile() {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.fileSink) return;
  s.fileSink->flush();
  s.fileSink.reset();
  s.fileLevel = Level::Off;
  s.rebuild();
}

std::string redactUrl(std::string_view url) {
  std::string out(url);
  auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    auto hostStart = scheme + 3;
    auto hostEnd = out.find_first_of("/?#", hostStart);
    auto at = out.rfind('@', hostEnd == std::string::npos ? out.size() : hostEnd);
    if (at != std::string::npos && at >= hostStart) out.erase(hostStart, at + 1 - hostStart);
  }
  auto query = out.find('?');
  if (query == std::string::npos) return out;
  auto fragment = out.find('#', query);
  std::string rest = out.substr(query + 1, fragment == std::string::npos ? std::string::npos : fragment - query - 1);
  std::string result = out.substr(0, query + 1);
  size_t start = 0;
  bool first = true;
  while (start <= rest.size()) {
    auto end = rest.find('&', start);
    std::string_view pair = std::string_view(rest).substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!first) result += '&';
    first = false;
    auto equals = pair.find('=');
    std::string_view name = pair.substr(0, equals);
    if (equals == std::string_view::npos || harmlessParameter(lowercase(name))) {
      result += pair;
    } else {
      result += std::string(name) + "=...";
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return result;
}

std::string redactHeader(std::string_view header) {
  auto colon = header.find(':');
  if (colon == std::string_view::npos) return std::string(header);
  std::string name = lowercase(header.substr(0, colon));
  std::string_view value = header.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  std::string original(header.substr(0, colon));
  if (name == "authorization" || name == "proxy-authorization") {
    auto space = value.find(' ');  // keep the scheme ("Bearer", "Basic"), never the value
    return original + ": " + std::string(value.substr(0, space)) + " <redacted>";
  }
  if (name == "cookie" || name == "set-cookie" || name == "x-amz-security-token") return original + ": <redacted>";
  if (name == "location") return original + ": " + redactUrl(value);
  return std::string(header);
}

}  // namespace ferry::log
