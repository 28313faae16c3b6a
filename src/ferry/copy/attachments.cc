#include "ferry/copy/attachments.h"

#include <set>
#include <string_view>

#include "ferry/transport/capabilities.h"

namespace ferry {

std::vector<std::string> attachmentTagsFor(const std::vector<std::string>& tags, const std::vector<Digest>& subjects) {
  std::set<std::string, std::less<>> fallbackTags;
  for (const auto& subject : subjects) fallbackTags.insert(referrersTag(subject));
  std::vector<std::string> attached;
  for (const auto& tag : tags) {
    std::string_view base = tag;
    for (std::string_view suffix : {".sig", ".att", ".sbom"})
      if (base.ends_with(suffix)) {
        base.remove_suffix(suffix.size());
        break;
      }
    if (fallbackTags.contains(base)) attached.push_back(tag);
  }
  return attached;
}

}  // namespace ferry
