// Which releases a `mirror.platform` asks for: channel resolution, as oc-mirror
// v2 does it (docs/releases.md has the table with examples).
//
// Per channel, the range comes from the channel's graph, versions sorted as
// semver (pre-releases below their release):
//
//   minVersion and maxVersion   [min, max]
//   neither, full: false        [head, head]      the channel head only (the default)
//   neither, full: true         [first, head]
//   only minVersion             [min, head]
//   only maxVersion             [first, max]      whatever full says
//
// Without shortestPath every node of the channel in the range is taken. With
// it, the nodes of one shortest upgrade path min → max: a breadth-first walk
// whose neighbours are visited in descending semver order (so the answer is
// the same every time), plus min and max themselves; no path gives min and max.
// Conditional edges (updates with known risks) are walked only with
// ResolveOptions::includeConditionalEdges (oc-mirror never walks them).
//
// With more than one OCP channel, the upgrade across them is added: from the
// lowest minimum (its channel) to the highest maximum (its channel); channels
// of one minor (fast-4.14, stable-4.14) by the shortest path in the target;
// otherwise the source channel's head, then per next minor the channel
// <source prefix>-X.Y+1 (the target's own name on the last hop) from the
// previous head to its head, or to the requested maximum at the end. OKD
// channels take no part in it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ferry/release/update_graph.h"

namespace ferry::release {

struct ChannelRequest {
  std::string name;
  bool okd = false;
  std::string minVersion;  // empty: unbounded
  std::string maxVersion;
  bool shortestPath = false;
  bool full = false;
};

// The graph of one channel for one architecture (from the server, or from the
// saved answer). Throws Error when it cannot be had.
using GraphSource = std::function<const UpdateGraph&(const std::string& channel, bool okd, const std::string& arch)>;

struct ResolveOptions {
  bool includeConditionalEdges = false;
};

struct ChosenRelease {
  std::string version;
  std::string payload;  // the graph's pull spec (by digest)
  std::string channel;  // the channel it was found in
  bool okd = false;
  std::string reason;   // why it was chosen, for the dry run and `list releases`
};

// A channel's resolved range, as the table above gives it; throws Error
// "no cluster versions found" for a channel without nodes.
struct VersionBounds {
  std::string min, max;
};
VersionBounds channelBounds(const UpdateGraph& graph, const ChannelRequest& channel, const std::string& arch);

// The node indexes of one shortest path from `from` to `to` (both included);
// empty when there is none.
std::vector<size_t> shortestPath(const UpdateGraph& graph, size_t from, size_t to, bool includeConditionalEdges);

// The releases of `channels` for `arch`, deduplicated by payload, sorted by
// version. Throws Error for a channel that cannot be resolved (no versions, a
// version not in the channel, no graph).
std::vector<ChosenRelease> resolveChannels(const std::vector<ChannelRequest>& channels, const std::string& arch,
                                           const GraphSource& graphs, const ResolveOptions& options,
                                           std::vector<std::string>& warnings);

// "stable-4.18" → {"stable", 4, 18}; nullopt for a name without -X.Y at the end.
struct ChannelName {
  std::string prefix;
  int major = 0, minor = 0;
};
std::optional<ChannelName> parseChannelName(const std::string& name);

}  // namespace ferry::release
