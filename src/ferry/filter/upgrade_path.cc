#include "ferry/filter/upgrade_path.h"

#include <algorithm>
#include <deque>
#include <map>

namespace ferry::catalog {
namespace {

// The edges of a channel's graph, indexed both ways.
struct ChannelEdges {
  std::map<std::string, const ChannelEntry*> byName;
  std::map<std::string, std::vector<const ChannelEntry*>> skippers;  // name → entries that skip it, entry order
  std::set<std::string> skipped;                                     // every name some entry skips

  explicit ChannelEdges(const Channel& channel) {
    for (const auto& entry : channel.entries) byName.emplace(entry.name, &entry);
    for (const auto& entry : channel.entries) {
      for (const auto& name : entry.skips) {
        skipped.insert(name);
        skippers[name].push_back(&entry);
      }
    }
  }

  const ChannelEntry* find(const std::string& name) const {
    auto found = byName.find(name);
    return found == byName.end() ? nullptr : found->second;
  }

  // Every entry an upgrade from `root` can reach through replaces and skips edges, root included.
  std::set<std::string> reachableFrom(const std::string& root) const {
    std::set<std::string> reached{root};
    std::deque<std::string> queue{root};
    while (!queue.empty()) {
      const ChannelEntry* entry = find(queue.front());
      queue.pop_front();
      if (!entry) continue;
      auto visit = [&](const std::string& name) {
        if (!name.empty() && find(name) && reached.insert(name).second) queue.push_back(name);
      };
      visit(entry->replaces);
      for (const auto& name : entry->skips) visit(name);
    }
    return reached;
  }

  // opm's replaces walk from `root` over the whole channel: it stops at an
  // entry that something skips. An entry on it stays on the walk of any subset
  // that keeps the entries above it, since a subset skips less.
  std::vector<std::string> spineFrom(const std::string& root) const {
    std::vector<std::string> spine{root};
    std::set<std::string> seen{root};
    const ChannelEntry* current = find(root);
    while (current && !current->replaces.empty()) {
      const std::string& next = current->replaces;
      if (skipped.count(next) || !find(next) || !seen.insert(next).second) break;
      spine.push_back(next);
      current = find(next);
    }
    return spine;
  }
};

// Adds to `kept` what it takes for every kept entry to be connected to `root`
// by opm's rules. False when some entry cannot be reached from `root`.
bool connectToRoot(const Channel& channel, const ChannelEdges& edges, std::set<std::string>& kept,
                   const std::string& root) {
  kept.insert(root);
  const auto reachable = edges.reachableFrom(root);
  const auto spine = edges.spineFrom(root);
  std::map<std::string, size_t> spineIndex;
  for (size_t i = 0; i < spine.size(); ++i) spineIndex.emplace(spine[i], i);

  while (true) {
    auto problems = unconnectedEntries(channel, kept, root);
    if (problems.empty()) return true;
    bool progressed = false;
    for (const auto& name : problems) {
      if (!reachable.count(name)) return false;
      if (auto onSpine = spineIndex.find(name); onSpine != spineIndex.end()) {
        for (size_t i = 1; i <= onSpine->second; ++i) progressed |= kept.insert(spine[i]).second;
        continue;
      }
      // Off the chain: an entry that skips it connects it. One on the chain
      // from the root costs the fewest extra entries; the nearest to the root first.
      const ChannelEntry* chosen = nullptr;
      size_t chosenIndex = spine.size();
      auto skippers = edges.skippers.find(name);
      if (skippers == edges.skippers.end()) return false;
      for (const ChannelEntry* skipper : skippers->second) {
        if (!reachable.count(skipper->name)) continue;
        auto index = spineIndex.find(skipper->name);
        size_t rank = index == spineIndex.end() ? spine.size() : index->second;
        if (!chosen || rank < chosenIndex) {
          chosen = skipper;
          chosenIndex = rank;
        }
      }
      if (!chosen) return false;
      progressed |= kept.insert(chosen->name).second;
    }
    if (!progressed) return false;
  }
}

// Kept entries nothing kept points to.
std::vector<std::string> headsOf(const Channel& channel, const std::set<std::string>& kept) {
  std::set<std::string> pointedTo;
  for (const auto& entry : channel.entries) {
    if (!kept.count(entry.name)) continue;
    if (!entry.replaces.empty()) pointedTo.insert(entry.replaces);
    pointedTo.insert(entry.skips.begin(), entry.skips.end());
  }
  std::vector<std::string> heads;
  for (const auto& name : kept) {
    if (!pointedTo.count(name)) heads.push_back(name);
  }
  return heads;
}

}  // namespace

bool VersionBounds::contains(const Version& version) const {
  if (min && version < *min) return false;
  if (max && version > *max) return false;
  return true;
}

std::string VersionBounds::text() const {
  std::string text;
  if (min) text = ">=" + min->str();
  if (max) text += (text.empty() ? "<=" : " <=") + max->str();
  return text;
}

RangeSelection selectVersionRange(const Channel& channel, const ChannelGraph& graph, const VersionLookup& versionOf,
                                  const VersionBounds& bounds) {
  ChannelEdges edges(channel);
  auto inRange = [&](const std::string& name) {
    if (!edges.find(name)) return false;
    const Version* version = versionOf(name);
    return version && bounds.contains(*version);
  };

  const auto chain = graph.replacesChain(graph.head().name);
  // counts[i]: distinct in-range bundles at or below chain[i], each counted
  // where the bottom-up walk meets it first (as a chain entry or a skip).
  std::vector<size_t> counts(chain.size(), 0);
  std::set<std::string> seen;
  for (size_t i = chain.size(); i-- > 0;) {
    size_t count = i + 1 < chain.size() ? counts[i + 1] : 0;
    const ChannelEntry& entry = *chain[i];
    if (inRange(entry.name) && seen.insert(entry.name).second) ++count;
    for (const auto& name : entry.skips) {
      if (inRange(name) && seen.insert(name).second) ++count;
    }
    counts[i] = count;
  }

  // The new head is the lowest chain entry that still has every in-range bundle
  // at or below it; the tail (excluded) the first entry with none.
  size_t newHead = 0, tail = chain.size();
  long maxCount = -1;
  for (size_t i = 0; i < chain.size(); ++i) {
    if (static_cast<long>(counts[i]) >= maxCount) {
      newHead = i;
      maxCount = static_cast<long>(counts[i]);
    }
    if (counts[i] == 0) {
      tail = i;
      break;
    }
  }

  RangeSelection selection;
  for (size_t i = newHead; i < tail; ++i) {
    const ChannelEntry& entry = *chain[i];
    selection.entries.insert(entry.name);
    if (!inRange(entry.name)) selection.connectors.push_back(entry.name);
    for (const auto& name : entry.skips) {
      if (inRange(name)) selection.entries.insert(name);
    }
  }
  if (selection.entries.empty()) return selection;
  selection.head = chain[newHead]->name;

  if (!unconnectedEntries(channel, selection.entries, selection.head).empty()) {
    auto repaired = selection.entries;
    if (connectToRoot(channel, edges, repaired, selection.head)) {
      for (const auto& entry : channel.entries) {
        if (repaired.count(entry.name) && !selection.entries.count(entry.name)) {
          selection.connectors.push_back(entry.name);
        }
      }
      selection.entries = std::move(repaired);
    }
  }
  return selection;
}

std::vector<std::string> unconnectedEntries(const Channel& channel, const std::set<std::string>& kept,
                                            const std::string& root) {
  std::map<std::string, const ChannelEntry*> byName;
  std::set<std::string> skipped;
  for (const auto& entry : channel.entries) {
    if (!kept.count(entry.name)) continue;
    byName.emplace(entry.name, &entry);
    skipped.insert(entry.skips.begin(), entry.skips.end());
  }
  std::set<std::string> chain{root};
  auto current = byName.find(root);
  while (current != byName.end() && !current->second->replaces.empty()) {
    const std::string& next = current->second->replaces;
    if (skipped.count(next) || !chain.insert(next).second) break;
    current = byName.find(next);
  }
  std::vector<std::string> unconnected;
  for (const auto& name : kept) {
    if (!chain.count(name) && !skipped.count(name)) unconnected.push_back(name);
  }
  return unconnected;
}

std::optional<std::set<std::string>> addWithUpgradePath(const Channel& channel, const ChannelGraph& graph,
                                                        const std::set<std::string>& kept, const std::string& entry) {
  if (kept.count(entry)) return std::set<std::string>{};
  ChannelEdges edges(channel);
  if (!edges.find(entry)) return std::nullopt;

  // Prefer connecting to what is kept already (a version range may have kept a
  // segment below the channel head): fewer bundles than going up to the head.
  std::vector<std::string> roots;
  if (!kept.empty()) {
    auto heads = headsOf(channel, kept);
    if (heads.size() == 1 && edges.reachableFrom(heads.front()).count(entry)) roots.push_back(heads.front());
  }
  const std::string& channelHead = graph.head().name;
  if (roots.empty() || roots.front() != channelHead) roots.push_back(channelHead);

  for (const auto& root : roots) {
    auto grown = kept;
    grown.insert(entry);
    if (!connectToRoot(channel, edges, grown, root)) continue;
    std::set<std::string> added;
    std::set_difference(grown.begin(), grown.end(), kept.begin(), kept.end(), std::inserter(added, added.end()));
    return added;
  }
  return std::nullopt;
}

}  // namespace ferry::catalog
