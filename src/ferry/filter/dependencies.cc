#include "ferry/filter/dependencies.h"

#include <deque>
#include <fmt/format.h>
#include <map>
#include <optional>
#include <set>

#include "ferry/base/error.h"
#include "ferry/filter/upgrade_path.h"

namespace ferry::catalog {
namespace {

struct Requirement {
  const PackageRequirement* package = nullptr;  // exactly one of these is set
  const GroupVersionKind* api = nullptr;
  std::string text;  // "olm.package.required etcd >=0.9.0"
};

std::string describeApi(const GroupVersionKind& api) {
  return api.group.empty() ? fmt::format("{} {}", api.version, api.kind)
                           : fmt::format("{}/{} {}", api.group, api.version, api.kind);
}

std::vector<Requirement> requirementsOf(const Bundle& bundle) {
  std::vector<Requirement> requirements;
  for (const auto& required : bundle.requiredPackages) {
    std::string text = "olm.package.required " + required.packageName;
    if (!required.versionRange.empty()) text += " " + required.versionRange;
    requirements.push_back({&required, nullptr, std::move(text)});
  }
  for (const auto& required : bundle.requiredApis) {
    requirements.push_back({nullptr, &required, "olm.gvk.required " + describeApi(required)});
  }
  return requirements;
}

class Resolver {
 public:
  Resolver(const CatalogIndex& index, KeptEntries& kept, std::vector<std::string>& notes,
           std::vector<std::string>& warnings)
      : index_(index), kept_(kept), notes_(notes), warnings_(warnings) {
    for (const auto& bundle : index.catalog().bundles) {
      for (const auto& api : bundle.providedApis) providers_[api].push_back(&bundle);
      if (kept.keepsBundle(bundle.package, bundle.name)) markKept(bundle);
    }
  }

  void run() {
    while (!queue_.empty()) {
      const Bundle& bundle = *queue_.front();
      queue_.pop_front();
      for (const auto& requirement : requirementsOf(bundle)) resolve(bundle, requirement);
    }
  }

 private:
  void markKept(const Bundle& bundle) {
    if (!queued_.insert(&bundle).second) return;
    queue_.push_back(&bundle);
    keptApis_.insert(bundle.providedApis.begin(), bundle.providedApis.end());
  }

  void warnOnce(std::string warning) {
    if (warned_.insert(warning).second) warnings_.push_back(std::move(warning));
  }

  void resolve(const Bundle& requiredBy, const Requirement& requirement) {
    const VersionRange* range = nullptr;
    if (requirement.package && !requirement.package->versionRange.empty()) {
      range = rangeOf(requirement.package->versionRange);
      if (!range) {
        warnOnce(fmt::format("bundle {} (package {}): {} has an invalid version range ({}); it was not resolved",
                             requiredBy.name, requiredBy.package, requirement.text,
                             rangeErrors_[requirement.package->versionRange]));
        return;
      }
    }
    if (satisfied(requirement, range)) return;
    const Bundle* provider = preferredProvider(requirement, range);
    if (!provider) {
      warnOnce(fmt::format(
          "bundle {} (package {}): no bundle in the catalog satisfies {}; OLM will report the missing dependency "
          "when the operator is installed",
          requiredBy.name, requiredBy.package, requirement.text));
      return;
    }
    add(*provider, requiredBy, requirement);
  }

  const VersionRange* rangeOf(const std::string& text) {
    auto found = ranges_.find(text);
    if (found == ranges_.end()) {
      std::optional<VersionRange> parsed;
      try {
        parsed = VersionRange::parse(text);
      } catch (const Error& e) {
        rangeErrors_[text] = e.what();
      }
      found = ranges_.emplace(text, std::move(parsed)).first;
    }
    return found->second ? &*found->second : nullptr;
  }

  bool meets(const Bundle& bundle, const Requirement& requirement, const VersionRange* range) const {
    if (requirement.api) {
      for (const auto& api : bundle.providedApis) {
        if (api == *requirement.api) return true;
      }
      return false;
    }
    if (bundle.package != requirement.package->packageName) return false;
    if (!range) return true;
    const Version* version = index_.version(bundle.package, bundle.name);
    return version && range->contains(*version);
  }

  bool satisfied(const Requirement& requirement, const VersionRange* range) const {
    if (requirement.api) return keptApis_.count(*requirement.api) > 0;
    const std::string& package = requirement.package->packageName;
    for (const auto& name : kept_.bundlesOf(package)) {
      const Bundle* bundle = index_.bundle(package, name);
      if (bundle && meets(*bundle, requirement, range)) return true;
    }
    return false;
  }

  bool inDefaultChannel(const Bundle& bundle) const {
    const Package* package = index_.package(bundle.package);
    const Channel* channel = package ? index_.channel(package->name, package->defaultChannel) : nullptr;
    return channel && holds(*channel, bundle.name);
  }

  static bool holds(const Channel& channel, const std::string& bundle) {
    for (const auto& entry : channel.entries) {
      if (entry.name == bundle) return true;
    }
    return false;
  }

  bool inSomeChannel(const Bundle& bundle) const {
    for (const Channel* channel : index_.channelsOf(bundle.package)) {
      if (holds(*channel, bundle.name)) return true;
    }
    return false;
  }

  bool isRelease(const Bundle& bundle) const {
    const Version* version = index_.version(bundle.package, bundle.name);
    return version && version->preRelease.empty();
  }

  // As OLM picks a dependency: a bundle in its package's default channel
  // first, then a released version over a prerelease, then the newest; then
  // by package and name so the choice never depends on order.
  bool better(const Bundle& a, const Bundle& b) const {
    bool da = inDefaultChannel(a), db = inDefaultChannel(b);
    if (da != db) return da;
    bool ra = isRelease(a), rb = isRelease(b);
    if (ra != rb) return ra;
    const Version* va = index_.version(a.package, a.name);
    const Version* vb = index_.version(b.package, b.name);
    if (va && !vb) return true;
    if (!va && vb) return false;
    if (va && vb) {
      int order = va->compare(*vb);
      if (order != 0) return order > 0;
    }
    if (a.package != b.package) return a.package < b.package;
    return a.name < b.name;
  }

  const Bundle* preferredProvider(const Requirement& requirement, const VersionRange* range) const {
    const std::vector<const Bundle*>* candidates = nullptr;
    if (requirement.api) {
      auto found = providers_.find(*requirement.api);
      if (found == providers_.end()) return nullptr;
      candidates = &found->second;
    } else {
      candidates = &index_.bundlesOf(requirement.package->packageName);
    }
    const Bundle* best = nullptr;
    for (const Bundle* candidate : *candidates) {
      if (!meets(*candidate, requirement, range) || !inSomeChannel(*candidate)) continue;
      if (!best || better(*candidate, *best)) best = candidate;
    }
    return best;
  }

  // The channel the provider is added to: one kept already if it holds the
  // provider (the kept default channel first), else the package's default
  // channel, else the first channel that holds it.
  const Channel* channelFor(const Bundle& provider) const {
    const Package* package = index_.package(provider.package);
    std::string originalDefault = package ? package->defaultChannel : "";
    auto keptPackage = kept_.channels.find(provider.package);
    auto keptDefault = kept_.defaultChannels.find(provider.package);
    const Channel *keptHolder = nullptr, *defaultHolder = nullptr, *firstHolder = nullptr;
    for (const Channel* channel : index_.channelsOf(provider.package)) {
      if (!holds(*channel, provider.name)) continue;
      if (!firstHolder) firstHolder = channel;
      bool isKept = keptPackage != kept_.channels.end() && keptPackage->second.count(channel->name);
      if (isKept) {
        if (keptDefault != kept_.defaultChannels.end() && keptDefault->second == channel->name) return channel;
        if (!keptHolder) keptHolder = channel;
      }
      if (channel->name == originalDefault) defaultHolder = channel;
    }
    if (keptHolder) return keptHolder;
    return defaultHolder ? defaultHolder : firstHolder;
  }

  void add(const Bundle& provider, const Bundle& requiredBy, const Requirement& requirement) {
    const Channel* channel = channelFor(provider);
    if (!channel) return;  // preferredProvider only returns bundles some channel holds
    auto& packageChannels = kept_.channels[provider.package];
    bool packageWasKept = !packageChannels.empty();
    std::set<std::string> keptEntries;
    if (auto found = packageChannels.find(channel->name); found != packageChannels.end()) keptEntries = found->second;

    std::optional<std::set<std::string>> added;
    try {
      added = addWithUpgradePath(*channel, index_.graph(*channel), keptEntries, provider.name);
    } catch (const Error& e) {
      warnOnce(fmt::format("bundle {} (package {}): cannot add {} for {}: {}", requiredBy.name, requiredBy.package,
                           provider.name, requirement.text, e.what()));
      if (!packageWasKept) kept_.channels.erase(provider.package);
      return;
    }
    if (!added) {
      warnOnce(fmt::format(
          "bundle {} (package {}): cannot add {} for {}: channel {} of package {} has no upgrade path from its head "
          "to it",
          requiredBy.name, requiredBy.package, provider.name, requirement.text, channel->name, provider.package));
      if (!packageWasKept) kept_.channels.erase(provider.package);
      return;
    }

    packageChannels[channel->name].insert(added->begin(), added->end());
    if (!packageWasKept) {
      const Package* package = index_.package(provider.package);
      std::string originalDefault = package ? package->defaultChannel : "";
      kept_.defaultChannels[provider.package] = channel->name;
      if (channel->name != originalDefault) {
        notes_.push_back(fmt::format(
            "package {}: default channel set to \"{}\": the catalog's default channel \"{}\" does not hold {}",
            provider.package, channel->name, originalDefault, provider.name));
        // Clusters install the package from this channel now, not only the dependency: say so loudly.
        warnOnce(fmt::format(
            "package {}: its default channel in the mirrored catalog is \"{}\", not the catalog's \"{}\": no bundle of "
            "\"{}\" satisfies {} (required by {}); subscriptions to {} without a channel follow \"{}\"",
            provider.package, channel->name, originalDefault, originalDefault, requirement.text, requiredBy.name,
            provider.package, channel->name));
      }
    }
    for (const auto& entry : channel->entries) {
      if (!added->count(entry.name)) continue;
      if (entry.name == provider.name) {
        notes_.push_back(fmt::format("added {} (package {}, channel {}): required by {} ({})", entry.name,
                                     provider.package, channel->name, requiredBy.name, requirement.text));
      } else {
        notes_.push_back(fmt::format("added {} (package {}, channel {}): on the upgrade path of {} (required by {})",
                                     entry.name, provider.package, channel->name, provider.name, requiredBy.name));
      }
      if (const Bundle* bundle = index_.bundle(provider.package, entry.name)) markKept(*bundle);
    }
  }

  const CatalogIndex& index_;
  KeptEntries& kept_;
  std::vector<std::string>& notes_;
  std::vector<std::string>& warnings_;
  std::map<GroupVersionKind, std::vector<const Bundle*>> providers_;
  std::set<GroupVersionKind> keptApis_;
  std::deque<const Bundle*> queue_;
  std::set<const Bundle*> queued_;
  std::set<std::string> warned_;
  std::map<std::string, std::optional<VersionRange>> ranges_;
  std::map<std::string, std::string> rangeErrors_;
};

}  // namespace

void addDependencies(const CatalogIndex& index, KeptEntries& kept, std::vector<std::string>& notes,
                     std::vector<std::string>& warnings) {
  Resolver(index, kept, notes, warnings).run();
}

}  // namespace ferry::catalog
