// The kind of the ferry::Error an action throws, for tests of error kinds.
#pragma once

#include <optional>

#include "ferry/base/error.h"

namespace ferry::testing {

// The kind of the Error `action` throws; nullopt when it throws none.
template <typename Action>
std::optional<ErrorKind> errorKindOf(Action&& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.kind();
  }
  return std::nullopt;
}

}  // namespace ferry::testing
