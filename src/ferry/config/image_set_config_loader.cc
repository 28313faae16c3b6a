// Reads an ImageSetConfiguration section by section, checking each value as it
// is read (that is where its position is known) and collecting every error.
// The order of checks follows the file, so messages come out in file order.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/base/yaml_bounds.h"
#include "ferry/fbc/semver.h"
#include "ferry/config/image_set_config.h"
#include "ferry/config/yaml_fields.h"

namespace ferry::config {
namespace {

using catalog::Version;
using FV = FieldVersions;

constexpr std::string_view kKind = "ImageSetConfiguration";
constexpr std::string_view kCatalogExample = "registry.redhat.io/redhat/redhat-operator-index:v4.18";
constexpr std::string_view kRefFix =
    "write REGISTRY/REPOSITORY[:TAG][@DIGEST], or oci://DIR for an image in an OCI layout";

const std::vector<FieldSpec> kRootFields = {
    {"apiVersion"},
    {"kind"},
    {"archiveSize"},
    {"storageConfig", FV::V1Only, "remove it: with v2alpha1 the history lives in the workspace"},
    {"mirror"},
};
// A DeleteImageSetConfiguration: oc-mirror v2's delete: section, the same content kinds but blockedImages.
const std::vector<FieldSpec> kDeleteRootFields = {{"apiVersion"}, {"kind"}, {"delete"}};
const std::vector<FieldSpec> kDeleteFields = {
    {"platform"}, {"operators"}, {"additionalImages"}, {"helm"}, {"samples"},
    {"blockedImages", FV::None, "a DeleteImageSetConfiguration names what to delete; blockedImages belongs to mirror:"},
};
constexpr std::string_view kDeleteKind = "DeleteImageSetConfiguration";
const std::vector<FieldSpec> kStorageFields = {{"local"}, {"registry"}};
const std::vector<FieldSpec> kStorageLocalFields = {{"path"}};
const std::vector<FieldSpec> kStorageRegistryFields = {{"imageURL"}, {"skipTLS"}};
const std::vector<FieldSpec> kMirrorFields = {
    {"platform"}, {"operators"}, {"additionalImages"}, {"blockedImages"}, {"helm"}, {"samples"},
};
const std::vector<FieldSpec> kPlatformFields = {
    {"graph"},         {"release", FV::V2Only},   {"channels"},
    {"architectures"}, {"platforms", FV::V2Only}, {"kubeVirtContainer", FV::V2Only},
};
const std::vector<FieldSpec> kReleaseChannelFields = {
    {"name"}, {"type"}, {"minVersion"}, {"maxVersion"}, {"shortestPath"}, {"full"},
};
const std::vector<FieldSpec> kPlatformFilterFields = {{"os"}, {"architecture"}, {"variant"}};
const std::vector<FieldSpec> kOperatorFields = {
    {"catalog"},
    {"full"},
    {"skipDependencies"},
    {"targetName", FV::V1Only, "use targetCatalog"},
    {"targetCatalog"},
    {"targetTag"},
    {"originalRef", FV::V1Only, "remove it (deprecated since oc-mirror 4.13 and unused)"},
    {"targetCatalogSourceTemplate", FV::V2Only},
    {"platforms", FV::V2Only},
    {"packages"},
    {"headsOnly", FV::None,
     "it belongs to oc-mirror's retired v1alpha1 API: heads only is the default, full: true mirrors everything"},
};
const std::vector<FieldSpec> kPackageFields = {
    {"name"},
    {"defaultChannel"},
    {"minVersion"},
    {"maxVersion"},
    {"minBundle", FV::V1Only, "use minVersion (v2alpha1 has no minBundle)"},
    {"channels"},
    {"bundles", FV::None, "selecting bundles by name was removed in oc-mirror 4.18; use minVersion and maxVersion"},
    {"startingVersion", FV::None, "it belongs to oc-mirror's retired v1alpha1 API; use minVersion"},
};
const std::vector<FieldSpec> kChannelFields = {
    {"name"},
    {"minVersion"},
    {"maxVersion"},
    {"minBundle", FV::V1Only, "use minVersion (v2alpha1 has no minBundle)"},
    {"startingVersion", FV::None, "it belongs to oc-mirror's retired v1alpha1 API; use minVersion"},
};
const std::vector<FieldSpec> kAdditionalImageFields = {
    {"name"}, {"targetRepo", FV::V2Only}, {"targetTag", FV::V2Only}, {"platforms", FV::V2Only},
};
const std::vector<FieldSpec> kNameOnlyFields = {{"name"}};
const std::vector<FieldSpec> kHelmFields = {{"repositories"}, {"local"}};
const std::vector<FieldSpec> kHelmRepositoryFields = {{"name"}, {"url"}, {"charts"}};
const std::vector<FieldSpec> kHelmChartFields = {
    {"name"}, {"version"}, {"path"}, {"imagePaths"}, {"platforms", FV::V2Only},
};

const std::set<std::string, std::less<>> kReleaseArchitectures = {"amd64", "arm64", "ppc64le", "s390x", "multi"};

// A name seen once, to report a second one.
struct Seen {
  std::string path;
  SourceLocation where;
};

class Loader {
 public:
  Loader(const std::string& file, const LoadOptions& options, bool deleteKind = false)
      : errors_(file), options_(options), delete_(deleteKind), section_(deleteKind ? "delete" : "mirror") {
    config_.file = file;
    config_.deleteKind = deleteKind;
  }

  ImageSetConfig load(std::string_view text) {
    YAML::Node root = parseDocument(text);
    readHeader(root);
    FieldReader reader(root, "", SourceLocation{errors_.file(), 1, 1}, version_,
                       delete_ ? kDeleteRootFields : kRootFields, errors_);
    if (!delete_) {
      readArchiveSize(reader);
      readStorageConfig(reader);
    } else if (!reader.has("delete")) {
      errors_.add(SourceLocation{errors_.file(), 1, 1}, "", "required field \"delete\" is missing",
                  "add a delete: section naming what to delete (platform, operators, additionalImages, helm)");
    }
    if (reader.has(section_)) readMirror(reader);
    errors_.throwIfAny();
    config_.warnings = errors_.warnings();
    return std::move(config_);
  }

 private:
  // --- document and header -------------------------------------------------------------------

  YAML::Node parseDocument(std::string_view text) {
    std::vector<YAML::Node> documents;
    try {
      documents = loadYamlDocuments(text, errors_.file(), configurationYamlLimits("an ImageSetConfiguration"));
    } catch (const YAML::Exception& e) {
      bool tabs = text.starts_with('\t') || text.find("\n\t") != std::string_view::npos;
      fail("{}:{}:{}: invalid YAML: {}; {}", errors_.file(), e.mark.line + 1, e.mark.column + 1, e.msg,
           tabs ? "indent with spaces: YAML does not allow tabs for indentation" : "fix the syntax at that position");
    }
    if (documents.empty() || (documents.size() == 1 && documents[0].IsNull()))
      fail("{}: the file is empty; an ImageSetConfiguration starts with apiVersion: mirror.openshift.io/v2alpha1, "
           "kind: ImageSetConfiguration and a mirror: section",
           errors_.file());
    if (documents.size() > 1) {
      SourceLocation second = errors_.at(documents[1]);
      fail("{}: the file holds {} YAML documents; keep one ImageSetConfiguration per file", second.str(),
           documents.size());
    }
    const YAML::Node& root = documents[0];
    if (!root.IsMap())
      fail("{}: expected a mapping with apiVersion, kind and mirror, found {}", errors_.at(root).str(),
           root.IsSequence() ? "a list" : fmt::format("\"{}\"", root.Scalar()));
    return root;
  }

  // The version decides which fields exist, so a bad header stops the load here.
  void readHeader(const YAML::Node& root) {
    const YAML::Node apiVersion = root["apiVersion"];
    const YAML::Node kind = root["kind"];
    SourceLocation top{errors_.file(), 1, 1};
    std::string accepted = fmt::format("{} or {}", apiVersionName(ApiVersion::V2Alpha1),
                                       apiVersionName(ApiVersion::V1Alpha2));
    auto version = readString(apiVersion, "apiVersion", errors_.at(apiVersion, top), errors_);
    if (!apiVersion.IsDefined() || apiVersion.IsNull()) {
      errors_.add(top, "", "required field \"apiVersion\" is missing",
                  fmt::format("add apiVersion: {} (ferry also reads {})", apiVersionName(ApiVersion::V2Alpha1),
                              apiVersionName(ApiVersion::V1Alpha2)));
    } else if (version == apiVersionName(ApiVersion::V1Alpha2)) {
      version_ = ApiVersion::V1Alpha2;
    } else if (version == apiVersionName(ApiVersion::V2Alpha1)) {
      version_ = ApiVersion::V2Alpha1;
    } else if (version) {
      errors_.add(errors_.at(apiVersion), "apiVersion", fmt::format("\"{}\" is not accepted", *version),
                  fmt::format("use {}", accepted));
    }
    auto kindText = readString(kind, "kind", errors_.at(kind, top), errors_);
    if (delete_) {
      if (!kind.IsDefined() || kind.IsNull()) {
        errors_.add(top, "", "required field \"kind\" is missing", "add kind: DeleteImageSetConfiguration");
      } else if (kindText == kKind) {
        errors_.add(errors_.at(kind), "kind", "an ImageSetConfiguration says what to mirror, not what to delete",
                    "give ferry delete --generate a kind: DeleteImageSetConfiguration with a delete: section");
      } else if (kindText && *kindText != kDeleteKind) {
        errors_.add(errors_.at(kind), "kind", fmt::format("\"{}\" is not accepted", *kindText),
                    "use kind: DeleteImageSetConfiguration");
      }
      if (version_ == ApiVersion::V1Alpha2)
        errors_.add(errors_.at(apiVersion), "apiVersion",
                    "a DeleteImageSetConfiguration exists only in mirror.openshift.io/v2alpha1",
                    "use apiVersion: mirror.openshift.io/v2alpha1");
      errors_.throwIfAny();
      config_.apiVersion = version_;
      return;
    }
    if (!kind.IsDefined() || kind.IsNull()) {
      errors_.add(top, "", "required field \"kind\" is missing", "add kind: ImageSetConfiguration");
    } else if (kindText == "DeleteImageSetConfiguration") {
      errors_.add(errors_.at(kind), "kind",
                  "a DeleteImageSetConfiguration says what to delete, not what to mirror",
                  "give it to ferry delete --generate -c FILE; give ferry mirror a kind: ImageSetConfiguration");
    } else if (kindText && *kindText != kKind) {
      errors_.add(errors_.at(kind), "kind", fmt::format("\"{}\" is not accepted", *kindText),
                  "use kind: ImageSetConfiguration");
    }
    errors_.throwIfAny();
    config_.apiVersion = version_;
  }

  void readArchiveSize(const FieldReader& root) {
    auto size = root.integer("archiveSize");
    if (!size) return;
    // The size is turned into bytes (GiB << 30), which must fit.
    constexpr int64_t kLargest = std::numeric_limits<int64_t>::max() >> 30;
    if (*size <= 0) {
      errors_.add(root.at("archiveSize"), "archiveSize", fmt::format("{} is not a positive number of GiB", *size),
                  "remove it for the default of 500, or give a size such as 8");
    } else if (*size > kLargest) {
      errors_.add(root.at("archiveSize"), "archiveSize", fmt::format("{} GiB is too large", *size),
                  "give a size such as 500");
    } else {
      config_.archiveSizeGiB = *size;
    }
  }

  void readStorageConfig(const FieldReader& root) {
    if (!root.has("storageConfig") || version_ != ApiVersion::V1Alpha2) return;
    FieldReader reader(root.value("storageConfig"), "storageConfig", root.at("storageConfig"), version_,
                       kStorageFields, errors_);
    if (!reader.valid()) return;
    StorageConfig storage;
    storage.where = root.keyAt("storageConfig");
    if (reader.has("local")) {
      FieldReader local(reader.value("local"), "storageConfig.local", reader.at("local"), version_,
                        kStorageLocalFields, errors_);
      // oc-mirror v1 accepts a local backend without a path (its default folder);
      // ferry ignores storageConfig, so a missing path is only noted.
      if (local.has("path") || !local.valid()) {
        storage.local = StorageConfig::Local{local.requiredString("path", "/var/ferry/metadata")};
      } else {
        storage.local = StorageConfig::Local{};
        errors_.warn(reader.keyAt("local"), "storageConfig.local", "has no path: accepted as oc-mirror v1 does",
                     "nothing to do: ferry does not read storageConfig");
      }
    }
    if (reader.has("registry")) {
      FieldReader registry(reader.value("registry"), "storageConfig.registry", reader.at("registry"), version_,
                           kStorageRegistryFields, errors_);
      StorageConfig::Registry backend;
      backend.imageURL = registry.requiredString("imageURL", "registry.example:5000/mirror/metadata:latest");
      backend.skipTLS = registry.boolean("skipTLS").value_or(false);
      storage.registry = backend;
    }
    errors_.warn(storage.where, "storageConfig",
                 "ignored: ferry keeps its history in the workspace, not in an oc-mirror metadata store",
                 "remove it");
    config_.storageConfig = std::move(storage);
  }

  // --- mirror -----------------------------------------------------------------------------------

  void readMirror(const FieldReader& root) {
    FieldReader mirror(root.value(section_), section_, root.at(section_), version_,
                       delete_ ? kDeleteFields : kMirrorFields, errors_);
    if (!mirror.valid()) return;
    readPlatform(mirror);
    readOperators(mirror);
    readAdditionalImages(mirror);
    readBlockedImages(mirror);
    readHelm(mirror);
    readSamples(mirror);
  }

  // A semantic version field; returns the text as written ("" when absent).
  // An unquoted 1.0 is a YAML number; it is reported as a version that is not semver.
  std::string readVersion(const FieldReader& reader, std::string_view name) {
    if (!reader.has(name)) return "";
    if (!reader.value(name).IsScalar()) return reader.string(name).value_or("");
    std::string text = reader.value(name).Scalar();
    if (text.empty() || Version::tryParse(text)) return text;
    std::string fix = "write a semantic version MAJOR.MINOR.PATCH, such as 1.2.0";
    if ((text.front() == 'v' || text.front() == 'V') && Version::tryParse(text.substr(1)))
      fix = fmt::format("write {} without the leading '{}'", text.substr(1), text.front());
    errors_.add(reader.at(name), reader.path(name), fmt::format("\"{}\" is not a semantic version", text), fix);
    return text;
  }

  // minVersion <= maxVersion when both are valid versions.
  void checkVersionOrder(const FieldReader& reader, const std::string& minVersion, const std::string& maxVersion) {
    auto min = Version::tryParse(minVersion);
    auto max = Version::tryParse(maxVersion);
    if (min && max && *min > *max)
      errors_.add(reader.at("maxVersion"), reader.path(),
                  fmt::format("minVersion {} is greater than maxVersion {}", minVersion, maxVersion),
                  "swap them, or set maxVersion to the newest version wanted");
  }

  // A platforms list: each item {os, architecture[, variant]} or the string "os/architecture[/variant]".
  std::vector<Platform> readPlatforms(const FieldReader& reader, std::string_view name) {
    std::vector<Platform> platforms;
    std::map<std::string, Seen> seen;
    reader.forEach(name, [&](const YAML::Node& item, const std::string& path, const SourceLocation& at) {
      Platform platform;
      if (item.IsScalar()) {
        auto text = readString(item, path, at, errors_);
        if (!text) return;
        try {
          platform = Platform::parse(*text);
        } catch (const Error& e) {
          errors_.add(at, path, e.what(), "write os/architecture[/variant], e.g. linux/arm64 or linux/arm/v7");
          return;
        }
      } else {
        FieldReader entry(item, path, at, version_, kPlatformFilterFields, errors_);
        if (!entry.valid()) return;
        platform.os = entry.requiredString("os", "linux");
        platform.architecture = entry.requiredString("architecture", "amd64");
        platform.variant = entry.string("variant").value_or("");
        for (std::string_view field : {"os", "architecture", "variant"}) {
          std::string value = field == "os" ? platform.os : field == "architecture" ? platform.architecture
                                                                                     : platform.variant;
          if (value.find('/') != std::string::npos)
            errors_.add(entry.at(field), entry.path(field), fmt::format("\"{}\" holds a '/'", value),
                        "give the os, the architecture and the variant in their own fields, e.g. os: linux, "
                        "architecture: arm64 (or write the item as the string linux/arm64)");
        }
        if (platform.os.empty() || platform.architecture.empty()) return;
      }
      auto key = platform.normalized().str();
      auto [previous, fresh] = seen.try_emplace(key, Seen{path, at});
      if (!fresh) {
        errors_.add(at, path, fmt::format("platform {} is listed twice (also at {})", platform.str(),
                                          previous->second.where.str()),
                    "keep one");
        return;
      }
      platforms.push_back(std::move(platform));
    });
    return platforms;
  }

  void readPlatform(const FieldReader& mirror) {
    if (!mirror.has("platform")) return;
    FieldReader reader(mirror.value("platform"), section_ + ".platform", mirror.at("platform"), version_, kPlatformFields,
                       errors_);
    if (!reader.valid() || reader.empty()) return;
    PlatformConfig platform;
    platform.where = mirror.keyAt("platform");
    platform.graph = reader.boolean("graph").value_or(false);
    platform.release = reader.string("release").value_or("");
    if (!platform.release.empty()) {
      try {
        ImageReference::parse(platform.release);
      } catch (const Error& e) {
        errors_.add(reader.at("release"), reader.path("release"), e.what(), kRefFix);
      }
    }
    std::map<std::string, Seen> channelNames;
    reader.forEach("channels", [&](const YAML::Node& item, const std::string& path, const SourceLocation& at) {
      FieldReader entry(item, path, at, version_, kReleaseChannelFields, errors_);
      if (!entry.valid()) return;
      ReleaseChannel channel;
      channel.where = at;
      channel.name = entry.requiredString("name", "stable-4.18");
      if (auto type = entry.string("type")) {
        if (*type == "okd") {
          channel.type = ReleaseType::Okd;
        } else if (*type != "ocp") {
          errors_.add(entry.at("type"), entry.path("type"), fmt::format("\"{}\" is not a release type", *type),
                      "use ocp (the default) or okd");
        }
      }
      channel.minVersion = readVersion(entry, "minVersion");
      channel.maxVersion = readVersion(entry, "maxVersion");
      checkVersionOrder(entry, channel.minVersion, channel.maxVersion);
      channel.shortestPath = entry.boolean("shortestPath").value_or(false);
      channel.full = entry.boolean("full").value_or(false);
      if (!channel.name.empty()) {
        auto [previous, fresh] = channelNames.try_emplace(channel.name, Seen{path, entry.at("name")});
        if (!fresh)
          errors_.add(entry.at("name"), entry.path("name"),
                      fmt::format("release channel \"{}\" is listed twice (also at {})", channel.name,
                                  previous->second.where.str()),
                      "merge the two entries");
      }
      platform.channels.push_back(std::move(channel));
    });
    reader.forEach("architectures", [&](const YAML::Node& item, const std::string& path, const SourceLocation& at) {
      auto architecture = readString(item, path, at, errors_);
      if (!architecture) return;
      if (!kReleaseArchitectures.contains(*architecture)) {
        errors_.add(at, path, fmt::format("\"{}\" is not a release architecture", *architecture),
                    "use amd64, arm64, ppc64le, s390x or multi");
        return;
      }
      platform.architectures.push_back(*architecture);
    });
    platform.platforms = readPlatforms(reader, "platforms");
    platform.kubeVirtContainer = reader.boolean("kubeVirtContainer").value_or(false);
    if (!platform.architectures.empty() && !platform.platforms.empty())
      errors_.add(reader.keyAt("platforms"), reader.path(),
                  "platforms and architectures cannot be used together",
                  "keep platforms (only the listed platforms of a multi payload) or architectures (whole payloads)");
    // As oc-mirror: channels with no architecture mean amd64.
    if (!platform.channels.empty() && platform.architectures.empty() && platform.platforms.empty())
      platform.architectures.push_back("amd64");
    config_.mirror.platform = std::move(platform);
  }

  // --- operators --------------------------------------------------------------------------------

  void readOperators(const FieldReader& mirror) {
    std::map<std::string, Seen> targets;
    mirror.forEach("operators", [&](const YAML::Node& item, const std::string& path, const SourceLocation& at) {
      FieldReader reader(item, path, at, version_, kOperatorFields, errors_);
      if (!reader.valid()) return;
      OperatorCatalog entry;
      if (readOperator(reader, at, entry)) {
        std::string target = catalogTargetName(entry);
        auto [previous, fresh] = targets.try_emplace(target, Seen{path, entry.where});
        if (!fresh)
          errors_.add(entry.where, reader.path("catalog"),
                      fmt::format("catalog {} is already listed at {} ({})", target,
                                  previous->second.where.str(), previous->second.path),
                      "merge the two entries, or give one a different targetCatalog or targetTag");
      }
      config_.mirror.operators.push_back(std::move(entry));
    });
  }

  // Fills `entry`; true when its target name can be computed (for the duplicate check).
  bool readOperator(const FieldReader& reader, const SourceLocation& at, OperatorCatalog& entry) {
    bool named = true;
    entry.catalog = reader.requiredString("catalog", kCatalogExample);
    entry.where = reader.has("catalog") ? reader.at("catalog") : at;
    if (entry.catalog.empty()) {
      named = false;
    } else {
      try {
        entry.catalogRef = ImageReference::parse(entry.catalog);
      } catch (const Error& e) {
        errors_.add(reader.at("catalog"), reader.path("catalog"), e.what(), kRefFix);
        named = false;
      }
    }
    entry.selection.full = reader.boolean("full").value_or(false);
    entry.selection.skipDependencies = reader.boolean("skipDependencies").value_or(false);
    entry.selection.rangesWithinFull = version_ == ApiVersion::V1Alpha2;

    entry.targetCatalog = reader.string("targetCatalog").value_or("");
    std::string tagOfTargetCatalog = splitV1TargetCatalogTag(reader, entry.targetCatalog);
    if (!entry.targetCatalog.empty() && !checkRepositoryPath(reader, "targetCatalog", entry.targetCatalog,
                                                            "my-org/redhat-operator-index"))
      named = false;
    entry.targetName = reader.string("targetName").value_or("");
    if (!entry.targetName.empty()) {
      if (!isValidRepository(entry.targetName) || entry.targetName.find('/') != std::string::npos) {
        errors_.add(reader.at("targetName"), reader.path("targetName"),
                    fmt::format("\"{}\" is not one repository path component", entry.targetName),
                    "use lowercase letters, digits and separators . _ __ -, or use targetCatalog");
        named = false;
      }
      errors_.warn(reader.keyAt("targetName"), reader.path("targetName"), "deprecated since oc-mirror 4.13",
                   entry.targetCatalog.empty() ? "use targetCatalog" : "targetCatalog is used instead");
    }
    entry.targetTag = reader.string("targetTag").value_or("");
    if (!tagOfTargetCatalog.empty()) {
      if (!entry.targetTag.empty()) {
        errors_.add(reader.at("targetCatalog"), reader.path("targetCatalog"),
                    fmt::format("holds the tag \"{}\" and targetTag is \"{}\" too", tagOfTargetCatalog,
                                entry.targetTag),
                    "keep one: the repository path in targetCatalog, the tag in targetTag");
        named = false;
      } else {
        entry.targetTag = tagOfTargetCatalog;
        errors_.warn(reader.at("targetCatalog"), reader.path("targetCatalog"),
                     fmt::format("read as targetCatalog: {} and targetTag: {} (oc-mirror v1 accepts a tag here)",
                                 entry.targetCatalog, entry.targetTag),
                     "give the tag in targetTag");
      }
    }
    if (!entry.targetTag.empty() && !checkTag(reader, "targetTag", entry.targetTag)) named = false;
    entry.originalRef = reader.string("originalRef").value_or("");
    if (reader.has("originalRef"))
      errors_.warn(reader.keyAt("originalRef"), reader.path("originalRef"),
                   "ignored (deprecated since oc-mirror 4.13)", "remove it");
    if (reader.has("targetCatalogSourceTemplate"))
      entry.targetCatalogSourceTemplate =
          reader.requiredString("targetCatalogSourceTemplate", "/path/to/catalog-source-template.yaml");
    entry.platforms = readPlatforms(reader, "platforms");

    std::map<std::string, Seen> packageNames;
    reader.forEach("packages", [&](const YAML::Node& item, const std::string& path, const SourceLocation& itemAt) {
      FieldReader package(item, path, itemAt, version_, kPackageFields, errors_);
      if (!package.valid()) return;
      catalog::PackageSelection selection = readPackage(package, reader);
      if (!selection.name.empty()) {
        auto [previous, fresh] = packageNames.try_emplace(selection.name, Seen{path, package.at("name")});
        if (!fresh)
          errors_.add(package.at("name"), package.path("name"),
                      fmt::format("package \"{}\" is listed twice in this catalog (also at {})", selection.name,
                                  previous->second.where.str()),
                      "merge the two entries");
      }
      entry.selection.packages.push_back(std::move(selection));
      entry.packageLocations.push_back(itemAt);
    });
    if (entry.selection.packages.empty() && reader.has("packages") && reader.value("packages").IsSequence() &&
        reader.value("packages").size() == 0)
      errors_.warn(reader.at("packages"), reader.path("packages"), "an empty list selects every package",
                   "remove it, or list the packages to mirror");
    return named;
  }

  // v1alpha2 only: "ns/name:tag" in targetCatalog becomes "ns/name", returning
  // "tag"; anything else is left for checkRepositoryPath to judge.
  std::string splitV1TargetCatalogTag(const FieldReader& reader, std::string& targetCatalog) const {
    if (version_ != ApiVersion::V1Alpha2 || targetCatalog.find('@') != std::string::npos) return {};
    auto colon = targetCatalog.rfind(':');
    if (colon == std::string::npos || targetCatalog.find('/', colon) != std::string::npos) return {};
    std::string tag = targetCatalog.substr(colon + 1);
    if (tag.empty() || !isValidTag(tag)) return {};
    targetCatalog.resize(colon);
    return tag;
  }

  bool checkRepositoryPath(const FieldReader& reader, std::string_view name, const std::string& value,
                           std::string_view example) {
    if (value.find_first_of(":@") != std::string::npos) {
      errors_.add(reader.at(name), reader.path(name), fmt::format("\"{}\" holds a tag or digest", value),
                  fmt::format("give the repository path alone (e.g. {}) and the tag in targetTag", example));
      return false;
    }
    if (!isValidRepository(value)) {
      errors_.add(reader.at(name), reader.path(name), fmt::format("\"{}\" is not a valid repository path", value),
                  fmt::format("use lowercase letters, digits and separators . _ __ - between '/'-separated "
                              "components, e.g. {}",
                              example));
      return false;
    }
    return true;
  }

  bool checkTag(const FieldReader& reader, std::string_view name, const std::string& value) {
    if (isValidTag(value)) return true;
    errors_.add(reader.at(name), reader.path(name), fmt::format("\"{}\" is not a valid tag", value),
                "use up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'");
    return false;
  }

  // The first version-range field set in `reader`, for pointing at it.
  static std::optional<std::string_view> firstRangeField(const FieldReader& reader) {
    for (std::string_view field : {"minVersion", "maxVersion", "minBundle"})
      if (reader.has(field)) return field;
    return std::nullopt;
  }

  // minVersion, maxVersion and minBundle of a package or channel: shared checks.
  void checkRangeFields(const FieldReader& reader, const FieldReader& operatorEntry, const std::string& minVersion,
                        const std::string& maxVersion, const std::string& minBundle) {
    checkVersionOrder(reader, minVersion, maxVersion);
    if (!minVersion.empty() && !minBundle.empty())
      errors_.add(reader.keyAt("minBundle"), reader.path(), "minVersion and minBundle cannot both be set",
                  "keep minVersion; minBundle is for a bundle with no semantic version");
    auto rangeField = firstRangeField(reader);
    if (rangeField && operatorEntry.boolean("full").value_or(false) && version_ == ApiVersion::V1Alpha2) {
      errors_.warn(reader.keyAt(*rangeField), reader.path(*rangeField),
                   fmt::format("a version range with full: true ({}) is read as oc-mirror v1 does: this range is "
                               "mirrored, the packages without a range in full",
                               operatorEntry.path("full")),
                   "v2alpha1 refuses the mix: remove full: true or the range when moving to v2alpha1");
    } else if (rangeField && operatorEntry.boolean("full").value_or(false))
      errors_.add(reader.keyAt(*rangeField), reader.path(*rangeField),
                  fmt::format("a version range cannot be used with full: true ({})", operatorEntry.path("full")),
                  "remove full: true to mirror the range, or remove the range to mirror every version");
  }

  catalog::PackageSelection readPackage(const FieldReader& reader, const FieldReader& operatorEntry) {
    catalog::PackageSelection package;
    package.name = reader.requiredString("name", "elasticsearch-operator");
    package.defaultChannel = reader.string("defaultChannel").value_or("");
    package.minVersion = readVersion(reader, "minVersion");
    package.maxVersion = readVersion(reader, "maxVersion");
    package.minBundle = reader.string("minBundle").value_or("");
    checkRangeFields(reader, operatorEntry, package.minVersion, package.maxVersion, package.minBundle);
    auto packageRange = firstRangeField(reader);

    std::map<std::string, Seen> channelNames;
    reader.forEach("channels", [&](const YAML::Node& item, const std::string& path, const SourceLocation& at) {
      FieldReader entry(item, path, at, version_, kChannelFields, errors_);
      if (!entry.valid()) return;
      catalog::ChannelSelection channel;
      channel.name = entry.requiredString("name", "stable");
      channel.minVersion = readVersion(entry, "minVersion");
      channel.maxVersion = readVersion(entry, "maxVersion");
      channel.minBundle = entry.string("minBundle").value_or("");
      checkRangeFields(entry, operatorEntry, channel.minVersion, channel.maxVersion, channel.minBundle);
      auto channelRange = firstRangeField(entry);
      if (packageRange && channelRange)
        errors_.add(entry.keyAt(*channelRange), entry.path(*channelRange),
                    fmt::format("a channel range cannot be combined with the package range ({})",
                                reader.path(*packageRange)),
                    "give the range on the package or on its channels, not both");
      if (!channel.name.empty()) {
        auto [previous, fresh] = channelNames.try_emplace(channel.name, Seen{path, entry.at("name")});
        if (!fresh)
          errors_.add(entry.at("name"), entry.path("name"),
                      fmt::format("channel \"{}\" is listed twice in package \"{}\" (also at {})", channel.name,
                                  package.name, previous->second.where.str()),
                      "merge the two entries");
      }
      package.channels.push_back(std::move(channel));
    });

    // With channels listed, only those survive: a default outside them would be filtered out.
    if (!package.defaultChannel.empty() && !package.channels.empty()) {
      bool listed = std::any_of(package.channels.begin(), package.channels.end(),
                                [&](const auto& channel) { return channel.name == package.defaultChannel; });
      if (!listed) {
        std::vector<std::string_view> names;
        for (const auto& channel : package.channels) names.push_back(channel.name);
        errors_.add(reader.at("defaultChannel"), reader.path("defaultChannel"),
                    fmt::format("\"{}\" is not one of the channels listed for package \"{}\" ({})",
                                package.defaultChannel, package.name, fmt::join(names, ", ")),
                    fmt::format("add channel \"{}\" to channels, or set defaultChannel to one of them",
                                package.defaultChannel));
      }
    }
    return package;
  }

  // --- images -----------------------------------------------------------------------------------

  void readAdditionalImages(const FieldReader& mirror) {
    mirror.forEach("additionalImages", [&](const YAML::Node& item, const std::string& path,
                                           const SourceLocation& at) {
      FieldReader reader(item, path, at, version_, kAdditionalImageFields, errors_);
      if (!reader.valid()) return;
      AdditionalImage image;
      image.name = reader.requiredString("name", "registry.redhat.io/ubi9/ubi:latest");
      image.where = reader.has("name") ? reader.at("name") : at;
      if (!image.name.empty()) {
        try {
          image.ref = ImageReference::parse(image.name);
        } catch (const Error& e) {
          errors_.add(reader.at("name"), reader.path("name"), e.what(), kRefFix);
        }
      }
      image.targetRepo = reader.string("targetRepo").value_or("");
      if (!image.targetRepo.empty()) checkRepositoryPath(reader, "targetRepo", image.targetRepo, "my-org/ubi");
      image.targetTag = reader.string("targetTag").value_or("");
      if (!image.targetTag.empty()) checkTag(reader, "targetTag", image.targetTag);
      image.platforms = readPlatforms(reader, "platforms");
      config_.mirror.additionalImages.push_back(std::move(image));
    });
  }

  void readBlockedImages(const FieldReader& mirror) {
    mirror.forEach("blockedImages", [&](const YAML::Node& item, const std::string& path, const SourceLocation& at) {
      FieldReader reader(item, path, at, version_, kNameOnlyFields, errors_);
      if (!reader.valid()) return;
      BlockedImage blocked;
      blocked.pattern = reader.requiredString("name", "^quay\\.io/unwanted/");
      blocked.where = reader.has("name") ? reader.at("name") : at;
      if (blocked.pattern.empty()) return;
      try {
        blocked.regex = std::regex(blocked.pattern, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        errors_.add(reader.at("name"), reader.path("name"),
                    fmt::format("\"{}\" is not a valid regular expression ({})", blocked.pattern, e.what()),
                    "write an ECMAScript regular expression, escaping special characters with \\ "
                    "(e.g. ^quay\\.io/unwanted/)");
        return;
      }
      config_.mirror.blockedImages.push_back(std::move(blocked));
    });
  }

  // --- helm and samples -------------------------------------------------------------------------

  HelmChart readChart(const FieldReader& reader, const SourceLocation& at, bool local) {
    HelmChart chart;
    chart.where = at;
    chart.name = reader.requiredString("name", "podinfo");
    chart.version = reader.string("version").value_or("");
    chart.path = local ? reader.requiredString("path", "/charts/podinfo-5.0.0.tgz")
                       : reader.string("path").value_or("");
    chart.imagePaths = reader.stringList("imagePaths");
    chart.platforms = readPlatforms(reader, "platforms");
    return chart;
  }

  void readHelm(const FieldReader& mirror) {
    if (!mirror.has("helm")) return;
    FieldReader reader(mirror.value("helm"), section_ + ".helm", mirror.at("helm"), version_, kHelmFields, errors_);
    if (!reader.valid() || reader.empty()) return;
    HelmConfig helm;
    helm.where = mirror.keyAt("helm");
    reader.forEach("repositories", [&](const YAML::Node& item, const std::string& path, const SourceLocation& at) {
      FieldReader entry(item, path, at, version_, kHelmRepositoryFields, errors_);
      if (!entry.valid()) return;
      HelmRepository repository;
      repository.where = at;
      repository.name = entry.requiredString("name", "podinfo");
      repository.url = entry.requiredString("url", "https://stefanprodan.github.io/podinfo");
      entry.forEach("charts", [&](const YAML::Node& chartItem, const std::string& chartPath,
                                  const SourceLocation& chartAt) {
        FieldReader chart(chartItem, chartPath, chartAt, version_, kHelmChartFields, errors_);
        if (chart.valid()) repository.charts.push_back(readChart(chart, chartAt, false));
      });
      helm.repositories.push_back(std::move(repository));
    });
    reader.forEach("local", [&](const YAML::Node& item, const std::string& path, const SourceLocation& at) {
      FieldReader chart(item, path, at, version_, kHelmChartFields, errors_);
      if (chart.valid()) helm.local.push_back(readChart(chart, at, true));
    });
    config_.mirror.helm = std::move(helm);
  }

  void readSamples(const FieldReader& mirror) {
    mirror.forEach("samples", [&](const YAML::Node& item, const std::string& path, const SourceLocation& at) {
      FieldReader reader(item, path, at, version_, kNameOnlyFields, errors_);
      if (reader.valid()) config_.mirror.samples.push_back(SampleImage{reader.requiredString("name", "ruby"), at});
    });
    if (!config_.mirror.samples.empty())
      errors_.add(mirror.keyAt("samples"), section_ + ".samples", "oc-mirror never implemented samples either", "remove it");
  }

  ErrorList errors_;
  LoadOptions options_;
  bool delete_ = false;
  std::string section_;  // "mirror", or "delete" for a DeleteImageSetConfiguration
  ApiVersion version_ = ApiVersion::V2Alpha1;
  ImageSetConfig config_;
};

}  // namespace

ImageSetConfig loadImageSetConfigText(std::string_view text, const std::string& fileName,
                                      const LoadOptions& options) {
  try {
    return Loader(fileName, options).load(text);
  } catch (const Error& e) {
    // Whatever the loader refused is the configuration's fault, unless a deeper kind was already set.
    if (e.kind() != ErrorKind::Other) throw;
    throw Error(ErrorKind::InvalidInput, e.what());
  }
}

ImageSetConfig loadDeleteImageSetConfigText(std::string_view text, const std::string& fileName) {
  try {
    return Loader(fileName, LoadOptions{.acceptUnsupportedSections = true}, /*deleteKind=*/true).load(text);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Other) throw;
    throw Error(ErrorKind::InvalidInput, e.what());
  }
}

ImageSetConfig loadDeleteImageSetConfig(const std::filesystem::path& file) {
  return loadDeleteImageSetConfigText(
      readYamlFile(file, configurationYamlLimits("a DeleteImageSetConfiguration")), file.string());
}

ImageSetConfig loadImageSetConfig(const std::filesystem::path& file, const LoadOptions& options) {
  return loadImageSetConfigText(readYamlFile(file, configurationYamlLimits("an ImageSetConfiguration")), file.string(),
                                options);
}

}  // namespace ferry::config
