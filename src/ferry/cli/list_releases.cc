#include "ferry/cli/list_releases.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <regex>
#include <set>

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/fbc/semver.h"
#include "ferry/release/update_graph.h"

namespace ferry {
namespace {

using nlohmann::ordered_json;

constexpr const char* kChannelsKey = "io.openshift.upgrades.graph.release.channels";

const std::set<std::string>& knownArchs() {
  static const std::set<std::string> archs = {"amd64", "arm64", "ppc64le", "s390x", "multi"};
  return archs;
}

// The graph's versions, newest last.
std::vector<size_t> sortedVersions(const release::UpdateGraph& graph) {
  std::vector<size_t> order;
  for (size_t i = 0; i < graph.nodes.size(); ++i) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    auto va = catalog::Version::tryParse(graph.nodes[a].version), vb = catalog::Version::tryParse(graph.nodes[b].version);
    if (va && vb) return *va < *vb;
    return graph.nodes[a].version < graph.nodes[b].version;
  });
  return order;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    auto part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) parts.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

}  // namespace

mirror::ReleaseOptions releaseOptionsFrom(const std::string& updateUrl, const RetryFlags& retries, bool quiet) {
  mirror::ReleaseOptions options;
  options.graphServer.urlOverride = updateUrl;
  if (updateUrl.empty())
    if (const char* value = std::getenv(release::kUpdateUrlVariable); value && *value)
      options.graphServer.urlOverride = value;
  if (retries.times < 0) fail("--retry-times must be 0 or more, not {}", retries.times);
  options.graphServer.http.retry.times = retries.times;
  options.graphServer.http.retry.delay = parseDuration(retries.delay);
  options.graphServer.http.requestTimeout = parseDuration(retries.requestTimeout);
  if (!quiet) options.graphServer.http.warn = printWarning;
  return options;
}

CLI::App* addListReleasesCommand(CLI::App* list, ListReleasesFlags& flags) {
  auto* command = list->add_subcommand(
      "releases", "OpenShift releases in the update graph: channels, versions, payloads and updates");
  auto* channels = command->add_flag("--channels", flags.channels, "List the channels of --version's releases");
  auto* channel = command->add_option("--channel", flags.channel, "List this channel's versions (stable-4.18)");
  channels->excludes(channel);
  command->add_option("--version", flags.version,
                      "An OpenShift minor (4.18): with --channels, its channels; alone, its versions in stable-4.18");
  command->add_option("--filter-by-archs", flags.archs,
                      "Architectures to list (amd64, arm64, ppc64le, s390x, multi; comma-separated; default amd64)")
      ->delimiter(',');
  command->add_option("--type", flags.type, "Channel type: ocp, or okd (another default server)")->default_val("ocp");
  command->add_option("--update-url", flags.updateUrl,
                      "The update graph server (default: $UPDATE_URL_OVERRIDE, else oc-mirror's servers)");
  command->add_option("-o,--output", flags.output, "text or json")->default_val("text");
  addRetryFlags(command, flags.retries);
  return command;
}

int runListReleases(const ListReleasesFlags& flags) {
  if (flags.output != "text" && flags.output != "json") fail("--output must be 'text' or 'json', not '{}'", flags.output);
  if (flags.type != "ocp" && flags.type != "okd")
    fail(ErrorKind::InvalidInput, "--type must be ocp or okd, not '{}'", flags.type);
  static const std::regex kMinor(R"((\d+)\.(\d+))");
  std::smatch minor;
  if (!flags.version.empty() && !std::regex_match(flags.version, minor, kMinor))
    fail(ErrorKind::InvalidInput, "--version must be an OpenShift minor version such as 4.18, not '{}'", flags.version);
  if (flags.channel.empty() && flags.version.empty())
    fail(ErrorKind::InvalidInput, "list releases needs --channel NAME, --version X.Y, or --channels --version X.Y");
  std::vector<std::string> archs = flags.archs.empty() ? std::vector<std::string>{"amd64"} : flags.archs;
  for (const auto& arch : archs)
    if (!knownArchs().count(arch))
      fail(ErrorKind::InvalidInput, "--filter-by-archs: \"{}\" is not a release architecture; use amd64, arm64, "
           "ppc64le, s390x or multi", arch);
  bool okd = flags.type == "okd";
  auto options = releaseOptionsFrom(flags.updateUrl, flags.retries, flags.output == "json");
  release::UpdateGraphClient client(options.graphServer);
  std::string channel = flags.channel.empty() ? "stable-" + flags.version : flags.channel;
  ordered_json json = ordered_json::array();

  for (const auto& arch : archs) {
    auto text = client.fetch(okd, channel, arch);
    auto graph = release::parseUpdateGraph(text, fmt::format("the update graph of {} for {}", channel, arch));
    if (flags.channels) {
      // The channels the minor's releases are listed in (what oc-mirror's --channels prints).
      std::set<std::string> names;
      for (const auto& node : graph.nodes)
        if (auto it = node.metadata.find(kChannelsKey); it != node.metadata.end())
          for (const auto& name : split(it->second)) names.insert(name);
      if (flags.output == "json") {
        json.push_back({{"arch", arch}, {"version", flags.version}, {"channels", names}});
      } else {
        std::printf("Channels of OpenShift %s releases (%s):\n", flags.version.c_str(), arch.c_str());
        for (const auto& name : names) std::printf("  %s\n", name.c_str());
      }
      continue;
    }
    ordered_json versions = ordered_json::array();
    if (flags.output != "json") {
      std::printf("Channel %s (%s):\n", channel.c_str(), arch.c_str());
      std::printf("%-24s %-20s %s\n", "VERSION", "UPDATES TO", "PAYLOAD");
    }
    for (size_t index : sortedVersions(graph)) {
      const auto& node = graph.nodes[index];
      if (!flags.version.empty() && flags.channel.empty()) {
        auto version = catalog::Version::tryParse(node.version);
        if (!version || std::to_string(version->major) != minor[1].str() || std::to_string(version->minor) != minor[2].str())
          continue;
      }
      std::vector<std::string> to, conditional;
      for (const auto& [from, target] : graph.edges)
        if (from == index) to.push_back(graph.nodes[target].version);
      for (const auto& edge : graph.conditionalEdges)
        if (edge.from == node.version) conditional.push_back(edge.to);
      auto byVersion = [](std::vector<std::string>& list) {
        std::sort(list.begin(), list.end(), [](const std::string& a, const std::string& b) {
          auto va = catalog::Version::tryParse(a), vb = catalog::Version::tryParse(b);
          return va && vb ? *va < *vb : a < b;
        });
      };
      byVersion(to);
      byVersion(conditional);
      if (flags.output == "json") {
        versions.push_back({{"version", node.version},
                            {"payload", node.payload},
                            {"updates", to},
                            {"conditionalUpdates", conditional}});
      } else {
        std::string updates = fmt::format("{}", fmt::join(to, ","));
        if (!conditional.empty()) updates += fmt::format("{}{} (conditional)", updates.empty() ? "" : " ", fmt::join(conditional, ","));
        std::printf("%-24s %-20s %s\n", node.version.c_str(), updates.empty() ? "-" : updates.c_str(),
                    node.payload.c_str());
      }
    }
    if (flags.output == "json")
      json.push_back({{"channel", channel}, {"arch", arch}, {"versions", versions}});
  }
  if (flags.output == "json") std::cout << json.dump(2) << "\n";
  return 0;
}

}  // namespace ferry
