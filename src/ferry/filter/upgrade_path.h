// Keeping part of a channel without breaking its upgrade graph.
//
// A channel is valid for opm (and installable by OLM) when exactly one entry,
// the head, has no incoming `replaces`/`skips` edge, and every other entry is
// either on the replaces chain walked from the head (the walk stops at an entry
// that something skips) or skipped by an entry (fbc.md §2.3). Keeping an
// arbitrary subset of entries easily breaks that: a second head appears, or an
// entry is stranded. The functions here choose subsets that keep it.
//
// selectVersionRange is catalog-filter's filterByVersionRange (the filter
// oc-mirror v2 uses): it walks the replaces chain from the head, keeps the
// segment that holds every in-range bundle plus the in-range bundles those
// chain entries skip, and keeps out-of-range chain entries in between so the
// path stays connected. addWithUpgradePath adds one entry (a dependency) with
// the entries that connect it to the channel head.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ferry/fbc/fbc.h"
#include "ferry/fbc/graph.h"
#include "ferry/fbc/semver.h"

namespace ferry::catalog {

// minVersion/maxVersion, both inclusive, compared with semver precedence
// (pre-releases are ordinary versions: 1.2.3-4 is within >=1.2.0).
struct VersionBounds {
  std::optional<Version> min;
  std::optional<Version> max;

  bool empty() const { return !min && !max; }
  bool contains(const Version& version) const;
  // min and max are the same version: one bundle is asked for.
  bool pinned() const { return min && max && *min == *max; }
  // ">=1.0.0 <=2.0.0", ">=1.0.0" or "<=2.0.0".
  std::string text() const;
};

// A bundle's version by name; null when unknown or unparsable.
using VersionLookup = std::function<const Version*(const std::string& bundle)>;

struct RangeSelection {
  std::set<std::string> entries;  // empty: nothing in range on the chain
  std::string head;               // the head of the kept entries
  // Kept entries outside the bounds (or without a version), kept only to keep
  // the upgrade path connected, in chain order.
  std::vector<std::string> connectors;
};

// catalog-filter's algorithm (fbc.md §3.3), with one difference: a `skips`
// naming a bundle that is not an entry of this channel is ignored (catalog-filter
// would keep that bundle in no channel, which opm rejects). When the kept
// entries would still be invalid for opm, the entries that connect them are
// added (and listed as connectors). Throws what ChannelGraph throws.
RangeSelection selectVersionRange(const Channel& channel, const ChannelGraph& graph, const VersionLookup& versionOf,
                                  const VersionBounds& bounds);

// The entries of `kept` that opm would reject if `root` were the channel head:
// neither on the replaces chain walked from `root` nor skipped by a kept entry
// (this covers second heads as well as stranded entries). Sorted.
std::vector<std::string> unconnectedEntries(const Channel& channel, const std::set<std::string>& kept,
                                            const std::string& root);

// Adds `entry` to the kept entries of `channel` together with the entries on
// its upgrade path: the replaces chain between it and the head of the kept
// entries (or, when that head cannot reach it, the channel head), walked the
// way opm walks it, so entries the head skips are jumped over, not kept; an
// entry off that chain is reached through an entry that skips it. Returns the
// names added (including `entry` unless it was kept already), or nothing when
// the channel's graph offers no path.
std::optional<std::set<std::string>> addWithUpgradePath(const Channel& channel, const ChannelGraph& graph,
                                                        const std::set<std::string>& kept, const std::string& entry);

}  // namespace ferry::catalog
