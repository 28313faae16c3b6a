// `ferry mirror`: an ImageSetConfiguration planned into one graph of images
// and moved by one Copier, in the three workflows oc-mirror users know:
//
//   mirror-to-mirror   -c isc.yaml --workspace file://DIR docker://HOST[:PORT][/NS]
//   mirror-to-disk     -c isc.yaml file://DIR            (archives in DIR, working files in DIR/working-dir)
//   disk-to-mirror     -c isc.yaml --from file://DIR docker://HOST[:PORT][/NS]
//
// A run is three phases over data (phases.h), between two ends chosen once
// from the workflow (workflow_ends.h):
//
//   reader, writer = chooseWorkflowEnds(options)    registry or archive, each
//   1. plan      the configuration's content kinds, each through its
//                ImageCollector (collectors.h: releases, operators, additional images),
//                or the plan an archive carries (narrowed by -c); the writer
//                names every destination → Plan (plan.h), written as
//                mapping.txt (and, into an archive, ferry/plan.json);
//   2. copy      every image but the catalogs, reader → writer, one Copier
//                (each blob once per destination repository) → CopyResults;
//   3. finalize  each filtered catalog rebuilt without the operators whose
//                images failed (unless --strict, which stops the run before),
//                and copied → CatalogResult per catalog; the writer finishes:
//                cluster resources at a registry, the last part and history in
//                an archive. Then the mapping and the error log.
//
// One image of a mirror-to-disk run: the configuration's additionalImages
// entry → AdditionalImageCollector → PlannedImage{kind, source, naming} in
// Plan::images → ArchiveImageWriter::destinationOf names it → copyImages makes
// CopyRequest{source, destination, from: RegistryReader::open(source), to:
// the archive's sink} → ImageOutcome in CopyResults → the part that lists it,
// recorded in the workspace history when the part is complete.
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
#include "ferry/mirror/release_collector.h"
#include "ferry/mirror/run_log.h"

namespace ferry::mirror {

enum class Workflow { MirrorToMirror, MirrorToDisk, DiskToMirror };

struct MirrorOptions {
  Workflow workflow = Workflow::MirrorToMirror;
  std::filesystem::path configFile;        // required, but for disk-to-mirror, where it narrows what is loaded
  std::filesystem::path archiveDirectory;  // mirror-to-disk: the file:// destination; disk-to-mirror: --from
  std::filesystem::path workspace;         // mirror-to-mirror: --workspace (working-dir goes inside)
  std::string destination;                 // mirror-to-mirror, disk-to-mirror: docker://HOST[:PORT][/NS]
  bool dryRun = false;
  bool strict = false;                     // any failure fails the run before catalogs are pushed
  int parallel = 8;
  int maxNestedPaths = 0;
  bool imageContentSourcePolicy = false;
  bool catalogSourceByTag = false;
  EndpointOptions endpoints;               // source mirrors and per-registry options included
  ReleaseOptions releases;                 // the update graph server (--update-url), conditional edges
  // Tests: the archive part size instead of the configuration's archiveSize (in GiB).
  int64_t archivePartSizeBytes = 0;
  // Tests: called after each archive part is complete and recorded in the history.
  std::function<void(const std::string& part)> afterArchivePart;
  // --strict-archive: a blob larger than archiveSize fails instead of getting a part of its own.
  bool strictArchive = false;
  // --image-timeout: bounds each image's copy (CopyOptions::imageTimeout); 0: no bound.
  std::chrono::milliseconds imageTimeout{0};
  // Signatures and referrers travel with their images (CopyOptions::attachments); off: --remove-signatures.
  bool attachments = true;
  // --policy / --secure-policy: the signature policy every image must pass (CopyOptions::policy); null: none.
  std::shared_ptr<const policy::PolicyChecker> policy;
  // --cache-dir (or $OC_MIRROR_CACHE): where ferry may keep what it reuses
  // between runs; empty: the working directory. The CLI makes it the workspace
  // of a mirror-to-mirror run given no --workspace.
  std::filesystem::path cacheDirectory;
  // --since YYYY-MM-DD (mirror-to-disk): carry the blobs not shipped by the
  // archives made before that day; empty: relative to the whole history.
  std::string since;
  // --helm PATH: the helm binary that renders charts (mirror.helm); empty: `helm` on PATH, if any.
  std::filesystem::path helmBinary;
  // --sparse-indexes, --platform-fallback: sparse images into a registry (phases.h copyImages).
  PlatformPolicy platformPolicy;
  // --sparse: tag-referenced images that keep some platforms are sparse too (default: a filtered index).
  bool sparseTagged = false;
  // --shard I/N (copy/shard.h, docs/scale.md): this worker copies its share of
  // the blobs; then, if every other share is in, it finalizes the run itself.
  std::optional<ShardSpec> shard;
  // --finalize: the last step of a sharded run: every blob must be at the
  // destination already; pushes the manifests, catalogs and tags, writes the cluster resources.
  bool finalize = false;
  // Lines worth telling the user as the run goes ("reading catalog ...", warnings).
  std::function<void(const std::string&)> note;
};

struct MirroredEntry {
  PlannedImage image;
  CopyResult result;
  bool wholeFallback = false;  // planned with some platforms, copied whole (--platform-fallback=whole)
};

struct MirrorReport {
  int exitCode = 0;
  Plan plan;
  CopyResults copied;                     // phase 2, one per plan.images entry
  std::vector<CatalogResult> catalogs;    // phase 3, one per plan.catalogs entry
  std::vector<MirroredEntry> images;  // every copy made (catalogs included), with its result
  std::vector<std::string> errors;    // also written to logs/mirroring_errors_<time>.txt
  std::vector<std::string> warnings;
  std::filesystem::path workingDirectory;
  std::filesystem::path mappingFile;
  std::filesystem::path errorsFile;                 // empty when there were no errors
  std::vector<std::string> archiveParts;           // mirror-to-disk
  std::filesystem::path clusterResources;          // mirror-to-mirror, disk-to-mirror
  bool nothingNew = false;                          // mirror-to-disk found nothing to ship
  // --shard: this worker's share is in but other shards' are not, so the run is not finalized yet.
  bool leftToFinalize = false;
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
