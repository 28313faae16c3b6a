#include "ferry/fbc/validate.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "ferry/base/error.h"
#include "ferry/fbc/graph.h"
#include "ferry/fbc/image_pull_spec.h"
#include "ferry/fbc/semver.h"

namespace ferry::catalog {
namespace {

// Problems are kept with the package they concern so the report can group
// them; catalog-level problems (no package) come first.
struct Problem {
  std::string package;
  std::string text;
};

// Lookups are by package and name; "\0" cannot occur in either.
std::string key(std::string_view package, std::string_view name) {
  std::string joined;
  joined.reserve(package.size() + name.size() + 1);
  joined.append(package).push_back('\0');
  joined.append(name);
  return joined;
}

std::string at(const std::string& origin) { return origin.empty() ? std::string() : " (" + origin + ")"; }

bool isDns1123LabelChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// Kubernetes' IsDNS1123Label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters.
std::string packageNameProblem(const std::string& name) {
  std::vector<std::string> problems;
  if (name.size() > 63) problems.push_back(fmt::format("it has {} characters, at most 63 are allowed", name.size()));
  bool wellFormed = !name.empty() && std::all_of(name.begin(), name.end(), isDns1123LabelChar) &&
                    name.front() != '-' && name.back() != '-';
  if (!wellFormed)
    problems.push_back("a package name must be a lowercase RFC 1123 label: lowercase letters, digits and '-', "
                       "starting and ending with a letter or digit (e.g. 'my-name' or '123-abc')");
  return fmt::format("{}", fmt::join(problems, "; "));
}

// The olm.package "release" of newer opm: dot-separated semver pre-release
// identifiers, at most 20 characters.
std::string releaseProblem(const std::string& release) {
  if (release.size() > 20) return fmt::format("it has {} characters, at most 20 are allowed", release.size());
  if (release.find('+') != std::string::npos || !Version::tryParse("0.0.0-" + release))
    return "it must be dot-separated identifiers of [0-9A-Za-z-], numbers without leading zeros";
  return {};
}

class Validator {
 public:
  explicit Validator(const Catalog& catalog) : catalog_(catalog) {}

  std::vector<std::string> run() {
    size_t entryCount = 0;
    for (const auto& channel : catalog_.channels) entryCount += channel.entries.size();
    packages_.reserve(catalog_.packages.size());
    channels_.reserve(catalog_.channels.size());
    entries_.reserve(entryCount);
    bundles_.reserve(catalog_.bundles.size());
    checkPackages();
    checkChannels();
    checkBundles();
    checkEntriesHaveBundles();
    checkDefaultChannels();
    checkUniqueVersions();
    checkDeprecations();
    std::stable_sort(problems_.begin(), problems_.end(),
                     [](const Problem& a, const Problem& b) { return a.package < b.package; });
    std::vector<std::string> texts;
    texts.reserve(problems_.size());
    for (auto& problem : problems_) texts.push_back(std::move(problem.text));
    return texts;
  }

 private:
  // key() in a reused buffer, for lookups: no allocation per lookup.
  const std::string& lookupKey(std::string_view package, std::string_view name) {
    scratch_.assign(package).push_back('\0');
    scratch_.append(name);
    return scratch_;
  }

  template <typename... Args>
  void add(std::string_view package, fmt::format_string<Args...> format, Args&&... args) {
    problems_.push_back({std::string(package), fmt::format(format, std::forward<Args>(args)...)});
  }

  void checkPackages() {
    for (const auto& package : catalog_.packages) {
      if (package.name.empty()) {
        add("", "olm.package{}: config contains package with no name; set its \"name\"", at(package.origin));
        continue;
      }
      if (!packages_.emplace(package.name, &package).second) {
        add(package.name, "duplicate package \"{}\"{}: a package may have only one olm.package object", package.name,
            at(package.origin));
        continue;
      }
      packageOrder_.push_back(&package);
      if (auto problem = packageNameProblem(package.name); !problem.empty())
        add(package.name, "invalid package name \"{}\": {}", package.name, problem);
    }
  }

  void checkChannels() {
    for (const auto& channel : catalog_.channels) {
      if (channel.package.empty()) {
        add("", "olm.channel \"{}\"{} has no package; set its \"package\"", channel.name, at(channel.origin));
        continue;
      }
      if (!packages_.contains(channel.package)) {
        add("", "unknown package \"{}\" for channel \"{}\"{}: add an olm.package for it or fix the channel's \"package\"",
            channel.package, channel.name, at(channel.origin));
        continue;
      }
      if (channel.name.empty()) {
        add(channel.package, "package \"{}\" contains channel with no name{}; set its \"name\"", channel.package,
            at(channel.origin));
        continue;
      }
      if (!channels_.insert(key(channel.package, channel.name)).second) {
        add(channel.package,
            "package \"{}\" has duplicate channel \"{}\"{}: a channel may be defined by only one olm.channel; merge "
            "their entries",
            channel.package, channel.name, at(channel.origin));
        continue;
      }
      channelNames_[channel.package].push_back(channel.name);
      acceptedChannels_.push_back(&channel);
      checkChannel(channel);
    }
  }

  void checkChannel(const Channel& channel) {
    const auto& package = channel.package;
    if (channel.entries.empty()) {
      add(package, "package \"{}\", channel \"{}\": channel must contain at least one bundle; add entries or remove "
                   "the channel",
          package, channel.name);
      return;
    }
    std::unordered_set<std::string_view> seen;
    std::set<std::string_view> duplicates;
    bool unnamedEntry = false;
    for (const auto& entry : channel.entries) {
      if (entry.name.empty()) {
        unnamedEntry = true;
      } else if (!seen.insert(entry.name).second) {
        duplicates.insert(entry.name);
      } else {
        entries_.insert(key(package, entry.name));
      }
      for (size_t i = 0; i < entry.skips.size(); ++i)
        if (entry.skips[i].empty())
          add(package, "package \"{}\", channel \"{}\", entry \"{}\": skip[{}] is empty; remove it", package,
              channel.name, entry.name, i);
      if (!entry.skipRange.empty())
        if (const auto& problem = skipRangeProblem(entry.skipRange); !problem.empty())
          add(package, "package \"{}\", channel \"{}\", entry \"{}\": invalid skipRange \"{}\": {}", package,
              channel.name, entry.name, entry.skipRange, problem);
    }
    if (unnamedEntry)
      add(package, "package \"{}\", channel \"{}\": an entry has no name; every entry must name a bundle", package,
          channel.name);
    for (auto name : duplicates)
      add(package, "package \"{}\", channel \"{}\": duplicate entry \"{}\"; a bundle may appear only once per channel",
          package, channel.name, name);
    checkUpgradeGraph(channel);
  }

  // opm's validateReplacesChain: exactly one head; the replaces chain from the
  // head (ending early at a replaces target that something skips) must reach
  // every entry that is not skipped, without a cycle.
  void checkUpgradeGraph(const Channel& channel) {
    const auto& package = channel.package;
    ChannelGraph graph(channel);
    auto heads = graph.heads();
    if (heads.empty()) {
      add(package,
          "package \"{}\", channel \"{}\": no channel head found in graph (every entry is replaced or skipped by "
          "another entry, so the upgrade edges form a cycle)",
          package, channel.name);
      return;
    }
    if (heads.size() > 1) {
      std::vector<std::string_view> names;
      for (const auto* head : heads) names.push_back(head->name);
      add(package,
          "package \"{}\", channel \"{}\": multiple channel heads found in graph: {} (nothing replaces or skips "
          "these entries, but a channel has exactly one head: make the newest replace or skip the others)",
          package, channel.name, fmt::join(names, ", "));
      return;
    }
    const ChannelEntry* head = heads.front();
    std::unordered_set<std::string_view> skipped;
    for (const auto& entry : channel.entries) skipped.insert(entry.skips.begin(), entry.skips.end());

    std::unordered_set<std::string_view> chain{head->name};
    std::vector<std::string_view> path{head->name};
    for (const ChannelEntry* current = head; current != nullptr; current = graph.find(current->replaces)) {
      const std::string& next = current->replaces;
      if (skipped.contains(next)) break;
      if (chain.contains(next)) {
        auto first = std::find(path.begin(), path.end(), std::string_view(next));
        std::vector<std::string_view> cycle(first, path.end());
        cycle.push_back(next);
        add(package,
            "package \"{}\", channel \"{}\": detected cycle in replaces chain of upgrade graph: {}; break the cycle "
            "by changing one of these \"replaces\"",
            package, channel.name, fmt::join(cycle, " -> "));
        return;
      }
      chain.insert(next);
      path.push_back(next);
    }

    std::set<std::string_view> stranded;
    for (const auto& entry : channel.entries)
      if (!chain.contains(entry.name) && !skipped.contains(entry.name)) stranded.insert(entry.name);
    if (!stranded.empty())
      add(package,
          "package \"{}\", channel \"{}\": channel contains one or more stranded bundles: {} (no entry skips them "
          "and they are not on the replaces chain from the head {}; make an entry on that chain replace or skip them, "
          "or remove them)",
          package, channel.name, fmt::join(stranded, ", "), head->name);
  }

  // Real catalogs repeat the same few skipRanges many times; parse each once.
  const std::string& skipRangeProblem(const std::string& range) {
    auto found = skipRangeProblems_.find(range);
    if (found != skipRangeProblems_.end()) return found->second;
    std::string problem;
    try {
      VersionRange::parse(range);
    } catch (const Error& error) {
      // The message repeats the range, which the problem already names.
      problem = error.what();
      std::string prefix = fmt::format("version range \"{}\": ", range);
      if (problem.starts_with(prefix)) problem.erase(0, prefix.size());
    }
    return skipRangeProblems_.emplace(range, std::move(problem)).first->second;
  }

  void checkBundles() {
    for (const auto& bundle : catalog_.bundles) {
      if (bundle.package.empty()) {
        add("", "olm.bundle \"{}\"{} has no package; set its \"package\"", bundle.name, at(bundle.origin));
        continue;
      }
      if (!packages_.contains(bundle.package)) {
        add("", "unknown package \"{}\" for bundle \"{}\"{}: add an olm.package for it or fix the bundle's \"package\"",
            bundle.package, bundle.name, at(bundle.origin));
        continue;
      }
      if (bundle.name.empty()) {
        add(bundle.package, "package \"{}\": olm.bundle{} has no name; set its \"name\"", bundle.package,
            at(bundle.origin));
        continue;
      }
      if (!bundles_.emplace(key(bundle.package, bundle.name), &bundle).second) {
        add(bundle.package, "package \"{}\" has duplicate bundle \"{}\"{}: bundle names must be unique in a package",
            bundle.package, bundle.name, at(bundle.origin));
        continue;
      }
      checkBundle(bundle);
    }
  }

  void checkBundle(const Bundle& bundle) {
    const auto& package = bundle.package;
    std::optional<Version> version;
    bool releaseValid = bundle.release.empty();
    if (bundle.packagePropertyCount != 1) {
      add(package, "package \"{}\", bundle \"{}\": must have exactly 1 \"olm.package\" property, found {}", package,
          bundle.name, bundle.packagePropertyCount);
    } else {
      if (bundle.packageProperty != package)
        add(package,
            "package \"{}\", bundle \"{}\": package \"{}\" does not match \"olm.package\" property \"{}\"; the "
            "property's packageName must be the bundle's package",
            package, bundle.name, package, bundle.packageProperty);
      try {
        version = Version::parse(bundle.version);
      } catch (const Error& error) {
        add(package, "package \"{}\", bundle \"{}\": invalid version in the \"olm.package\" property: {}", package,
            bundle.name, error.what());
      }
      if (!bundle.release.empty()) {
        if (auto problem = releaseProblem(bundle.release); !problem.empty()) {
          add(package, "package \"{}\", bundle \"{}\": invalid release \"{}\" in the \"olm.package\" property: {}",
              package, bundle.name, bundle.release, problem);
        } else {
          releaseValid = true;
        }
      }
      if (version && !bundle.release.empty() && releaseValid) {
        std::string normalized = fmt::format("{}-v{}-{}", package, bundle.version, bundle.release);
        if (bundle.name != normalized)
          add(package,
              "package \"{}\", bundle \"{}\": name \"{}\" does not match normalized name \"{}\" (a bundle with a "
              "release must be named <package>-v<version>-<release>)",
              package, bundle.name, bundle.name, normalized);
        if (!version->build.empty())
          add(package, "package \"{}\", bundle \"{}\": cannot use build metadata in version with a release version",
              package, bundle.name);
      }
    }

    if (bundle.image.empty()) {
      if (!bundle.hasBundleObjects)
        add(package, "package \"{}\", bundle \"{}\": bundle image must be set (it has no \"image\" and no "
                     "olm.bundle.object properties)",
            package, bundle.name);
    } else if (auto problem = imagePullSpecProblem(bundle.image); !problem.empty()) {
      add(package, "package \"{}\", bundle \"{}\": image: invalid image pull spec \"{}\": {}", package, bundle.name,
          bundle.image, problem);
    }
    for (size_t i = 0; i < bundle.relatedImages.size(); ++i) {
      const auto& image = bundle.relatedImages[i].image;
      if (image.empty()) continue;
      if (auto problem = imagePullSpecProblem(image); !problem.empty())
        add(package, "package \"{}\", bundle \"{}\": relatedImages[{}].image: invalid image pull spec \"{}\": {}",
            package, bundle.name, i, image, problem);
    }

    if (!entries_.contains(lookupKey(package, bundle.name)))
      add(package,
          "package \"{}\", bundle \"{}\" not found in any channel entries; add it to a channel or remove the bundle",
          package, bundle.name);

    if (version && releaseValid) {
      // opm compares the version text, build metadata included, plus the release.
      std::string versionText = bundle.release.empty() ? bundle.version : bundle.version + "-" + bundle.release;
      versions_[package][std::move(versionText)].push_back(bundle.name);
    }
  }

  void checkEntriesHaveBundles() {
    std::map<std::string, std::set<std::string_view>> missingByPackage, channelsByPackage;
    for (const auto* channel : acceptedChannels_) {
      for (const auto& entry : channel->entries) {
        if (entry.name.empty() || bundles_.contains(lookupKey(channel->package, entry.name))) continue;
        missingByPackage[channel->package].insert(entry.name);
        channelsByPackage[channel->package].insert(channel->name);
      }
    }
    for (const auto& [package, missing] : missingByPackage)
      add(package,
          "package \"{}\": no olm.bundle blobs found for olm.channel entries [{}] (in channels {}); add the bundles "
          "or remove those entries",
          package, fmt::join(missing, ", "), fmt::join(channelsByPackage[package], ", "));
  }

  void checkDefaultChannels() {
    for (const auto* package : packageOrder_) {
      auto found = channelNames_.find(package->name);
      if (found == channelNames_.end()) {
        add(package->name, "package \"{}\": package must contain at least one channel; add an olm.channel for it",
            package->name);
        continue;
      }
      auto sortedNames = [&] {
        std::vector<std::string_view> names = found->second;
        std::sort(names.begin(), names.end());
        return names;
      };
      if (package->defaultChannel.empty()) {
        add(package->name, "package \"{}\": default channel must be set; set \"defaultChannel\" to one of: {}",
            package->name, fmt::join(sortedNames(), ", "));
      } else if (!channels_.contains(lookupKey(package->name, package->defaultChannel))) {
        add(package->name,
            "package \"{}\": default channel \"{}\" not found in channels list ({}); set \"defaultChannel\" to an "
            "existing channel",
            package->name, package->defaultChannel, fmt::join(sortedNames(), ", "));
      }
    }
  }

  void checkUniqueVersions() {
    struct Duplicate {
      std::string_view package, version;
      std::vector<std::string_view> bundles;
    };
    std::vector<Duplicate> duplicates;
    for (const auto& [package, versions] : versions_)
      for (const auto& [version, bundleNames] : versions)
        if (bundleNames.size() > 1) duplicates.push_back({package, version, bundleNames});
    std::sort(duplicates.begin(), duplicates.end(), [](const Duplicate& a, const Duplicate& b) {
      return std::tie(a.package, a.version) < std::tie(b.package, b.version);
    });
    for (auto& duplicate : duplicates) {
      std::sort(duplicate.bundles.begin(), duplicate.bundles.end());
      add(duplicate.package,
          "package \"{}\": duplicate versions found in bundles: [{{{}: [{}]}}]; every bundle of a package needs its "
          "own version",
          duplicate.package, duplicate.version, fmt::join(duplicate.bundles, ", "));
    }
  }

  void checkDeprecations() {
    std::unordered_set<std::string_view> deprecatedPackages;
    for (size_t i = 0; i < catalog_.deprecations.size(); ++i) {
      const auto& deprecation = catalog_.deprecations[i];
      const auto& package = deprecation.package;
      if (package.empty()) {
        add("", "olm.deprecations{}: package name must be set for deprecation item {}", at(deprecation.origin), i);
        continue;
      }
      if (!packages_.contains(package)) {
        add("", "olm.deprecations{}: cannot apply deprecations to an unknown package \"{}\"", at(deprecation.origin),
            package);
        continue;
      }
      if (!deprecatedPackages.insert(package).second) {
        add(package,
            "package \"{}\": expected a maximum of one deprecation per package, found another olm.deprecations{}; "
            "merge their entries",
            package, at(deprecation.origin));
        continue;
      }
      std::set<std::pair<std::string_view, std::string_view>> references;
      for (size_t j = 0; j < deprecation.entries.size(); ++j) {
        const auto& entry = deprecation.entries[j];
        if (entry.schema.empty()) {
          add(package, "package \"{}\": schema must be set for deprecation entry [{}]", package, j);
          continue;
        }
        if (entry.message.empty())
          add(package, "package \"{}\": deprecation entry [{}] ({} \"{}\") must have a message", package, j,
              entry.schema, entry.name);
        if (!references.emplace(entry.schema, entry.name).second) {
          add(package, "package \"{}\": duplicate deprecation entry for {} \"{}\"", package, entry.schema, entry.name);
          continue;
        }
        if (entry.schema == "olm.bundle") {
          if (!bundles_.contains(lookupKey(package, entry.name)))
            add(package, "package \"{}\": cannot deprecate bundle \"{}\": bundle not found", package, entry.name);
        } else if (entry.schema == "olm.channel") {
          if (!channels_.contains(lookupKey(package, entry.name)))
            add(package, "package \"{}\": cannot deprecate channel \"{}\": channel not found", package, entry.name);
        } else if (entry.schema == "olm.package") {
          if (!entry.name.empty())
            add(package,
                "package \"{}\": package name must be empty for deprecated package (specified \"{}\"); an "
                "olm.package reference names no package, it means this one",
                package, entry.name);
        } else {
          add(package,
              "package \"{}\": cannot deprecate object of schema \"{}\" referenced by entry [{}]: object schema "
              "unknown (use olm.package, olm.channel or olm.bundle)",
              package, entry.schema, j);
        }
      }
    }
  }

  const Catalog& catalog_;
  std::string scratch_;
  std::vector<Problem> problems_;
  std::unordered_map<std::string_view, const Package*> packages_;
  std::vector<const Package*> packageOrder_;
  std::unordered_set<std::string> channels_;  // key(package, channel)
  std::unordered_map<std::string_view, std::vector<std::string_view>> channelNames_;
  std::vector<const Channel*> acceptedChannels_;
  std::unordered_set<std::string> entries_;  // key(package, entry) over every channel
  std::unordered_map<std::string, const Bundle*> bundles_;  // key(package, bundle)
  std::unordered_map<std::string, std::string> skipRangeProblems_;
  // package -> version text -> bundle names
  std::unordered_map<std::string_view, std::unordered_map<std::string, std::vector<std::string_view>>> versions_;
};

}  // namespace

std::vector<std::string> validationProblems(const Catalog& catalog) { return Validator(catalog).run(); }

void validateCatalog(const Catalog& catalog, const std::string& what) {
  auto problems = validationProblems(catalog);
  if (problems.empty()) return;
  // A broken catalog can have thousands of problems; the first ones show the pattern.
  constexpr size_t kListed = 100;
  std::string message =
      fmt::format("{} is not a valid catalog ({} problem{}):", what, problems.size(), problems.size() == 1 ? "" : "s");
  for (size_t i = 0; i < problems.size() && i < kListed; ++i) message += "\n  - " + problems[i];
  if (problems.size() > kListed) message += fmt::format("\n  - ... and {} more", problems.size() - kListed);
  throw Error(message);
}

}  // namespace ferry::catalog
