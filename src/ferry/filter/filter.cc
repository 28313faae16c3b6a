#include "ferry/filter/filter.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <set>

#include "ferry/base/error.h"
#include "ferry/base/log.h"
#include "ferry/base/strings.h"
#include "ferry/filter/catalog_index.h"
#include "ferry/filter/catalog_json_edit.h"
#include "ferry/filter/dependencies.h"
#include "ferry/filter/upgrade_path.h"
#include "ferry/fbc/validate.h"

namespace ferry::catalog {
namespace {

std::vector<std::string> concatenated(const std::vector<std::string>& first, const std::vector<std::string>& second) {
  std::vector<std::string> all = first;
  all.insert(all.end(), second.begin(), second.end());
  return all;
}

std::string packageWhere(const std::string& package) { return fmt::format("package \"{}\"", package); }

std::string channelWhere(const std::string& package, const std::string& channel) {
  return fmt::format("package \"{}\" channel \"{}\"", package, channel);
}

bool hasBounds(const std::string& minVersion, const std::string& maxVersion, const std::string& minBundle) {
  return !minVersion.empty() || !maxVersion.empty() || !minBundle.empty();
}

// Mistakes in the selection itself, found before the catalog is looked at.
void checkSelection(const CatalogSelection& selection) {
  std::set<std::string> packages;
  for (const auto& package : selection.packages) {
    const std::string where = packageWhere(package.name);
    if (package.name.empty()) fail("a package in the ImageSetConfiguration has no name; set `name`");
    if (!packages.insert(package.name).second) {
      fail("{} is listed twice for this catalog; list each package once", where);
    }
    bool packageBounds = hasBounds(package.minVersion, package.maxVersion, package.minBundle);
    if (selection.full && packageBounds && !selection.rangesWithinFull) {
      fail(
          "{}: `full: true` keeps every bundle of the selected channels and cannot be combined with "
          "minVersion, maxVersion or minBundle; remove `full` or the version bounds",
          where);
    }
    std::set<std::string> channels;
    for (const auto& channel : package.channels) {
      if (channel.name.empty()) fail("{}: a channel has no name; set `name`", where);
      if (!channels.insert(channel.name).second) {
        fail("{}: channel \"{}\" is listed twice; list each channel once", where, channel.name);
      }
      if (!hasBounds(channel.minVersion, channel.maxVersion, channel.minBundle)) continue;
      if (packageBounds) {
        fail("{}: version bounds are set both for the package and for channel \"{}\"; set them at one level only",
             where, channel.name);
      }
      if (selection.full && !selection.rangesWithinFull) {
        fail(
            "{}: `full: true` keeps every bundle of the selected channels and cannot be combined with "
            "minVersion, maxVersion or minBundle; remove `full` or the version bounds",
            channelWhere(package.name, channel.name));
      }
    }
  }
}

std::optional<Version> parseBound(const std::string& text, const char* field, const std::string& where) {
  if (text.empty()) return std::nullopt;
  auto version = Version::tryParse(text);
  if (!version) {
    fail(
        "{}: {} \"{}\" is not a semantic version; write MAJOR.MINOR.PATCH with an optional -pre-release "
        "(for example 1.2.3 or 1.2.3-4), without a leading v",
        where, field, text);
  }
  return version;
}

VersionBounds boundsFor(const CatalogIndex& index, const std::string& package, const std::string& minVersion,
                        const std::string& maxVersion, const std::string& minBundle, const std::string& where) {
  if (!minVersion.empty() && !minBundle.empty()) fail("{}: set minVersion or minBundle, not both", where);
  VersionBounds bounds;
  bounds.min = parseBound(minVersion, "minVersion", where);
  bounds.max = parseBound(maxVersion, "maxVersion", where);
  if (!minBundle.empty()) {
    if (!index.bundle(package, minBundle)) {
      fail("{}: minBundle \"{}\" is not a bundle of package \"{}\"; use a bundle name from the catalog", where,
           minBundle, package);
    }
    const Version* version = index.version(package, minBundle);
    if (!version) fail("{}: minBundle \"{}\" has no valid version in the catalog", where, minBundle);
    bounds.min = *version;
  }
  if (bounds.min && bounds.max && *bounds.min > *bounds.max) {
    fail("{}: the minimum version {} is greater than maxVersion {}", where, bounds.min->str(), bounds.max->str());
  }
  return bounds;
}

// The one entry of `channel` a pinned range (minVersion == maxVersion) keeps:
// the bundle whose version is written exactly so, else one equal to it
// (versions that differ only in build metadata are equal).
std::set<std::string> pinnedEntry(const CatalogIndex& index, const Channel& channel, const Version& pinned) {
  const std::string text = pinned.str();
  const ChannelEntry* equal = nullptr;
  for (const auto& entry : channel.entries) {
    const Bundle* bundle = index.bundle(channel.package, entry.name);
    const Version* version = index.version(channel.package, entry.name);
    if (!version || *version != pinned) continue;
    if (bundle && bundle->version == text) return {entry.name};
    if (!equal) equal = &entry;
  }
  if (equal) return {equal->name};
  return {};
}

class Filter {
 public:
  Filter(const Catalog& catalog, const CatalogSelection& selection) : index_(catalog), selection_(selection) {}

  FilterResult run() {
    checkSelection(selection_);
    if (selection_.packages.empty()) {
      for (const auto& package : index_.catalog().packages) selectPackage(PackageSelection{package.name});
    } else {
      for (const auto& package : selection_.packages) selectPackage(package);
    }
    if (!selection_.skipDependencies) addDependencies(index_, kept_, result_.dependencyNotes, result_.warnings);
    assemble();
    check();
    log::debug("catalog filtered: {} of {} packages, {} of {} bundles kept{}", result_.catalog.packages.size(),
               index_.catalog().packages.size(), result_.catalog.bundles.size(), index_.catalog().bundles.size(),
               selection_.skipDependencies ? " (dependencies not resolved: skipDependencies)" : "");
    return std::move(result_);
  }

 private:
  void selectPackage(const PackageSelection& wanted) {
    const Package* package = index_.package(wanted.name);
    if (!package) {
      std::vector<std::string_view> names;
      for (const auto& known : index_.catalog().packages) names.push_back(known.name);
      auto nearest = nearestName(wanted.name, names);
      result_.errors.push_back(fmt::format("{} is not in the catalog; nothing is mirrored for it{}",
                                           packageWhere(wanted.name),
                                           nearest ? fmt::format("; did you mean \"{}\"?", *nearest) : ""));
      return;
    }
    const std::string where = packageWhere(wanted.name);
    std::vector<std::string> reasons;  // why channels were left out, for the error if none is left
    auto packageBounds = boundsFor(index_, wanted.name, wanted.minVersion, wanted.maxVersion, wanted.minBundle, where);

    std::vector<std::pair<const Channel*, VersionBounds>> channels;
    if (wanted.channels.empty()) {
      for (const Channel* channel : index_.channelsOf(wanted.name)) channels.emplace_back(channel, packageBounds);
    } else {
      for (const auto& wantedChannel : wanted.channels) {
        const Channel* channel = index_.channel(wanted.name, wantedChannel.name);
        if (!channel) {
          std::string reason = fmt::format("channel \"{}\" is not in the catalog (its channels: {})",
                                           wantedChannel.name, channelNames(wanted.name));
          result_.warnings.push_back(fmt::format("{}: {}", where, reason));
          reasons.push_back(std::move(reason));
          continue;
        }
        bool own = hasBounds(wantedChannel.minVersion, wantedChannel.maxVersion, wantedChannel.minBundle);
        channels.emplace_back(channel,
                              own ? boundsFor(index_, wanted.name, wantedChannel.minVersion, wantedChannel.maxVersion,
                                              wantedChannel.minBundle, channelWhere(wanted.name, wantedChannel.name))
                                  : packageBounds);
      }
    }

    auto& keptChannels = kept_.channels[wanted.name];
    for (const auto& [channel, bounds] : channels) {
      auto entries = selectEntries(*channel, bounds);
      if (entries.empty()) {
        std::string reason =
            bounds.pinned()
                ? fmt::format("channel \"{}\" has no bundle with version {}", channel->name, bounds.min->str())
                : fmt::format("channel \"{}\" has no bundle in the range {}", channel->name, bounds.text());
        result_.warnings.push_back(fmt::format("{}: {}; the channel is left out", where, reason));
        reasons.push_back(std::move(reason));
        continue;
      }
      keptChannels[channel->name] = std::move(entries);
    }
    if (keptChannels.empty()) {
      kept_.channels.erase(wanted.name);
      if (reasons.empty()) reasons.push_back("it has no channel");
      fail("{}: no channel is left after filtering: {}; check the package's channels and version bounds", where,
           fmt::join(reasons, "; "));
    }
    chooseDefaultChannel(*package, wanted);
  }

  std::set<std::string> selectEntries(const Channel& channel, const VersionBounds& bounds) {
    std::set<std::string> entries;
    if (selection_.full && bounds.empty()) {
      for (const auto& entry : channel.entries) entries.insert(entry.name);
      return entries;
    }
    const ChannelGraph& graph = index_.graph(channel);
    if (bounds.empty()) return {graph.head().name};
    if (bounds.pinned()) return pinnedEntry(index_, channel, *bounds.min);
    auto versionOf = [&](const std::string& bundle) { return index_.version(channel.package, bundle); };
    auto selection = selectVersionRange(channel, graph, versionOf, bounds);
    for (const auto& name : selection.connectors) {
      const Bundle* bundle = index_.bundle(channel.package, name);
      result_.warnings.push_back(fmt::format(
          "{}: kept {} (version {}), outside the range {}, to keep the upgrade path between the kept bundles "
          "connected",
          channelWhere(channel.package, channel.name), name,
          bundle && !bundle->version.empty() ? bundle->version : "unknown", bounds.text()));
    }
    return selection.entries;
  }

  void chooseDefaultChannel(const Package& package, const PackageSelection& wanted) {
    const auto& keptChannels = kept_.channels[package.name];
    const std::string where = packageWhere(package.name);
    if (keptChannels.count(package.defaultChannel)) {
      kept_.defaultChannels[package.name] = package.defaultChannel;
      if (!wanted.defaultChannel.empty() && wanted.defaultChannel != package.defaultChannel) {
        result_.warnings.push_back(fmt::format(
            "{}: defaultChannel \"{}\" from the ImageSetConfiguration is not used: the catalog's default channel "
            "\"{}\" is kept, and stays the default",
            where, wanted.defaultChannel, package.defaultChannel));
      }
      return;
    }
    if (!wanted.defaultChannel.empty()) {
      if (!keptChannels.count(wanted.defaultChannel)) {
        fail("{}: defaultChannel \"{}\" set in the ImageSetConfiguration is not among the kept channels: {}", where,
             wanted.defaultChannel, keptChannelNames(package.name));
      }
      kept_.defaultChannels[package.name] = wanted.defaultChannel;
      return;
    }
    fail(
        "{}: the default channel \"{}\" was filtered out; set `defaultChannel` for this package in the "
        "ImageSetConfiguration to one of the kept channels: {}",
        where, package.defaultChannel, keptChannelNames(package.name));
  }

  std::string channelNames(const std::string& package) const {
    std::vector<std::string> names;
    for (const Channel* channel : index_.channelsOf(package)) names.push_back(channel->name);
    return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
  }

  std::string keptChannelNames(const std::string& package) const {
    std::vector<std::string> names;
    auto found = kept_.channels.find(package);
    if (found != kept_.channels.end()) {
      for (const auto& [name, entries] : found->second) names.push_back(name);
    }
    return fmt::format("{}", fmt::join(names, ", "));
  }

  void assemble() {
    const Catalog& source = index_.catalog();
    Catalog& out = result_.catalog;
    std::map<std::string, std::set<std::string>> keptBundles;
    for (const auto& [package, channels] : kept_.channels) keptBundles[package] = kept_.bundlesOf(package);

    for (const auto& package : source.packages) {
      if (!keptBundles.count(package.name)) continue;
      out.packages.push_back(package);
      auto defaultChannel = kept_.defaultChannels.find(package.name);
      if (defaultChannel != kept_.defaultChannels.end() && defaultChannel->second != package.defaultChannel) {
        out.packages.back().defaultChannel = defaultChannel->second;
        out.packages.back().json = packageWithDefaultChannel(package, defaultChannel->second);
      }
    }
    for (const auto& channel : source.channels) {
      auto package = kept_.channels.find(channel.package);
      if (package == kept_.channels.end()) continue;
      auto entries = package->second.find(channel.name);
      if (entries == package->second.end()) continue;
      Channel kept = channel;
      kept.entries.clear();
      for (const auto& entry : channel.entries) {
        if (entries->second.count(entry.name)) kept.entries.push_back(entry);
      }
      if (kept.entries.size() != channel.entries.size()) kept.json = channelWithEntries(channel, entries->second);
      out.channels.push_back(std::move(kept));
    }
    for (const auto& bundle : source.bundles) {
      auto package = keptBundles.find(bundle.package);
      if (package != keptBundles.end() && package->second.count(bundle.name)) out.bundles.push_back(bundle);
    }
    for (const auto& deprecation : source.deprecations) {
      auto package = keptBundles.find(deprecation.package);
      if (package == keptBundles.end()) continue;
      const auto& channels = kept_.channels[deprecation.package];
      auto stillReferenced = [&](const std::string& schema, const std::string& name) {
        if (schema == "olm.bundle") return package->second.count(name) > 0;
        if (schema == "olm.channel") return channels.count(name) > 0;
        return true;  // the package itself, or a reference kind ferry does not know
      };
      Deprecation kept = deprecation;
      kept.entries.clear();
      for (const auto& entry : deprecation.entries) {
        if (stillReferenced(entry.schema, entry.name)) kept.entries.push_back(entry);
      }
      if (kept.entries.empty()) continue;
      if (kept.entries.size() != deprecation.entries.size()) {
        kept.json = deprecationWithEntries(deprecation, stillReferenced);
      }
      out.deprecations.push_back(std::move(kept));
    }
    for (const auto& other : source.others) {
      if (other.package.empty() || keptBundles.count(other.package)) out.others.push_back(other);
    }
    if (out.packages.empty()) {
      fail(
          "no package is left after filtering this catalog{}; check the package names in the "
          "ImageSetConfiguration",
          result_.errors.empty() && result_.warnings.empty()
              ? ""
              : fmt::format(" ({})", fmt::join(concatenated(result_.errors, result_.warnings), "; ")));
    }
  }

  void check() {
    auto problems = validationProblems(result_.catalog);
    if (problems.empty()) return;
    auto sourceProblems = validationProblems(index_.catalog());
    if (!sourceProblems.empty()) {
      fail("the filtered catalog is not valid:\n  {}\nbecause the source catalog is not valid either:\n  {}",
           fmt::join(problems, "\n  "), fmt::join(sourceProblems, "\n  "));
    }
    fail(
        "the filtered catalog is not valid (a bug in ferry: please report it with the ImageSetConfiguration "
        "and the catalog):\n  {}",
        fmt::join(problems, "\n  "));
  }

  CatalogIndex index_;
  const CatalogSelection& selection_;
  KeptEntries kept_;
  FilterResult result_;
};

}  // namespace

FilterResult filterCatalog(const Catalog& catalog, const CatalogSelection& selection) {
  if (selection.keepsWholeCatalog()) return FilterResult{catalog, {}, {}};
  return Filter(catalog, selection).run();
}

std::vector<std::string> relatedImages(const Catalog& catalog) {
  std::set<std::string> images;
  for (const auto& bundle : catalog.bundles) {
    if (!bundle.image.empty()) images.insert(bundle.image);
    for (const auto& related : bundle.relatedImages) {
      if (!related.image.empty()) images.insert(related.image);
    }
  }
  return {images.begin(), images.end()};
}

Catalog withoutPackages(const Catalog& in, const std::set<std::string>& dropped) {
  if (dropped.empty()) return in;
  Catalog out;
  auto keep = [&](const std::string& package) { return !dropped.count(package); };
  for (const auto& object : in.packages)
    if (keep(object.name)) out.packages.push_back(object);
  for (const auto& object : in.channels)
    if (keep(object.package)) out.channels.push_back(object);
  for (const auto& object : in.bundles)
    if (keep(object.package)) out.bundles.push_back(object);
  for (const auto& object : in.deprecations)
    if (keep(object.package)) out.deprecations.push_back(object);
  for (const auto& object : in.others)
    if (object.package.empty() || keep(object.package)) out.others.push_back(object);
  return out;
}

}  // namespace ferry::catalog
