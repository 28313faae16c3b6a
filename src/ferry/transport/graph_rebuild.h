// Remaking an image graph bottom-up with new image manifests (a layer added on
// top, a config changed) and the indexes above them re-pointed at the new
// children: the catalog rebuild and the release graph image both do this.
//
//   auto top = rebuildGraph(graph, {.image = addLayer, .stored = [&](auto& m) { out.putManifest(m, {}, false); }});
#pragma once

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>

#include "ferry/transport/image_graph.h"

namespace ferry {

struct GraphRebuild {
  // The replacement of an image manifest, or nullopt to leave it out of its
  // index; `described` is the platform its parent index gives it, if any.
  std::function<std::optional<RawManifest>(const ImageGraph& image, const std::optional<Platform>& described)> image;
  // Changes an index entry for its rebuilt child (digest and size are set already); may be empty.
  std::function<void(nlohmann::ordered_json& entry, const ImageGraph& child, const std::optional<Platform>& described)>
      entry;
  // Throws the error for an index none of whose children was kept.
  std::function<void(const ImageGraph& index)> nothingKept;
  // Each rebuilt manifest below the top, as it is made (children before parents).
  std::function<void(const RawManifest& manifest)> stored;
};

// The rebuilt top manifest, or nullopt when the top is an image left out. A
// manifest reached twice is rebuilt once.
std::optional<RawManifest> rebuildGraph(const ImageGraph& graph, const GraphRebuild& how);

}  // namespace ferry
