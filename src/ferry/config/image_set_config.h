// The ImageSetConfiguration: what `ferry mirror` is asked to copy.
//
// ferry reads oc-mirror's file format, both mirror.openshift.io/v1alpha2
// (oc-mirror v1) and mirror.openshift.io/v2alpha1 (oc-mirror v2), into the one
// set of structs below. A field that exists in only one version is kept here
// too; the loader rejects it, naming the version it belongs to, when the file
// declares the other one.
//
// Loading is strict: unknown fields, wrong types and invalid values are errors
// that say `file:line:column: field.path: what is wrong; how to fix it`.
// docs/image-set-config.md lists every field and every rule.
//
// Each entry the planner may later have to complain about (a catalog, a
// package, an image) keeps the SourceLocation it was written at, so a message
// such as "isc.yaml:12:5: catalog ... not found" can point back at the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/filter/selection.h"
#include "ferry/oci/platform.h"
#include "ferry/ref/reference.h"

namespace ferry::config {

enum class ApiVersion { V1Alpha2, V2Alpha1 };

// "mirror.openshift.io/v1alpha2" or "mirror.openshift.io/v2alpha1".
std::string_view apiVersionName(ApiVersion version);

// Where a value was written: file name, 1-based line and column.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  // "isc.yaml:12:5" (just the file name when the line is unknown).
  std::string str() const;
};

// v1alpha2 only: where oc-mirror v1 kept its metadata. ferry keeps its history
// in the workspace, so this is read and then ignored (with a warning).
struct StorageConfig {
  struct Local {
    std::string path;
  };
  struct Registry {
    std::string imageURL;
    bool skipTLS = false;
  };
  std::optional<Local> local;
  std::optional<Registry> registry;
  SourceLocation where;
};

enum class ReleaseType { Ocp, Okd };

struct ReleaseChannel {
  std::string name;
  ReleaseType type = ReleaseType::Ocp;
  std::string minVersion;  // empty: no bound
  std::string maxVersion;
  bool shortestPath = false;
  bool full = false;
  SourceLocation where;
};

// mirror.platform: OpenShift/OKD release payloads (mirrored by the mirror
// library's ReleaseCollector, docs/releases.md).
struct PlatformConfig {
  bool graph = false;
  std::string release;                     // v2alpha1 only: an explicit release image
  std::vector<ReleaseChannel> channels;
  std::vector<std::string> architectures;  // amd64, arm64, ppc64le, s390x, multi
  std::vector<Platform> platforms;         // v2alpha1 only; exclusive with architectures
  bool kubeVirtContainer = false;          // v2alpha1 only
  SourceLocation where;
};

// One mirror.operators[] entry: a catalog and what to keep from it.
struct OperatorCatalog {
  std::string catalog;        // as written: a registry reference or oci://DIR
  ImageReference catalogRef;  // the same, parsed
  std::string targetCatalog;  // destination repository path, replacing the catalog's
  std::string targetTag;      // destination tag
  std::string targetName;     // v1alpha2 only, deprecated: replaces the last path component
  std::string originalRef;    // v1alpha2 only, deprecated and unused
  std::string targetCatalogSourceTemplate;  // v2alpha1 only: a CatalogSource YAML template
  std::vector<Platform> platforms;          // v2alpha1 only; empty: every platform

  // full, skipDependencies and packages, as the catalog filter takes them.
  catalog::CatalogSelection selection;

  SourceLocation where;                       // the catalog: value
  std::vector<SourceLocation> packageLocations;  // packageLocations[i]: where selection.packages[i] is
};

// The name that tells catalogs apart, as oc-mirror's GetUniqueName computes
// it: the catalog reference ("registry/repository:tag", "oci:DIR:tag"), with
// targetCatalog (or the deprecated targetName) and targetTag applied.
std::string catalogTargetName(const OperatorCatalog& entry);

struct AdditionalImage {
  std::string name;       // as written
  ImageReference ref;     // the same, parsed
  std::string targetRepo;  // v2alpha1 only: destination repository path
  std::string targetTag;   // v2alpha1 only: destination tag
  std::vector<Platform> platforms;  // v2alpha1 only; empty: every platform
  SourceLocation where;
};

// An image that must not be mirrored: `pattern` is an ECMAScript regular
// expression searched for in the image reference (as oc-mirror's Go regexp
// MatchString does, it need not match the whole reference).
struct BlockedImage {
  std::string pattern;
  std::regex regex;
  SourceLocation where;

  bool blocks(std::string_view reference) const;
};

struct HelmChart {
  std::string name;
  std::string version;
  std::string path;                     // local charts: the .tgz on disk
  std::vector<std::string> imagePaths;  // extra JSON paths where images are found
  std::vector<Platform> platforms;      // v2alpha1 only
  SourceLocation where;
};

struct HelmRepository {
  std::string name;
  std::string url;
  std::vector<HelmChart> charts;
  SourceLocation where;
};

// mirror.helm: mirrored by ferry mirror's HelmCollector (docs/helm.md).
struct HelmConfig {
  std::vector<HelmRepository> repositories;
  std::vector<HelmChart> local;
  SourceLocation where;
};

struct SampleImage {
  std::string name;
  SourceLocation where;
};

struct MirrorConfig {
  std::optional<PlatformConfig> platform;  // set when the file has a non-empty mirror.platform
  std::vector<OperatorCatalog> operators;
  std::vector<AdditionalImage> additionalImages;
  std::vector<BlockedImage> blockedImages;
  std::optional<HelmConfig> helm;          // set when the file has a non-empty mirror.helm
  std::vector<SampleImage> samples;        // always rejected, as oc-mirror never implemented them
};

struct ImageSetConfig {
  ApiVersion apiVersion = ApiVersion::V2Alpha1;
  std::string file;                // the name used in messages
  int64_t archiveSizeGiB = 500;    // archives are split at this size
  std::optional<StorageConfig> storageConfig;  // v1alpha2 only; ignored by ferry
  // The content kinds: mirror: of an ImageSetConfiguration, or delete: of a
  // DeleteImageSetConfiguration (deleteKind; same sub-schemas, no blockedImages).
  MirrorConfig mirror;
  bool deleteKind = false;
  // Things accepted but worth telling the user (deprecated or ignored fields),
  // each "file:line:col: path: what; what to do".
  std::vector<std::string> warnings;

  uint64_t archiveSizeBytes() const { return static_cast<uint64_t>(archiveSizeGiB) << 30; }
};

struct LoadOptions {
  // Accept mirror.helm instead of failing with "not supported yet by ferry"
  // (it is still parsed and validated). For tests and for the code that will
  // implement it.
  bool acceptUnsupportedSections = false;
};

// Reads and validates an ImageSetConfiguration file. Throws ferry::Error whose
// message holds every error found, one per line, in file order.
ImageSetConfig loadImageSetConfig(const std::filesystem::path& file, const LoadOptions& options = {});

// The same from text; `fileName` is used in messages.
ImageSetConfig loadImageSetConfigText(std::string_view text, const std::string& fileName,
                                      const LoadOptions& options = {});

// Reads a DeleteImageSetConfiguration (oc-mirror v2's kind for `delete --generate`):
// apiVersion mirror.openshift.io/v2alpha1, kind DeleteImageSetConfiguration and a
// delete: section with the sub-schemas of mirror: (platform, operators,
// additionalImages, helm), checked by the same rules and errors. The result has
// deleteKind set and the delete: section in `mirror`.
ImageSetConfig loadDeleteImageSetConfig(const std::filesystem::path& file);
ImageSetConfig loadDeleteImageSetConfigText(std::string_view text, const std::string& fileName);

}  // namespace ferry::config
