// `ferry inspect`: an image's graph as a tree for people or JSON for scripts.
#pragma once

#include <string>

#include "ferry/copy/image_graph.h"

namespace ferry {

// index → children with platform, media type, digest and size; manifests → config and layers.
std::string renderTree(const std::string& title, const ImageGraph& graph);
std::string renderJson(const std::string& reference, const ImageGraph& graph);
// "1.5 MiB", "312 B".
std::string humanBytes(int64_t bytes);

}  // namespace ferry
