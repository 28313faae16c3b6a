// `ferry mirror`: an ImageSetConfiguration planned into one graph of images
// and moved by one Copier, in the three workflows oc-mirror users know:
//
//   mirror-to-mirror   -c isc.yaml --workspace file://DIR docker://HOST[:PORT][/NS]
//   mirror-to-disk     -c isc.yaml file://DIR            (archives in DIR, working files in DIR/working-dir)
//   disk-to-mirror     -c isc.yaml --from file://DIR docker://HOST[:PORT][/NS]
//
// A run has three phases, so a failure never leaves a catalog pointing at
// images that are not there:
//   1. plan: read every catalog (every platform), filter it, collect the
//      bundle and related images, add additionalImages, drop blockedImages;
//   2. copy every image but the catalogs (one Copier: each blob once per
//      destination repository);
//   3. rebuild each filtered catalog without the operators whose images failed
//      (unless --strict, which stops the run there), copy the catalogs, write
//      the cluster resources, the mapping and the error log.
// Mirror-to-disk writes phases 2 and 3 into archive parts (ferry/archive) and
// records the blobs it shipped in the workspace history, so the next archive
// carries only what is new. Disk-to-mirror reads the plan the archive carries.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ferry/copy/copier.h"
#include "ferry/copy/endpoints.h"
#include "ferry/mirror/plan.h"
#include "ferry/mirror/source_mirrors.h"

namespace ferry::mirror {

enum class Workflow { MirrorToMirror, MirrorToDisk, DiskToMirror };

struct MirrorOptions {
  Workflow workflow = Workflow::MirrorToMirror;
  std::filesystem::path configFile;        // required except for disk-to-mirror
  std::filesystem::path archiveDirectory;  // mirror-to-disk: the file:// destination; disk-to-mirror: --from
  std::filesystem::path workspace;         // mirror-to-mirror: --workspace (working-dir goes inside)
  std::string destination;                 // mirror-to-mirror, disk-to-mirror: docker://HOST[:PORT][/NS]
  bool dryRun = false;
  bool strict = false;                     // any failure fails the run before catalogs are pushed
  int parallel = 8;
  int maxNestedPaths = 0;
  bool imageContentSourcePolicy = false;
  bool catalogSourceByTag = false;
  std::vector<SourceMirror> sourceMirrors;
  // --strict-archive: a blob larger than archiveSize fails instead of getting a part of its own.
  bool strictArchive = false;
  // --image-timeout: bounds each image's copy (CopyOptions::imageTimeout); 0: no bound.
  std::chrono::milliseconds imageTimeout{0};
  // --cache-dir (or $OC_MIRROR_CACHE): where ferry may keep what it reuses
  // between runs; empty: the working directory. The CLI makes it the workspace
  // of a mirror-to-mirror run given no --workspace.
  std::filesystem::path cacheDirectory;
  // --since YYYY-MM-DD (mirror-to-disk): carry the blobs not shipped by the
  // archives made before that day; empty: relative to the whole history.
  std::string since;
  EndpointOptions endpoints;
  // Lines worth telling the user as the run goes ("reading catalog ...", warnings).
  std::function<void(const std::string&)> note;
};

// Exit-code bits, as oc-mirror v2.
inline constexpr int kExitGeneric = 1;
inline constexpr int kExitRelease = 2;
inline constexpr int kExitOperator = 4;
inline constexpr int kExitAdditional = 8;
inline constexpr int kExitHelm = 16;

struct MirroredEntry {
  PlannedImage image;
  CopyResult result;
};

struct MirrorReport {
  int exitCode = 0;
  Plan plan;
  std::vector<MirroredEntry> images;  // every copy made (catalogs included), with its result
  std::vector<std::string> errors;    // also written to logs/mirroring_errors_<time>.txt
  std::vector<std::string> warnings;
  std::filesystem::path workingDirectory;
  std::filesystem::path mappingFile;
  std::filesystem::path errorsFile;                 // empty when there were no errors
  std::vector<std::string> archiveParts;           // mirror-to-disk
  std::filesystem::path clusterResources;          // mirror-to-mirror, disk-to-mirror
  bool nothingNew = false;                          // mirror-to-disk found nothing to ship
};

class MirrorRun {
 public:
  explicit MirrorRun(MirrorOptions options);
  ~MirrorRun();

  // Throws Error for what stops a run before anything moves (a bad
  // configuration, an unreadable archive, an unusable destination); failures
  // of single images are in the report.
  MirrorReport run();
  // Live counters for a progress display.
  const CopyProgress& progress() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::mirror
