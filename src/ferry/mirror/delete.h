// `ferry delete`: oc-mirror v2's two steps (docs/delete.md).
//
//   1. generate   a DeleteImageSetConfiguration (config/image_set_config.h,
//                 loadDeleteImageSetConfig) + the workspace of earlier runs into a
//                 registry (run_record.h) → <working-dir>/delete/delete-images.yaml,
//                 a DeleteImageList, with no network. An image the configuration
//                 names but that a run also mirrored for something it does not
//                 name (another catalog, another release, another additional
//                 image) is kept out of the list, with a note naming both.
//   2. delete     a DeleteImageList → DELETE by digest at the registry, for each
//                 item, the child manifests of an index, and the attachments of
//                 every deleted manifest (cosign .sig/.att/.sbom tags, the
//                 referrers fallback tag sha256-<hex> and the referrers it lists).
//                 A digest still named by a tag that stays (or by an index that
//                 stays) is not deleted: when the item's own tag must go, the tag
//                 alone is removed with a throw-away manifest (pushed to the tag,
//                 then deleted by digest, as regclient does); otherwise the item
//                 is refused, naming the kept image. Blobs are left to the
//                 registry's garbage collection.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "ferry/copy/endpoints.h"

namespace ferry::mirror {

// One item of a DeleteImageList, as oc-mirror v2 writes it.
struct DeleteItem {
  std::string imageName;       // the origin reference (source)
  std::string imageReference;  // docker://HOST/PATH:TAG at the destination
  std::string type;  // ocpRelease ocpReleaseContent cincinnatiGraph operatorCatalog operatorBundle
                     // operatorRelatedImage generic helmImage
  int line = 0;      // where it was read (0: made here)
};

struct DeleteImageList {
  std::vector<DeleteItem> items;
};

// The list as delete-images.yaml (apiVersion mirror.openshift.io/v2alpha1, kind DeleteImageList).
std::string deleteListToYaml(const DeleteImageList& list);
// Reads a DeleteImageList strictly: unknown fields, a missing field, an unknown
// type are errors "file:line:column: items[N].field: what; fix", all at once.
// Bounded as docs/limits.md says (size, depth, items).
DeleteImageList loadDeleteImageList(const std::filesystem::path& file);
DeleteImageList loadDeleteImageListText(std::string_view text, const std::string& fileName);

// Largest number of items a DeleteImageList may have.
inline constexpr size_t kMaxDeleteItems = 200000;

struct GenerateOptions {
  std::filesystem::path configFile;  // the DeleteImageSetConfiguration
  std::filesystem::path workspace;   // --workspace file://DIR (working-dir inside)
  std::string destination;           // docker://HOST[:PORT][/NS]
  std::string deleteId;              // --delete-id: delete-images-<id>.yaml
  std::function<void(const std::string&)> note;
};

struct GenerateReport {
  std::filesystem::path listFile;    // working-dir/delete/delete-images[-ID].yaml
  std::filesystem::path configCopy;  // working-dir/delete/delete-imageset-config[-ID].yaml
  DeleteImageList list;
  std::vector<std::string> kept;      // named, but still mirrored for something else
  std::vector<std::string> warnings;  // e.g. a configuration entry that matches nothing recorded
};

// Throws Error for a bad configuration, a workspace with no recorded run into the destination.
GenerateReport generateDeleteList(const GenerateOptions& options);

struct DeleteOptions {
  std::filesystem::path listFile;  // --delete-yaml-file
  std::string destination;         // docker://HOST[:PORT][/NS]: every item must lie under it
  bool dryRun = false;
  EndpointOptions endpoints;
  std::function<void(const std::string&)> note;
};

struct DeleteReport {
  int exitCode = 0;
  std::vector<std::string> deleted;   // "docker://reg/repo@sha256:… (tags a, b): why"
  std::vector<std::string> untagged;  // "docker://reg/repo:tag (sha256:… kept: still used by …)"
  std::vector<std::string> refused;   // kept digests, each naming what still uses it
  std::vector<std::string> gone;      // items not at the registry any more
  std::vector<std::string> errors;
};

// Throws Error for a bad list, an item outside the destination, a registry that refuses deleting.
DeleteReport runDelete(const DeleteOptions& options);

// What the user must run afterwards: blobs stay until the registry's garbage collection.
extern const char* const kGarbageCollectionNote;

}  // namespace ferry::mirror
