// ferry's diagnostic log: what a failed run needs to be understood after the
// fact (each registry request, each decision such as a blob skipped or
// mounted), kept apart from the lines ferry prints for the user.
//
// Levels as oc-mirror's --log-level: error, warn, info, debug, trace. Lines go
// to stderr at the level the user chose (warn by default: ferry prints its own
// warnings, so by default the log adds nothing to stderr) and, for a run with a
// working directory, to a file there. A line that no sink wants costs one
// atomic load: the message is not formatted.
//
// Secrets never reach the log: callers log URLs through redactUrl() and never
// log request bodies or Authorization values; trace-level header dumps go
// through redactHeader(). A test greps a trace log for the password and token.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::log {

enum class Level { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Off = 5 };

// "error", "warn" (or "warning"), "info", "debug", "trace", any case; nullopt otherwise.
std::optional<Level> parseLevel(std::string_view text);
std::string_view levelName(Level level);

// The level of the stderr sink (Warn until set).
void setStderrLevel(Level level);
// Also writes lines at `level` and above to `file` (its folder is created),
// replacing an earlier log file. Throws Error when the file cannot be opened.
void openFile(const std::filesystem::path& file, Level level);
// Flushes and closes the log file, if any.
void closeFile();

namespace detail {
extern std::atomic<int> threshold;  // the lowest level any sink wants
void write(Level level, std::string_view message);
}  // namespace detail

inline bool enabled(Level level) {
  return static_cast<int>(level) >= detail::threshold.load(std::memory_order_relaxed);
}

template <typename... Args>
void at(Level level, fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(level)) detail::write(level, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void trace(fmt::format_string<Args...> format, Args&&... args) {
  at(Level::Trace, format, std::forward<Args>(args)...);
}
template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  at(Level::Debug, format, std::forward<Args>(args)...);
}
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  at(Level::Info, format, std::forward<Args>(args)...);
}

// A URL fit for a log: user:password@ removed, and every query value replaced
// by "..." except those known to carry no secret (n, last, digest, mount, from,
// service, scope). Signed object-storage URLs and upload states stay out.
std::string redactUrl(std::string_view url);
// "Name: value" with the value replaced for Authorization, Proxy-Authorization,
// Cookie and Set-Cookie, and for a Location header's query (see redactUrl).
std::string redactHeader(std::string_view header);

}  // namespace ferry::log
