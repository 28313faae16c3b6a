// Lookups over one catalog, built once, for the filter and the dependency
// resolver: a package by name, its channels, a bundle by name, the bundle's
// parsed version, a channel's upgrade graph. Both ask these questions of the
// original catalog over and over; scanning the vectors each time would make
// filtering a big catalog quadratic.
//
// Also here: KeptEntries, what the filter has decided to keep so far. It is
// built from the selection, grown by dependency resolution, then turned into
// the filtered catalog.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ferry/fbc/fbc.h"
#include "ferry/fbc/graph.h"
#include "ferry/fbc/semver.h"

namespace ferry::catalog {

class CatalogIndex {
 public:
  // `catalog` must outlive the index: it keeps pointers into it.
  explicit CatalogIndex(const Catalog& catalog);
  CatalogIndex(const CatalogIndex&) = delete;
  CatalogIndex& operator=(const CatalogIndex&) = delete;

  const Catalog& catalog() const { return catalog_; }

  // Null when absent.
  const Package* package(const std::string& name) const;
  const Channel* channel(const std::string& package, const std::string& name) const;
  const Bundle* bundle(const std::string& package, const std::string& name) const;

  // The package's channels, in catalog order (empty when none).
  const std::vector<const Channel*>& channelsOf(const std::string& package) const;
  // The package's bundles, in catalog order (empty when none).
  const std::vector<const Bundle*>& bundlesOf(const std::string& package) const;

  // The bundle's version; null when there is no such bundle or its version
  // does not parse (such a bundle never matches a version bound).
  const Version* version(const std::string& package, const std::string& bundle) const;

  // The channel's graph, built on first use. Throws what ChannelGraph throws.
  const ChannelGraph& graph(const Channel& channel) const;

 private:
  using Key = std::pair<std::string, std::string>;
  const Catalog& catalog_;
  std::map<std::string, const Package*> packages_;
  std::map<Key, const Channel*> channels_;
  std::map<Key, const Bundle*> bundles_;
  std::map<Key, std::optional<Version>> versions_;
  std::map<std::string, std::vector<const Channel*>> channelsByPackage_;
  std::map<std::string, std::vector<const Bundle*>> bundlesByPackage_;
  mutable std::map<const Channel*, std::unique_ptr<ChannelGraph>> graphs_;
};

struct KeptEntries {
  // package → channel → names of the entries kept in that channel
  std::map<std::string, std::map<std::string, std::set<std::string>>> channels;
  // package → the default channel it gets in the filtered catalog
  std::map<std::string, std::string> defaultChannels;

  bool keepsBundle(const std::string& package, const std::string& bundle) const;
  // Every kept bundle of `package` (the union over its kept channels).
  std::set<std::string> bundlesOf(const std::string& package) const;
};

}  // namespace ferry::catalog
