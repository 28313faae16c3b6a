#include "ferry/transport/graph_rebuild.h"

#include <map>
#include <nlohmann/json.hpp>

namespace ferry {

namespace {

class Rebuild {
 public:
  explicit Rebuild(const GraphRebuild& how) : how_(how) {}

  std::optional<RawManifest> node(const ImageGraph& graph, const std::optional<Platform>& described, bool top) {
    if (auto done = rebuilt_.find(graph.raw.digest); done != rebuilt_.end()) return done->second;
    auto raw = graph.manifest.isIndex ? index(graph) : how_.image(graph, described);
    if (raw && !top && how_.stored) how_.stored(*raw);
    rebuilt_.emplace(graph.raw.digest, raw);
    return raw;
  }

 private:
  RawManifest index(const ImageGraph& graph) {
    auto document = nlohmann::ordered_json::parse(graph.raw.bytes);
    auto entries = nlohmann::ordered_json::array();
    for (size_t i = 0; i < graph.children.size(); ++i) {
      const auto& described = graph.manifest.manifests[i].platform;
      auto child = node(graph.children[i], described, false);
      if (!child) continue;
      nlohmann::ordered_json entry = document["manifests"][i];
      entry["digest"] = child->digest.str();
      entry["size"] = child->bytes.size();
      if (how_.entry) how_.entry(entry, graph.children[i], described);
      entries.push_back(std::move(entry));
    }
    if (entries.empty()) how_.nothingKept(graph);
    document["manifests"] = std::move(entries);
    return RawManifest::of(document.dump(), graph.raw.mediaType);
  }

  const GraphRebuild& how_;
  std::map<Digest, std::optional<RawManifest>> rebuilt_;
};

}  // namespace

std::optional<RawManifest> rebuildGraph(const ImageGraph& graph, const GraphRebuild& how) {
  return Rebuild(how).node(graph, std::nullopt, true);
}

}  // namespace ferry
