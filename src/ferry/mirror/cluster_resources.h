// The cluster resources a mirror run leaves in
// <workspace>/working-dir/cluster-resources/, which tell an OpenShift or OLM
// cluster to pull from the mirror — the same files oc-mirror v2 writes:
//
//   idms-oc-mirror.yaml          ImageDigestMirrorSets idms-<release|operator|generic>-<n>: images
//                                named by digest (and release images, also when named by tag)
//   itms-oc-mirror.yaml          ImageTagMirrorSets itms-<category>-<n>: images named by tag
//   imageContentSourcePolicy.yaml  the legacy (pre-4.13) form of the IDMS, on request
//   cs-<catalog>-<suffix>.yaml   one CatalogSource per mirrored catalog (OLM v0)
//   cc-<catalog>-<suffix>.yaml   one ClusterCatalog per mirrored catalog (OLM v1)
//
// A mirror set entry maps a source to its mirror with the widest scope that is
// still right: the namespace (`quay.io/org` → `mirror/ocp/org`) when the mirror's
// path ends with the source's path, else the single repository. Entries are
// de-duplicated and sorted, and a set is split into -1, -2, … before a document
// grows past the size the API server takes comfortably.
// docs/destinations-and-resources.md shows every file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ferry/ref/reference.h"

namespace ferry::mirror {

// What brought an image in; names the mirror set it is listed in.
enum class ImageCategory { Release, Operator, Generic, Catalog };

struct MirroredImage {
  ImageReference source;       // as the configuration or the catalog names it
  ImageReference destination;  // where it was pushed
  ImageCategory category = ImageCategory::Generic;
  // The source names the image by digest only (see namedByDigestOnly): the
  // cluster will ask for it by digest, so it goes in the IDMS; otherwise in the
  // ITMS. A source named tag@digest goes in both (a digest pull consults only
  // the IDMS). Release images go in the IDMS either way, as oc-mirror does, so
  // the installer finds the payload's mirror.
  bool byDigest = false;
};

struct MirroredCatalog {
  ImageReference source;
  // The catalog ferry pushed: registry, repository, tag and digest.
  ImageReference destination;
  std::string displayName;  // spec.displayName of the CatalogSource; may be empty
  // operators[].targetCatalogSourceTemplate: a CatalogSource YAML to start from.
  std::optional<std::filesystem::path> catalogSourceTemplate;
};

struct ClusterResourceOptions {
  // --max-nested-paths folds paths, so namespaces no longer line up: every
  // entry is repository-scoped.
  bool forceRepositoryScope = false;
  // Also write imageContentSourcePolicy.yaml (clusters older than 4.13).
  bool imageContentSourcePolicy = false;
  // CatalogSources name the catalog by tag instead of by digest (lets OLM's
  // registryPoll pick up a catalog re-mirrored under the same tag).
  bool catalogSourceByTag = false;
  // metadata.annotations.createdBy on every object; createdAt when not empty
  // (left out by default so that re-runs write identical files).
  std::string createdBy = "ferry";
  std::string createdAt;
  // A mirror set document grows no larger than this; more entries go into
  // the next object (-1, -2, …).
  size_t maxDocumentBytes = 250000;
};

struct ResourceFile {
  std::string name;     // "idms-oc-mirror.yaml"
  std::string content;  // YAML, documents separated by "---"
};

struct ClusterResources {
  std::vector<ResourceFile> files;
  std::vector<std::string> warnings;  // for the user: what was changed or may not apply
};

// Throws Error naming the image, catalog or template file when something
// cannot be written: a destination that is not in a registry, a catalog
// without a pushed digest, an unusable template, two objects with one name.
ClusterResources generateClusterResources(const std::vector<MirroredImage>& images,
                                          const std::vector<MirroredCatalog>& catalogs,
                                          const ClusterResourceOptions& options = {});

// Writes the files into `directory` (created if needed) after removing the
// files of an earlier run that ferry writes there (idms-/itms-oc-mirror.yaml,
// imageContentSourcePolicy.yaml, cs-*.yaml, cc-*.yaml); other files are left alone.
void writeClusterResources(const std::filesystem::path& directory, const ClusterResources& resources);

// One mirror set entry's source and mirror for an image (namespace or repository scope).
struct MirrorScope {
  std::string source;
  std::string mirror;
};
MirrorScope mirrorScopeFor(const ImageReference& source, const ImageReference& destination, bool forceRepositoryScope);

// "cs-<last path component>-<suffix>" for prefix "cs": the suffix is the first
// 12 characters of the tag (or of the digest's hex when there is no tag), every
// character that is not a lowercase letter, digit or '-' mapped to '-', the
// whole cut to 63 characters — a valid RFC 1123 / 1035 label.
std::string catalogResourceName(std::string_view prefix, const ImageReference& destination);

}  // namespace ferry::mirror
