// `ferry inspect`: an image's graph as a tree for people or JSON for scripts.
#pragma once

#include <string>

#include "ferry/transport/image_graph.h"
#include "ferry/copy/platform_filter.h"

namespace ferry {

// index → children with platform, media type, digest and size; manifests → config and layers.
// With a platform filter's result, each child of an index is marked [keep] or [drop].
std::string renderTree(const std::string& title, const ImageGraph& graph, const FilteredImage* filter = nullptr);
std::string renderJson(const std::string& reference, const ImageGraph& graph);
// "1.5 MiB", "312 B".
std::string humanBytes(int64_t bytes);

}  // namespace ferry
