// One error style for all of ferry.
//
// An Error carries a message that says what failed, on which input, and — where
// the user can do something about it — what to try. Messages are written for a
// person reading one line on a terminal:
//
//   cannot read manifest 'docker://host/repo:tag': HTTP 404 (MANIFEST_UNKNOWN); check the tag exists
//
// It also carries a kind, for code that must act on what went wrong rather than
// print it: a referrers lookup that treats "not found" as "none", a retry layer
// that gives up on "unauthorized". The kind never replaces the message; most
// errors are ErrorKind::Other, and a kind is set where a caller can use it.
//
// Code throws ferry::Error; the CLI prints what() and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace ferry {

enum class ErrorKind {
  Other,
  // The user's input is wrong: a configuration, a reference, a flag value.
  InvalidInput,
  // The thing asked for does not exist: a manifest, tag, blob, repository, file.
  NotFound,
  // The credentials were refused or lack permission (HTTP 401, 403).
  Unauthorized,
  // The server could not be reached: unknown host, connection refused, TLS set-up.
  Unreachable,
  // Bytes do not match their digest or size.
  Integrity,
  // Well-formed but not something ferry (or the server) handles.
  Unsupported,
  // The destination holds something else under the name (a tag or digest clash).
  Conflict,
  // A deadline ran out.
  Timeout,
  // An input is over one of ferry's documented limits (size, depth, count).
  Limit,
};

// "not found", "unauthorized", ...: for messages and test output.
std::string_view errorKindName(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_ = ErrorKind::Other;
};

// Throws an Error (of kind Other) whose message is formatted with fmt.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Throws an Error of `kind` whose message is formatted with fmt.
template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(kind, fmt::format(format, std::forward<Args>(args)...));
}

inline std::string_view errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Other: return "other";
    case ErrorKind::InvalidInput: return "invalid input";
    case ErrorKind::NotFound: return "not found";
    case ErrorKind::Unauthorized: return "unauthorized";
    case ErrorKind::Unreachable: return "unreachable";
    case ErrorKind::Integrity: return "integrity";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::Conflict: return "conflict";
    case ErrorKind::Timeout: return "timeout";
    case ErrorKind::Limit: return "limit";
  }
  return "other";
}

}  // namespace ferry
