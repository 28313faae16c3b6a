#include "ferry/filter/catalog_index.h"

namespace ferry::catalog {

CatalogIndex::CatalogIndex(const Catalog& catalog) : catalog_(catalog) {
  for (const auto& package : catalog.packages) packages_.emplace(package.name, &package);
  for (const auto& channel : catalog.channels) {
    channels_.emplace(Key{channel.package, channel.name}, &channel);
    channelsByPackage_[channel.package].push_back(&channel);
  }
  for (const auto& bundle : catalog.bundles) {
    Key key{bundle.package, bundle.name};
    bundles_.emplace(key, &bundle);
    versions_.emplace(key, Version::tryParse(bundle.version));
    bundlesByPackage_[bundle.package].push_back(&bundle);
  }
}

const Package* CatalogIndex::package(const std::string& name) const {
  auto found = packages_.find(name);
  return found == packages_.end() ? nullptr : found->second;
}

const Channel* CatalogIndex::channel(const std::string& package, const std::string& name) const {
  auto found = channels_.find(Key{package, name});
  return found == channels_.end() ? nullptr : found->second;
}

const Bundle* CatalogIndex::bundle(const std::string& package, const std::string& name) const {
  auto found = bundles_.find(Key{package, name});
  return found == bundles_.end() ? nullptr : found->second;
}

const std::vector<const Channel*>& CatalogIndex::channelsOf(const std::string& package) const {
  static const std::vector<const Channel*> none;
  auto found = channelsByPackage_.find(package);
  return found == channelsByPackage_.end() ? none : found->second;
}

const std::vector<const Bundle*>& CatalogIndex::bundlesOf(const std::string& package) const {
  static const std::vector<const Bundle*> none;
  auto found = bundlesByPackage_.find(package);
  return found == bundlesByPackage_.end() ? none : found->second;
}

const Version* CatalogIndex::version(const std::string& package, const std::string& bundle) const {
  auto found = versions_.find(Key{package, bundle});
  if (found == versions_.end() || !found->second) return nullptr;
  return &*found->second;
}

const ChannelGraph& CatalogIndex::graph(const Channel& channel) const {
  auto& slot = graphs_[&channel];
  if (!slot) slot = std::make_unique<ChannelGraph>(channel);
  return *slot;
}

bool KeptEntries::keepsBundle(const std::string& package, const std::string& bundle) const {
  auto found = channels.find(package);
  if (found == channels.end()) return false;
  for (const auto& [channel, entries] : found->second) {
    if (entries.count(bundle)) return true;
  }
  return false;
}

std::set<std::string> KeptEntries::bundlesOf(const std::string& package) const {
  std::set<std::string> bundles;
  auto found = channels.find(package);
  if (found == channels.end()) return bundles;
  for (const auto& [channel, entries] : found->second) bundles.insert(entries.begin(), entries.end());
  return bundles;
}

}  // namespace ferry::catalog
