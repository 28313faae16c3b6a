// What a run pushed into a registry, kept in the workspace so that `ferry
// delete --generate` can say later, with no network, what a
// DeleteImageSetConfiguration names at that registry (docs/delete.md).
//
// Every mirror-to-mirror and disk-to-mirror run that is not a dry run writes
// <working-dir>/mirrored/<run id>.json:
//
//   {"apiVersion": "ferry.mirror/v1alpha1", "kind": "MirroredImages",
//    "runId": "20261202T160000Z", "destination": "docker://reg:5000/ns",
//    "configuration": "/abs/isc.yaml",                   // what the run mirrored (-c; else the archive)
//    "images": [{"kind": "additional-image",          // plan.h kindName
//                "source": "quay.io/org/app:v1",         // as the plan names it
//                "origin": "quay.io/org/app:v1",         // what was pulled (by digest when known)
//                "destination": "reg:5000/ns/org/app:v1",
//                "digest": "sha256:…",                   // what the destination held after the run
//                "owners": [{"catalog": "…", "package": "…"}],   // bundles, related images
//                "catalog": "…",                        // catalog images: the configuration's catalog text
//                "foundIn": ["…"]}]}                     // helm: chart name, version, origin / where found
//
// Only images the run pushed (or found there already) are listed. Runs are
// never rewritten; a later run lists its own images again.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ferry/mirror/plan.h"
#include "ferry/mirror/workspace.h"

namespace ferry::mirror {

struct RecordedOwner {
  std::string catalog;  // the configuration's catalog text
  std::string package;
};

struct RecordedImage {
  ImageKind kind = ImageKind::Additional;
  std::string source;
  std::string origin;
  std::string destination;
  std::string digest;
  std::vector<RecordedOwner> owners;
  std::string catalog;
  std::vector<std::string> foundIn;
};

struct RecordedRun {
  std::string runId;
  std::string destination;  // DestinationRoot::str()
  std::string configuration;  // the ImageSetConfiguration's absolute path, or "archive DIR" (disk-to-mirror without -c)
  std::filesystem::path file;
  std::vector<RecordedImage> images;
};

// <working-dir>/mirrored
inline std::filesystem::path recordsDirectory(const Workspace& workspace) { return workspace.root / "mirrored"; }

// Writes the record of a finished run into `destination` (plan, copy results
// and catalog results as the run's phases made them).
void recordMirroredRun(const Workspace& workspace, const std::string& runId, const std::string& destination,
                       const std::string& configuration, const Plan& plan, const CopyResults& copied, const std::vector<CatalogResult>& catalogs);

// Every recorded run of the workspace, oldest first. Throws Error naming the
// file and field for a record that is not one (docs/limits.md bounds its size).
std::vector<RecordedRun> loadRecordedRuns(const Workspace& workspace);

// Largest record file read (64 MiB) and images per record (1,000,000).
inline constexpr size_t kMaxRecordBytes = 64 << 20;
inline constexpr size_t kMaxRecordImages = 1000000;

}  // namespace ferry::mirror
