#include "ferry/release/resolve.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "ferry/base/error.h"
#include "ferry/fbc/semver.h"

namespace ferry::release {
namespace {

using catalog::Version;

// The graph's nodes with a semver version, lowest first.
std::vector<std::pair<Version, size_t>> sortedNodes(const UpdateGraph& graph) {
  std::vector<std::pair<Version, size_t>> sorted;
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    if (auto version = Version::tryParse(graph.nodes[i].version)) sorted.emplace_back(std::move(*version), i);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return sorted;
}

Version parseBound(const std::string& text, const ChannelRequest& channel, const char* field) {
  auto version = Version::tryParse(text);
  if (!version)
    fail(ErrorKind::InvalidInput, "channel {}: {} \"{}\" is not a semantic version (X.Y.Z)", channel.name, field, text);
  return *version;
}

class Collector {
 public:
  void add(const UpdateGraph& graph, size_t node, const std::string& channel, bool okd, const std::string& reason) {
    const auto& n = graph.nodes[node];
    if (!seen_.insert(n.payload).second) return;
    releases_.push_back({.version = n.version, .payload = n.payload, .channel = channel, .okd = okd, .reason = reason});
  }
  std::vector<ChosenRelease> take() {
    std::stable_sort(releases_.begin(), releases_.end(), [](const ChosenRelease& a, const ChosenRelease& b) {
      auto va = Version::tryParse(a.version), vb = Version::tryParse(b.version);
      if (va && vb && *va != *vb) return *va < *vb;
      return false;
    });
    return std::move(releases_);
  }

 private:
  std::set<std::string> seen_;
  std::vector<ChosenRelease> releases_;
};

size_t requireNode(const UpdateGraph& graph, const std::string& version, const std::string& channel,
                   const std::string& arch) {
  auto node = graph.find(version);
  if (!node)
    fail(ErrorKind::NotFound, "version {} is not in the {} channel for {}; pick a version the channel lists "
         "(ferry list releases --channel {})", version, channel, arch, channel);
  return *node;
}

// Adds the nodes of the shortest path from → to (and from and to), with `why` as their reason.
void addPath(Collector& out, const UpdateGraph& graph, size_t from, size_t to, const std::string& channel, bool okd,
             bool conditional, const std::string& why) {
  auto path = shortestPath(graph, from, to, conditional);
  out.add(graph, from, channel, okd, why);
  for (size_t node : path) out.add(graph, node, channel, okd, why);
  out.add(graph, to, channel, okd, why);
}

std::string headOf(const UpdateGraph& graph) {
  auto sorted = sortedNodes(graph);
  return sorted.empty() ? std::string() : graph.nodes[sorted.back().second].version;
}

}  // namespace

std::optional<ChannelName> parseChannelName(const std::string& name) {
  auto dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0) return std::nullopt;
  auto suffix = name.substr(dash + 1);
  auto dot = suffix.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == suffix.size()) return std::nullopt;
  auto digits = [](const std::string& text) {
    return !text.empty() && text.size() < 6 && text.find_first_not_of("0123456789") == std::string::npos;
  };
  auto major = suffix.substr(0, dot), minor = suffix.substr(dot + 1);
  if (!digits(major) || !digits(minor)) return std::nullopt;
  return ChannelName{.prefix = name.substr(0, dash), .major = std::stoi(major), .minor = std::stoi(minor)};
}

VersionBounds channelBounds(const UpdateGraph& graph, const ChannelRequest& channel, const std::string& arch) {
  auto sorted = sortedNodes(graph);
  if (sorted.empty())
    fail(ErrorKind::NotFound, "no cluster versions found for \"{}\" in the \"{}\" channel; check the channel name and "
         "architecture", arch, channel.name);
  auto first = graph.nodes[sorted.front().second].version, head = graph.nodes[sorted.back().second].version;
  bool hasMin = !channel.minVersion.empty(), hasMax = !channel.maxVersion.empty();
  if (hasMin) parseBound(channel.minVersion, channel, "minVersion");
  if (hasMax) parseBound(channel.maxVersion, channel, "maxVersion");
  if (hasMin && hasMax) return {channel.minVersion, channel.maxVersion};
  if (hasMin) return {channel.minVersion, head};
  if (hasMax) return {first, channel.maxVersion};
  return channel.full ? VersionBounds{first, head} : VersionBounds{head, head};
}

std::vector<size_t> shortestPath(const UpdateGraph& graph, size_t from, size_t to, bool includeConditionalEdges) {
  if (from >= graph.nodes.size() || to >= graph.nodes.size()) return {};
  if (from == to) return {from};
  std::vector<std::vector<size_t>> next(graph.nodes.size());
  for (const auto& [a, b] : graph.edges) next[a].push_back(b);
  if (includeConditionalEdges)
    for (const auto& edge : graph.conditionalEdges) {
      auto a = graph.find(edge.from), b = graph.find(edge.to);
      if (a && b) next[*a].push_back(*b);
    }
  std::vector<std::optional<Version>> versions;
  for (const auto& node : graph.nodes) versions.push_back(Version::tryParse(node.version));
  for (auto& targets : next) {
    std::sort(targets.begin(), targets.end());
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
    // Descending semver: the walk prefers the newest next step, so the path is the same every time.
    std::stable_sort(targets.begin(), targets.end(), [&](size_t a, size_t b) {
      if (versions[a] && versions[b]) return *versions[b] < *versions[a];
      return versions[a].has_value() && !versions[b].has_value();
    });
  }
  std::vector<std::optional<size_t>> parent(graph.nodes.size());
  std::vector<bool> visited(graph.nodes.size(), false);
  std::deque<size_t> queue{from};
  visited[from] = true;
  while (!queue.empty()) {
    auto node = queue.front();
    queue.pop_front();
    if (node == to) break;
    for (size_t target : next[node]) {
      if (visited[target]) continue;
      visited[target] = true;
      parent[target] = node;
      queue.push_back(target);
    }
  }
  if (!visited[to]) return {};
  std::vector<size_t> path{to};
  while (path.back() != from) path.push_back(*parent[path.back()]);
  std::reverse(path.begin(), path.end());
  return path;
}

std::vector<ChosenRelease> resolveChannels(const std::vector<ChannelRequest>& channels, const std::string& arch,
                                           const GraphSource& graphs, const ResolveOptions& options,
                                           std::vector<std::string>& warnings) {
  Collector out;
  struct Resolved {
    const ChannelRequest* request;
    VersionBounds bounds;
  };
  std::vector<Resolved> ocp;
  for (const auto& channel : channels) {
    const auto& graph = graphs(channel.name, channel.okd, arch);
    auto bounds = channelBounds(graph, channel, arch);
    auto min = Version::parse(bounds.min), max = Version::parse(bounds.max);
    if (max < min)
      fail(ErrorKind::InvalidInput, "channel {}: minVersion {} is above maxVersion {}", channel.name, bounds.min,
           bounds.max);
    bool headOnly = channel.minVersion.empty() && channel.maxVersion.empty() && !channel.full;
    if (!channel.okd) ocp.push_back({&channel, bounds});
    if (auto name = parseChannelName(channel.name); name && name->prefix.starts_with("eus") &&
                                                    (max.minor > min.minor + 1 || max.major != min.major))
      warnings.push_back(fmt::format("channel {}: the range {} to {} spans more than one minor of an EUS channel",
                                     channel.name, bounds.min, bounds.max));
    if (channel.shortestPath) {
      auto from = requireNode(graph, bounds.min, channel.name, arch);
      auto to = requireNode(graph, bounds.max, channel.name, arch);
      if (shortestPath(graph, from, to, options.includeConditionalEdges).empty() && from != to)
        warnings.push_back(fmt::format("channel {}: no upgrade path from {} to {} for {}{}; only those two are "
                                       "mirrored", channel.name, bounds.min, bounds.max, arch,
                                       options.includeConditionalEdges ? "" : " (conditional edges not used)"));
      addPath(out, graph, from, to, channel.name, channel.okd, options.includeConditionalEdges,
              headOnly ? fmt::format("head of {}", channel.name)
                       : fmt::format("on the shortest upgrade path {} -> {} in {}", bounds.min, bounds.max,
                                     channel.name));
      continue;
    }
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
      auto version = Version::tryParse(graph.nodes[i].version);
      if (!version) {
        warnings.push_back(fmt::format("channel {}: node version \"{}\" is not semver; skipped", channel.name,
                                       graph.nodes[i].version));
        continue;
      }
      if (*version < min || max < *version) continue;
      out.add(graph, i, channel.name, channel.okd,
              headOnly ? fmt::format("head of {}", channel.name)
                       : fmt::format("in {} between {} and {}", channel.name, bounds.min, bounds.max));
    }
  }

  // The upgrade across OCP channels.
  if (ocp.size() > 1) {
    const Resolved* start = &ocp.front();
    const Resolved* end = &ocp.front();
    for (const auto& r : ocp) {
      if (Version::parse(r.bounds.min) < Version::parse(start->bounds.min)) start = &r;
      if (Version::parse(end->bounds.max) < Version::parse(r.bounds.max)) end = &r;
    }
    const auto& startName = start->request->name;
    const auto& endName = end->request->name;
    auto why = fmt::format("on the upgrade path {} ({}) -> {} ({})", start->bounds.min, startName, end->bounds.max,
                           endName);
    auto source = parseChannelName(startName), target = parseChannelName(endName);
    if (start == end) {
      const auto& graph = graphs(startName, false, arch);
      addPath(out, graph, requireNode(graph, start->bounds.min, startName, arch),
              requireNode(graph, end->bounds.max, endName, arch), startName, false, options.includeConditionalEdges,
              why);
    } else if (!source || !target || source->major != target->major) {
      warnings.push_back(fmt::format("channels {} and {}: no upgrade path between them is added (their names do not "
                                     "end in one major's X.Y)", startName, endName));
    } else if (source->minor == target->minor) {
      const auto& graph = graphs(endName, false, arch);
      if (!graph.find(start->bounds.min)) {
        warnings.push_back(fmt::format("channels {} and {}: {} is not in {}, so no path between them is added",
                                       startName, endName, start->bounds.min, endName));
      } else {
        addPath(out, graph, *graph.find(start->bounds.min), requireNode(graph, end->bounds.max, endName, arch),
                endName, false, options.includeConditionalEdges, why);
      }
    } else if (source->minor < target->minor) {
      const auto& first = graphs(startName, false, arch);
      auto current = headOf(first);
      addPath(out, first, requireNode(first, start->bounds.min, startName, arch), *first.find(current), startName,
              false, options.includeConditionalEdges, why);
      for (int minor = source->minor + 1; minor <= target->minor; ++minor) {
        bool last = minor == target->minor;
        auto name = last ? endName : fmt::format("{}-{}.{}", source->prefix, source->major, minor);
        const auto& graph = graphs(name, false, arch);
        auto from = graph.find(current);
        if (!from) {
          warnings.push_back(fmt::format("upgrade path {} -> {}: {} is not in {}; the path stops there", startName,
                                         endName, current, name));
          break;
        }
        auto goal = last ? end->bounds.max : headOf(graph);
        addPath(out, graph, *from, requireNode(graph, goal, name, arch), name, false, options.includeConditionalEdges,
                why);
        current = goal;
      }
    }
  }
  return out.take();
}

}  // namespace ferry::release
