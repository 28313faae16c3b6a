#include "ferry/copy/platform_filter.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "ferry/base/error.h"

namespace ferry {
namespace {

using nlohmann::ordered_json;

constexpr const char* kReferenceDigest = "vnd.docker.reference.digest";

ordered_json platformJson(const Platform& platform) {
  ordered_json out{{"architecture", platform.architecture}, {"os", platform.os}};
  if (!platform.variant.empty()) out["variant"] = platform.variant;
  if (!platform.osVersion.empty()) out["os.version"] = platform.osVersion;
  return out;
}

class Filter {
 public:
  Filter(const PlatformSelection& selection, const ConfigReader& readConfig, FilteredImage& out)
      : selection_(selection), readConfig_(readConfig), out_(out) {}

  // The narrowed node, or nullopt when none of its children is kept.
  std::optional<ImageGraph> narrow(const ImageGraph& node) {
    const auto& descriptors = node.manifest.manifests;
    std::vector<std::optional<ImageGraph>> keptChildren(descriptors.size());
    std::vector<std::optional<Platform>> filledPlatforms(descriptors.size());
    std::set<std::string> keptDigests;
    std::vector<size_t> unplatformed;
    bool childChanged = false;

    for (size_t i = 0; i < descriptors.size(); ++i) {
      const auto& descriptor = descriptors[i];
      const auto& child = node.children[i];
      if (child.manifest.isIndex) {
        auto narrowed = narrow(child);
        if (narrowed) {
          childChanged |= narrowed->raw.digest != child.raw.digest;
          keptDigests.insert(descriptor.digest.str());
          keptChildren[i] = std::move(narrowed);
        }
        continue;
      }
      bool described = descriptor.platform && !descriptor.platform->os.empty() &&
                       !descriptor.platform->architecture.empty();
      if (described && !descriptor.platform->isReal()) {
        unplatformed.push_back(i);  // attestations and artifacts: decided once the images are
        continue;
      }
      Platform platform = described ? *descriptor.platform : platformFromConfig(descriptor, child);
      if (!described) filledPlatforms[i] = platform;
      bool kept = selection_.matches(platform);
      out_.decisions.push_back(ChildDecision{descriptor.digest, platform, kept, kept ? "selected" : "not selected"});
      if (kept) {
        keptDigests.insert(descriptor.digest.str());
        keptChildren[i] = child;
        ++keptImages_;
        lastKeptImage_ = child;
      }
    }
    for (size_t i : unplatformed) {
      const auto& descriptor = descriptors[i];
      auto reference = descriptor.annotations.find(kReferenceDigest);
      bool kept = reference != descriptor.annotations.end() && keptDigests.count(reference->second) > 0;
      out_.decisions.push_back(ChildDecision{descriptor.digest, *descriptor.platform, kept,
                                             kept ? "refers to a kept image" : "refers to no kept image"});
      if (kept) keptChildren[i] = node.children[i];
    }

    ImageGraph result{.raw = node.raw, .manifest = node.manifest, .children = {}};
    size_t keptCount = 0;
    for (const auto& child : keptChildren) keptCount += child ? 1 : 0;
    if (keptCount == 0) return std::nullopt;
    bool platformsFilled = false;
    for (const auto& filled : filledPlatforms) platformsFilled |= filled.has_value();
    bool unchanged = keptCount == descriptors.size() && !childChanged && !platformsFilled;
    if (unchanged || selection_.sparse) {
      for (auto& child : keptChildren)
        if (child) result.children.push_back(std::move(*child));
      return result;
    }

    // A new index: the source's document with only the kept entries, each
    // entry's JSON as it was but for a filled-in platform or a narrowed child.
    auto document = ordered_json::parse(node.raw.bytes);
    ordered_json entries = ordered_json::array();
    for (size_t i = 0; i < descriptors.size(); ++i) {
      if (!keptChildren[i]) continue;
      ordered_json entry = document["manifests"][i];
      if (filledPlatforms[i]) entry["platform"] = platformJson(*filledPlatforms[i]);
      if (keptChildren[i]->raw.digest != node.children[i].raw.digest) {
        entry["digest"] = keptChildren[i]->raw.digest.str();
        entry["size"] = keptChildren[i]->raw.bytes.size();
      }
      entries.push_back(entry);
      result.children.push_back(std::move(*keptChildren[i]));
    }
    document["manifests"] = entries;
    result.raw = RawManifest::of(document.dump(), node.raw.mediaType);
    result.manifest = Manifest::parse(result.raw.bytes, result.raw.mediaType);
    return result;
  }

  int keptImages() const { return keptImages_; }
  const std::optional<ImageGraph>& lastKeptImage() const { return lastKeptImage_; }

 private:
  Platform platformFromConfig(const Descriptor& descriptor, const ImageGraph& child) {
    if (child.manifest.config) {
      try {
        auto config = ImageConfig::parse(readConfig_(*child.manifest.config));
        if (config.platform.isReal()) return config.platform;
      } catch (const Error&) {
        // An unreadable config is treated like one without a platform, below.
      }
    }
    out_.warnings.push_back(fmt::format("{} has no platform in its index entry or its config; treating it as linux/amd64",
                                        descriptor.digest.str()));
    return Platform{.os = "linux", .architecture = "amd64"};
  }

  const PlatformSelection& selection_;
  const ConfigReader& readConfig_;
  FilteredImage& out_;
  int keptImages_ = 0;
  std::optional<ImageGraph> lastKeptImage_;
};

std::string platformsOf(const FilteredImage& image) {
  std::set<std::string> names;
  for (const auto& decision : image.decisions)
    if (decision.platform.isReal()) names.insert(decision.platform.str());
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

bool PlatformSelection::matches(const Platform& platform) const {
  for (const auto& wanted : platforms)
    if (wanted.sameAs(platform)) return true;
  return false;
}

std::vector<Platform> PlatformSelection::parseList(const std::vector<std::string>& values) {
  std::vector<Platform> out;
  for (const auto& value : values) {
    size_t start = 0;
    while (start <= value.size()) {
      auto comma = value.find(',', start);
      auto item = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!item.empty()) out.push_back(Platform::parse(item));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

ChildSkip skipUnselected(const PlatformSelection& selection) {
  if (!selection.active()) return nullptr;
  return [selection](const Manifest& parent, size_t index) {
    auto dropped = [&](const Descriptor& descriptor) {
      return descriptor.platform && descriptor.platform->isReal() && !selection.matches(*descriptor.platform);
    };
    const auto& descriptor = parent.manifests[index];
    if (dropped(descriptor)) return true;
    if (!descriptor.platform || descriptor.platform->isReal()) return false;
    auto reference = descriptor.annotations.find(kReferenceDigest);
    if (reference == descriptor.annotations.end()) return false;
    for (const auto& sibling : parent.manifests)
      if (sibling.digest.str() == reference->second) return dropped(sibling);
    return false;
  };
}

FilteredImage selectPlatforms(const ImageGraph& graph, const PlatformSelection& selection,
                              const ConfigReader& readConfig, const std::string& imageName) {
  FilteredImage out{.graph = graph};
  if (!selection.active() || !graph.manifest.isIndex) return out;  // a single-platform image is copied as it is

  Filter filter(selection, readConfig, out);
  auto narrowed = filter.narrow(graph);
  if (!narrowed) {
    std::string wanted;
    for (const auto& platform : selection.platforms) wanted += (wanted.empty() ? "" : ", ") + platform.str();
    fail("{} has none of the selected platforms ({}); it has: {}", imageName, wanted, platformsOf(out));
  }
  if (filter.keptImages() == 1 && !selection.keepIndex && !selection.sparse) {
    // Without an index there is nowhere to keep attestations of the image.
    for (auto& decision : out.decisions) {
      if (decision.kept && !decision.platform.isReal()) {
        decision.kept = false;
        decision.reason = "dropped with the index: the one kept image is pushed itself";
      }
    }
    out.graph = *filter.lastKeptImage();
    out.changed = true;
    return out;
  }
  out.changed = narrowed->raw.digest != graph.raw.digest;
  out.sparse = selection.sparse && narrowed->children.size() < graph.children.size();
  if (selection.sparse) {
    // Sparse keeps the original bytes: count the children actually left out anywhere.
    size_t all = 0, kept = 0;
    for (const auto& decision : out.decisions) {
      ++all;
      kept += decision.kept ? 1 : 0;
    }
    out.sparse = kept < all;
    out.changed = false;
  }
  out.graph = std::move(*narrowed);
  return out;
}

}  // namespace ferry
