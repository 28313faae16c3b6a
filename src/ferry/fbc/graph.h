// The upgrade graph of one channel, as opm and OLM read it: entries linked by
// `replaces` and `skips` edges (skipRange creates no edge here).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ferry/fbc/fbc.h"

namespace ferry::catalog {

class ChannelGraph {
 public:
  explicit ChannelGraph(const Channel& channel);

  // The single entry nothing replaces or skips. Throws ferry::Error naming the
  // package and channel when there is none, or more than one (listed).
  const ChannelEntry& head() const;
  // Every entry nothing replaces or skips, sorted by name: the head when the
  // graph is valid. For callers that report rather than throw (validation).
  std::vector<const ChannelEntry*> heads() const;
  // The entry called `name`, or null.
  const ChannelEntry* find(const std::string& name) const;
  // The replaces chain from `from` down to the tail, `from` first; stops at a
  // name that is not an entry. Throws on a cycle.
  std::vector<const ChannelEntry*> replacesChain(const std::string& from) const;

 private:
  const Channel& channel_;  // must outlive the graph: the index points into it
  std::unordered_map<std::string_view, const ChannelEntry*> byName_;
};

}  // namespace ferry::catalog
