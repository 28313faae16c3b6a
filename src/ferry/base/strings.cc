#include "ferry/base/strings.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace ferry {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

}  // namespace

std::optional<std::string> nearestName(std::string_view name, const std::vector<std::string_view>& candidates) {
  std::optional<std::string> best;
  size_t bestDistance = SIZE_MAX;
  std::string lowered = lowercase(name);
  for (auto candidate : candidates) {
    size_t distance = editDistance(lowered, lowercase(candidate));
    size_t allowed = std::max<size_t>(1, candidate.size() / 3);
    if (distance <= allowed && distance < bestDistance) {
      best = std::string(candidate);
      bestDistance = distance;
    }
  }
  return best;
}

}  // namespace ferry
