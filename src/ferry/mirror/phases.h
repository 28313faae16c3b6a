// The phases of a mirror run, each a function over data (mirror.h shows how
// MirrorRun strings them together):
//
//   1. plan      planFromConfiguration (collectors.h), or the reader's recorded
//                plan (narrowed by the configuration, if any), then
//                nameDestinations: the writer names every destination.
//   2. copy      copyImages: every image but the catalogs, read through the
//                reader, written through the writer, in one Copier (each blob
//                once per destination repository) → CopyResults.
//   3. finalize  finalizeCatalogs: each catalog without the operators whose
//                images failed (rebuilt from its CatalogContent), or as the
//                reader holds it ready built, copied the same way → one
//                CatalogResult per catalog; then the writer's finish().
#pragma once

#include <optional>
#include <vector>

#include "ferry/copy/copier.h"
#include "ferry/mirror/collectors.h"
#include "ferry/mirror/plan.h"
#include "ferry/mirror/run_log.h"
#include "ferry/mirror/workflow_ends.h"

namespace ferry::mirror {

// The registry settings that make a registry take sparse indexes, for messages.
extern const char* const kSparseIndexSettings;

// The copy engine's selection for a planned choice (empty when every platform is copied).
std::optional<PlatformSelection> selectionFor(const PlatformChoice& choice);

// Sets every image's and catalog's destination (catalogs by their source digest until rebuilt).
void nameDestinations(Plan& plan, ImageWriter& writer);

// Phase 2. One outcome per plan.images entry; failures are logged with their exit bit.
// Images that keep some platforms: filtered indexes go anywhere; sparse ones
// go into archives always, and into a registry as `policy` says: with Learn,
// the first sparse image is copied alone, and its refusal (or acceptance)
// decides for the rest; refused images fail with one message naming the
// settings that allow sparse indexes, or are copied whole (PlatformFallback::Whole).
CopyResults copyImages(const Plan& plan, ImageReader& reader, ImageWriter& writer, Copier& copier, RunLog& log,
                       const PlatformPolicy& policy = {});

// Phase 3. `contents` has one entry per plan.catalogs entry (or is empty for a
// recorded plan). One result per catalog; a catalog that failed planning or
// its rebuild has a failed copy outcome.
std::vector<CatalogResult> finalizeCatalogs(const Plan& plan, const std::vector<std::optional<CatalogContent>>& contents,
                                            const CopyResults& copied, ImageReader& reader, ImageWriter& writer,
                                            Copier& copier, RunLog& log);

}  // namespace ferry::mirror
