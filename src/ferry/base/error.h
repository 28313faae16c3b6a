// One error style for all of ferry.
//
// An Error carries a message that says what failed, on which input, and — where
// the user can do something about it — what to try. Messages are written for a
// person reading one line on a terminal:
//
//   cannot read manifest 'docker://host/repo:tag': HTTP 404 (MANIFEST_UNKNOWN); check the tag exists
//
// Code throws ferry::Error; the CLI prints what() and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace ferry {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws an Error whose message is formatted with fmt.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace ferry
