#include "ferry/transport/capabilities.h"

#include <algorithm>

namespace ferry {

std::vector<Descriptor> filterReferrers(std::vector<Descriptor> referrers, const std::string& artifactType) {
  if (artifactType.empty()) return referrers;
  std::erase_if(referrers, [&](const Descriptor& referrer) { return referrer.artifactType != artifactType; });
  return referrers;
}

std::string referrersTag(const Digest& subject) { return std::string(subject.algorithm()) + "-" + std::string(subject.hex()); }

}  // namespace ferry
