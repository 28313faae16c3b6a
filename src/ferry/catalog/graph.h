// The upgrade graph of one channel, as opm and OLM read it: entries linked by
// `replaces` and `skips` edges (skipRange creates no edge here).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ferry/catalog/fbc.h"

namespace ferry::catalog {

class ChannelGraph {
 public:
  explicit ChannelGraph(const Channel& channel);

  // The single entry nothing replaces or skips. Throws ferry::Error naming the
  // package and channel when there is none, or more than one (listed).
  const ChannelEntry& head() const;
  // The entry called `name`, or null.
  const ChannelEntry* find(const std::string& name) const;
  // The replaces chain from `from` down to the tail, `from` first; stops at a
  // name that is not an entry. Throws on a cycle.
  std::vector<const ChannelEntry*> replacesChain(const std::string& from) const;

 private:
  const Channel& channel_;
  std::map<std::string, const ChannelEntry*> byName_;
};

}  // namespace ferry::catalog
