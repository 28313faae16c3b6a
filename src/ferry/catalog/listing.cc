#include "ferry/catalog/listing.h"

#include <algorithm>
#include <map>
#include <set>

#include "ferry/base/error.h"
#include "ferry/fbc/graph.h"
#include "ferry/fbc/semver.h"

namespace ferry::catalog {
namespace {

// Newest first; versions that do not parse go last, by name.
bool newerFirst(const BundleListing& a, const BundleListing& b) {
  auto va = Version::tryParse(a.version), vb = Version::tryParse(b.version);
  if (va && vb && *va != *vb) return *va > *vb;
  if (va.has_value() != vb.has_value()) return va.has_value();
  return a.name > b.name;
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace

std::vector<PackageListing> listPackages(const Catalog& catalog) {
  std::map<std::string, std::string> versions;  // package/bundle -> version
  for (const auto& bundle : catalog.bundles) versions[bundle.package + "/" + bundle.name] = bundle.version;

  std::map<std::string, PackageListing> packages;
  for (const auto& package : catalog.packages) {
    auto& listing = packages[package.name];
    listing.name = package.name;
    listing.defaultChannel = package.defaultChannel;
  }
  for (const auto& channel : catalog.channels) {
    auto& package = packages[channel.package];
    package.name = channel.package;
    ChannelListing listing{.name = channel.name};
    ChannelGraph graph(channel);
    auto heads = graph.heads();
    if (heads.size() == 1) listing.head = heads.front()->name;
    for (const auto& entry : channel.entries) {
      auto it = versions.find(channel.package + "/" + entry.name);
      listing.bundles.push_back({entry.name, it == versions.end() ? "" : it->second});
    }
    std::sort(listing.bundles.begin(), listing.bundles.end(), newerFirst);
    package.channels.push_back(std::move(listing));
  }
  std::vector<PackageListing> result;
  for (auto& [name, package] : packages) {
    std::sort(package.channels.begin(), package.channels.end(),
              [](const ChannelListing& a, const ChannelListing& b) { return a.name < b.name; });
    result.push_back(std::move(package));
  }
  return result;
}

std::vector<std::string> catalogDifferences(const std::vector<PackageListing>& first, const std::string& firstName,
                                            const std::vector<PackageListing>& second, const std::string& secondName) {
  std::vector<std::string> lines;
  std::map<std::string, const PackageListing*> a, b;
  for (const auto& package : first) a[package.name] = &package;
  for (const auto& package : second) b[package.name] = &package;
  std::set<std::string> names;
  for (const auto& [name, unused] : a) names.insert(name);
  for (const auto& [name, unused] : b) names.insert(name);

  for (const auto& name : names) {
    auto ia = a.find(name), ib = b.find(name);
    if (ib == b.end()) {
      lines.push_back(fmt::format("package \"{}\": only on {}", name, firstName));
      continue;
    }
    if (ia == a.end()) {
      lines.push_back(fmt::format("package \"{}\": only on {}", name, secondName));
      continue;
    }
    const auto& pa = *ia->second;
    const auto& pb = *ib->second;
    if (pa.defaultChannel != pb.defaultChannel)
      lines.push_back(fmt::format("package \"{}\": default channel {} on {}, {} on {}", name, pa.defaultChannel,
                                  firstName, pb.defaultChannel, secondName));
    std::map<std::string, const ChannelListing*> ca, cb;
    for (const auto& channel : pa.channels) ca[channel.name] = &channel;
    for (const auto& channel : pb.channels) cb[channel.name] = &channel;
    std::set<std::string> channels;
    for (const auto& [channel, unused] : ca) channels.insert(channel);
    for (const auto& [channel, unused] : cb) channels.insert(channel);
    for (const auto& channel : channels) {
      auto xa = ca.find(channel), xb = cb.find(channel);
      if (xa == ca.end() || xb == cb.end()) {
        lines.push_back(fmt::format("package \"{}\", channel \"{}\": only on {}", name, channel,
                                    xa == ca.end() ? secondName : firstName));
        continue;
      }
      if (xa->second->head != xb->second->head)
        lines.push_back(fmt::format("package \"{}\", channel \"{}\": head {} on {}, {} on {}", name, channel,
                                    xa->second->head, firstName, xb->second->head, secondName));
      std::set<std::string> ba, bb;
      for (const auto& bundle : xa->second->bundles) ba.insert(bundle.name);
      for (const auto& bundle : xb->second->bundles) bb.insert(bundle.name);
      std::vector<std::string> onlyA, onlyB;
      std::set_difference(ba.begin(), ba.end(), bb.begin(), bb.end(), std::back_inserter(onlyA));
      std::set_difference(bb.begin(), bb.end(), ba.begin(), ba.end(), std::back_inserter(onlyB));
      if (!onlyA.empty())
        lines.push_back(fmt::format("package \"{}\", channel \"{}\": bundles only on {}: {}", name, channel, firstName,
                                    joined(onlyA)));
      if (!onlyB.empty())
        lines.push_back(fmt::format("package \"{}\", channel \"{}\": bundles only on {}: {}", name, channel, secondName,
                                    joined(onlyB)));
    }
  }
  return lines;
}

}  // namespace ferry::catalog
