// Small string helpers shared across libraries.
#pragma once

#include <optional>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ferry {

// "a/b//c" split on '/' → {"a", "b", "", "c"}; an empty text gives {""}.
inline std::vector<std::string> splitString(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    auto at = text.find(separator, start);
    parts.emplace_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return parts;
}

// The nearest of `candidates` to `name` (ignoring case) when it is close enough
// to be a likely typo: at most a third of the candidate's letters differ. For
// "did you mean" in messages.
std::optional<std::string> nearestName(std::string_view name, const std::vector<std::string_view>& candidates);
// A size limit as messages and docs/limits.md state it: "2 GiB", "64 MiB", or "1000 bytes".
inline std::string limitText(uint64_t bytes) {
  if (bytes != 0 && bytes % (uint64_t{1} << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes != 0 && bytes % (uint64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace ferry
