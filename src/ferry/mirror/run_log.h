// What a mirror run tells its user as it goes: notes ("reading catalog …"),
// warnings, and errors with the exit-code bit they set (mirror.h). Every phase
// reports here; the run copies it into its report.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace ferry::mirror {

// Exit-code bits, as oc-mirror v2.
inline constexpr int kExitGeneric = 1;
inline constexpr int kExitRelease = 2;
inline constexpr int kExitOperator = 4;
inline constexpr int kExitAdditional = 8;
inline constexpr int kExitHelm = 16;

struct RunLog {
  std::function<void(const std::string&)> onNote;  // live lines; may be empty
  int exitCode = 0;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;

  void note(const std::string& line) const {
    if (onNote) onNote(line);
  }
  void warn(const std::string& line) {
    warnings.push_back(line);
    note("warning: " + line);
  }
  void error(int exitBit, const std::string& line) {
    exitCode |= exitBit;
    errors.push_back(line);
  }
};

}  // namespace ferry::mirror
