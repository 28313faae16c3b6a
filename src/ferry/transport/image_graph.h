// The graph of manifests under an image: an index, its (possibly nested)
// child indexes and manifests. Blobs are not fetched, only listed.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ferry/transport/image_store.h"

namespace ferry {

struct ImageGraph {
  RawManifest raw;
  Manifest manifest;
  // One entry per child descriptor of an index, in the index's order.
  std::vector<ImageGraph> children;
  // False for a child left unread (see ChildSkip): raw has only the descriptor's
  // digest and media type, and the node has no manifest, no children, no blobs.
  bool fetched = true;

  // Every distinct manifest under and including this one, children before
  // their parents (the order they can be pushed in).
  std::vector<const ImageGraph*> bottomUp() const;
  // Every distinct blob (configs and layers) of every manifest in the graph.
  std::vector<Descriptor> blobs() const;
};

// Reads the manifest `reference` names and, recursively, every child of an index.
// Errors name the image and the child that failed.
ImageGraph fetchImageGraph(ImageSource& source, const std::string& reference);
// The same for a top manifest already read.
ImageGraph fetchImageGraph(ImageSource& source, RawManifest top);

// Says, for child `index` of the index `parent`, that it is not needed and is
// not to be read (a platform a selection drops; a sparse archive lacks it).
using ChildSkip = std::function<bool(const Manifest& parent, size_t index)>;
ImageGraph fetchImageGraph(ImageSource& source, RawManifest top, const ChildSkip& skip);

// Reads a small blob (an image config, at most 4 MiB) into memory, verified against its digest.
std::string readSmallBlob(ImageSource& source, const Descriptor& blob);

}  // namespace ferry
