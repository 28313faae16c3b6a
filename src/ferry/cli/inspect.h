// `ferry inspect`: an image's graph as a tree for people or JSON for scripts.
#pragma once

#include <string>

#include "ferry/transport/image_graph.h"
#include "ferry/copy/platform_filter.h"

namespace ferry {

// index → children with platform, media type, digest and size; manifests → config and layers.
// With a platform filter's result, each child of an index is marked [keep] or [drop].
std::string renderTree(const std::string& title, const ImageGraph& graph, const FilteredImage* filter = nullptr);

// What points at an image's manifests (copy/attachments.h): each tag, what it
// holds and, for a referrers fallback index, the referrers it lists.
struct Attachment {
  std::string tag;
  RawManifest manifest;
  std::vector<Descriptor> referrers;  // a fallback index's entries
};
// Found through the source's tags; none when it cannot list them.
std::vector<Attachment> findAttachments(ImageSource& source, const ImageGraph& graph);
std::string renderAttachments(const std::vector<Attachment>& attachments);

std::string renderJson(const std::string& reference, const ImageGraph& graph,
                       const std::vector<Attachment>& attachments = {});
// "1.5 MiB", "312 B".
std::string humanBytes(int64_t bytes);

}  // namespace ferry
