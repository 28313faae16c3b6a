// Narrowing a multi-platform image to chosen platforms.
//
// By default ferry copies every platform and keeps every digest. With a
// platform selection an index is narrowed in one of three ways:
//   - Filtered (default): a new index holding only the matching children, in
//     the source's order and format (a Docker list stays a Docker list), so it
//     has a new digest;
//   - when exactly one real platform matches, that child's manifest itself
//     becomes the image (as crane and `oc image mirror` do), unless keepIndex
//     asks for a one-entry index;
//   - Sparse: the original index bytes unchanged (original digest) with only
//     the selected children copied; registries must be configured to accept it.
// Children without a real platform (buildx attestations "unknown/unknown",
// artifacts) stay with the image they refer to (vnd.docker.reference.digest)
// and are dropped otherwise. Nested indexes are filtered recursively. A child
// whose descriptor lacks a platform takes it from its image config, else
// linux/amd64 with a warning. No index entry is ever written without a real
// platform.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ferry/transport/image_graph.h"
#include "ferry/oci/platform.h"

namespace ferry {

struct PlatformSelection {
  std::vector<Platform> platforms;  // empty: every platform, digests preserved
  bool keepIndex = false;           // a one-entry index instead of the single child's manifest
  bool sparse = false;              // push the original index, copy only the selected children

  bool active() const { return !platforms.empty(); }
  bool matches(const Platform& platform) const;
  // Parses "linux/amd64,linux/arm64" and repeated values.
  static std::vector<Platform> parseList(const std::vector<std::string>& values);
};

// What happened to one child of an index.
struct ChildDecision {
  Digest digest;
  Platform platform;    // as described, or as read from its image config
  bool kept = false;
  std::string reason;   // "selected", "not selected", "attestation for a kept image", ...
};

struct FilteredImage {
  ImageGraph graph;     // what to push: the narrowed graph (or the original when nothing changes)
  bool changed = false; // the top digest differs from the source's
  bool sparse = false;  // graph.raw is the original index but only some children are in graph.children
  std::vector<ChildDecision> decisions;  // every child of every index, in order
  std::vector<std::string> warnings;
};

// Reads a small blob (an image config) from the image's source.
using ConfigReader = std::function<std::string(const Descriptor&)>;

// The children a selection drops for certain, to leave unread when the graph is
// fetched (fetchImageGraph with a ChildSkip): those whose index entry names a
// real platform that is not selected, and attestations (no real platform) that
// refer to such a child. A sparse image in an archive lacks exactly these. No
// skip when the selection is empty.
ChildSkip skipUnselected(const PlatformSelection& selection);

// Narrows `graph` to `selection`. Throws Error naming the image when no
// platform matches (listing the platforms it has).
FilteredImage selectPlatforms(const ImageGraph& graph, const PlatformSelection& selection,
                              const ConfigReader& readConfig, const std::string& imageName);

}  // namespace ferry
