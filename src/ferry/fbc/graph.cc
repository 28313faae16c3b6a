#include "ferry/fbc/graph.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "ferry/base/error.h"

namespace ferry::catalog {

ChannelGraph::ChannelGraph(const Channel& channel) : channel_(channel) {
  // A duplicated entry name is a validation error of its own; the first one counts here.
  for (const auto& entry : channel.entries) byName_.emplace(entry.name, &entry);
}

const ChannelEntry* ChannelGraph::find(const std::string& name) const {
  auto found = byName_.find(name);
  return found == byName_.end() ? nullptr : found->second;
}

std::vector<const ChannelEntry*> ChannelGraph::heads() const {
  // opm's rule: an entry is the head when no entry names it in `replaces` or
  // `skips`. skipRange is not an edge.
  std::unordered_set<std::string_view> incoming;
  for (const auto& entry : channel_.entries) {
    if (!entry.replaces.empty()) incoming.insert(entry.replaces);
    for (const auto& skip : entry.skips) incoming.insert(skip);
  }
  std::vector<const ChannelEntry*> heads;
  for (const auto& [name, entry] : byName_)  // one per name
    if (!incoming.contains(name)) heads.push_back(entry);
  std::sort(heads.begin(), heads.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
  return heads;
}

const ChannelEntry& ChannelGraph::head() const {
  auto found = heads();
  if (found.size() == 1) return *found.front();
  if (found.empty())
    fail("package \"{}\", channel \"{}\": no channel head found in graph (every entry is replaced or skipped by "
         "another entry, so the upgrade edges form a cycle)",
         channel_.package, channel_.name);
  std::vector<std::string_view> names;
  for (const auto* entry : found) names.push_back(entry->name);
  fail("package \"{}\", channel \"{}\": multiple channel heads found in graph: {} (nothing replaces or skips "
       "these entries, but a channel has exactly one head)",
       channel_.package, channel_.name, fmt::join(names, ", "));
}

std::vector<const ChannelEntry*> ChannelGraph::replacesChain(const std::string& from) const {
  std::vector<const ChannelEntry*> chain;
  std::unordered_map<std::string_view, size_t> position;
  for (const ChannelEntry* entry = find(from); entry != nullptr; entry = find(entry->replaces)) {
    if (auto seen = position.find(entry->name); seen != position.end()) {
      std::vector<std::string_view> cycle;
      for (size_t i = seen->second; i < chain.size(); ++i) cycle.push_back(chain[i]->name);
      cycle.push_back(entry->name);
      fail("package \"{}\", channel \"{}\": detected cycle in replaces chain of upgrade graph: {}", channel_.package,
           channel_.name, fmt::join(cycle, " -> "));
    }
    position.emplace(entry->name, chain.size());
    chain.push_back(entry);
  }
  return chain;
}

}  // namespace ferry::catalog
