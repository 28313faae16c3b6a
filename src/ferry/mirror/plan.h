// The record of a mirror run: the plan (what moves, from where, to where, and
// why) and the results of copying it. Both are plain data and round-trip
// through JSON, so a phase can be written out and picked up elsewhere:
//
//   Plan          planning's output: every image (kind, owners, source,
//                 destination, naming, platform choice) and every catalog
//                 (what it was filtered to). `--dry-run` writes it as
//                 mapping.txt and stops; an archive carries it as ferry/plan.json.
//   CopyResults   copying's output: per planned image, what happened to it.
//   CatalogResult the finalize phase's output per catalog: the operators left
//                 out, the digest pushed.
//
// Images are grouped by what brought them in, because a failure is handled per
// group: an operator's images failing drops that operator from its rebuilt
// catalog (not the whole run); an additional image failing is reported with
// its own exit-code bit.
#pragma once

#include <compare>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ferry/digest/digest.h"
#include "ferry/mirror/naming.h"
#include "ferry/ref/reference.h"

namespace ferry::mirror {

// Release: a release payload (mirror.platform); ReleaseComponent: an image its
// release-manifests/image-references names.
// HelmChart: a chart itself, as an OCI chart; HelmImage: an image found in a chart (exit bit 16 for both).
// GraphImage: the graph-data image ferry built for the Update Service (graph: true), from an OCI layout in the
// workspace (exit bit 2, as releases).
enum class ImageKind { Catalog, Bundle, RelatedImage, Additional, Release, ReleaseComponent, HelmChart, HelmImage,
                       GraphImage };

const char* kindName(ImageKind kind);

// One operator package of one planned catalog: who needs a bundle or related image.
struct PackageOwner {
  int catalog = -1;  // index in Plan::catalogs
  std::string package;
  auto operator<=>(const PackageOwner&) const = default;
};

// Which platforms of an image are copied (v2alpha1 `platforms`). Empty: every
// platform, digest for digest. Otherwise an index keeps only these platforms'
// children (and the attestations and nested indexes that go with them), either
//   sparse    the original index bytes, digest unchanged, only the chosen
//             children present: images referenced by digest (bundles, related
//             images, digest-pinned additional images), and tagged ones with --sparse;
//   filtered  a new index of the chosen children, a new digest (tag-referenced images).
// A single-platform image is copied as it is. docs/platforms.md has the rules.
struct PlatformChoice {
  std::vector<std::string> platforms;  // "linux/amd64", … as configured
  bool sparse = false;
  bool everyPlatform() const { return platforms.empty(); }
  // Both choices together (an image two entries ask for): every platform if either wants it, else the union.
  void merge(const PlatformChoice& other);
  bool operator==(const PlatformChoice&) const = default;
};

// How images that keep only some platforms reach a registry (docs/platforms.md).
enum class SparseIndexes { Learn, Yes, No };  // --sparse-indexes: does the destination accept sparse indexes?
enum class PlatformFallback { Fail, Whole };   // --platform-fallback: a sparse image the destination refuses

struct PlatformPolicy {
  SparseIndexes sparseIndexes = SparseIndexes::Learn;
  PlatformFallback fallback = PlatformFallback::Fail;
};

struct PlannedImage {
  ImageKind kind = ImageKind::Additional;
  // The image as the configuration or the catalog names it (the name it keeps in archives).
  ImageReference source;
  // Where the writer puts it: a registry reference, or its name in an archive.
  ImageReference destination;
  // How the destination is named (targetRepo, targetTag), kept so disk-to-mirror can name it again.
  NamingOptions naming;
  PlatformChoice platforms;
  // Bundles and related images: the catalog packages that need the image (empty for additional images).
  std::set<PackageOwner> neededBy;
  // Helm images: where each was found ("chart podinfo 6.5.0: values.yaml image.repository"). Helm
  // charts: {chart name, version, where it came from}.
  std::vector<std::string> foundIn;
};

struct PlannedCatalog {
  std::string name;               // the configuration's catalog text
  ImageReference source;
  ImageReference destination;     // where it goes (registry, with the source digest until rebuilt; or archive name)
  NamingOptions naming;           // targetCatalog, targetTag
  bool rebuilt = false;           // false: copied unchanged (full with no packages)
  std::optional<Digest> sourceDigest;
  std::set<std::string> packages; // packages the filtered catalog holds
  std::vector<std::string> notes; // dependency notes
  std::string catalogSourceTemplate;
  // The platforms the mirrored catalog keeps (operators[].platforms); empty: all.
  PlatformChoice platforms;
  // Reading or filtering the catalog failed (reported): it is not mirrored.
  bool planningFailed = false;
  // Packages with an image whose reference is invalid: left out like failed ones.
  std::set<std::string> unplannablePackages;
  // The tag it has in an archive: the source's tag, made unique when the plan
  // lists one catalog more than once (targetCatalog/targetTag differ), so each
  // rebuilt catalog is stored on its own. Empty: listed by digest.
  std::string archiveTag;
};

struct Plan {
  std::vector<PlannedImage> images;     // everything but catalog images, which go last
  std::vector<PlannedCatalog> catalogs;
  std::vector<std::string> blocked;     // source references left out by blockedImages
};

// What copying one image did (the serialisable part of a CopyResult).
struct ImageOutcome {
  bool ok = false;
  bool alreadyPresent = false;
  std::optional<Digest> digest;  // what the destination holds now
  std::string error;
  std::vector<std::string> warnings;
  std::vector<std::string> platforms;  // a narrowed image: the platforms it carries
  bool sparse = false;                 // pushed as a sparse index
  bool wholeFallback = false;          // --platform-fallback=whole: copied with every platform
  bool operator==(const ImageOutcome&) const = default;
};

struct CopyResults {
  // One per Plan::images entry, same order. An image that could not even be
  // requested (e.g. a bad destination name) is a failed outcome.
  std::vector<ImageOutcome> images;

  // The operators whose images failed (or could not be planned): left out of their catalogs.
  std::set<PackageOwner> failedOperators(const Plan& plan) const;
};

// The finalize phase's outcome for one catalog.
struct CatalogResult {
  std::set<std::string> leftOut;  // operators dropped because their images failed
  std::optional<Digest> rebuiltDigest;
  ImageReference destination;     // where it was pushed (tag as named, digest as pushed)
  ImageOutcome copy;
};

// The name an image has inside an archive: its source registry and repository
// ("quay.io/org/app"), or "oci/<directory name>" for a layout.
std::string archiveName(const ImageReference& source);
// The reference an image is listed by in an archive's index.json ("name:tag" or "name@digest").
std::string archiveReference(const ImageReference& source);

// The plan as JSON (an archive's ferry/plan.json), and back. `where` names
// the document in errors. A plan read back equals the plan written.
std::string planToJson(const Plan& plan, const std::string& runId);
Plan planFromJson(const std::string& json, const std::string& where);

std::string copyResultsToJson(const CopyResults& results);
CopyResults copyResultsFromJson(const std::string& json, const std::string& where);

}  // namespace ferry::mirror
