#include "ferry/mirror/phases.h"

#include <set>

#include <fmt/ranges.h>

#include "ferry/base/error.h"
#include "ferry/filter/filter.h"
#include "ferry/catalog/rebuild.h"
#include "ferry/fbc/write.h"
#include "ferry/layout/oci_layout.h"
#include "ferry/transport/overlay_source.h"

namespace ferry::mirror {
namespace {

int exitBitOf(ImageKind kind) {
  switch (kind) {
    case ImageKind::Additional: return kExitAdditional;
    case ImageKind::Release:
    case ImageKind::ReleaseComponent: return kExitRelease;
    default: return kExitOperator;
  }
}

ImageOutcome outcomeOf(const CopyResult& result) {
  return {.ok = result.ok,
          .alreadyPresent = result.alreadyPresent,
          .digest = result.digest,
          .error = result.error,
          .warnings = result.warnings};
}

// One catalog's copy request, once it is known what is pushed.
struct CatalogCopy {
  size_t catalog;
  CopyRequest request;
};

// The rebuilt catalog `planned` without `dropped`: its FBC per variant and its
// new blobs written under content.filteredDirectory, read through an overlay
// on the original image.
CopyRequest rebuildCatalog(const PlannedCatalog& planned, const CatalogContent& content,
                           const std::set<std::string>& dropped, ImageReader& reader, ImageWriter& writer,
                           RunLog& log, std::optional<Digest>& rebuiltDigest) {
  std::vector<std::filesystem::path> directories;
  for (size_t v = 0; v < content.filtered.size(); ++v) {
    auto catalog = catalog::withoutPackages(content.filtered[v], dropped);
    auto directory = content.filteredDirectory / fmt::format("variant-{}", v) / "configs";
    std::filesystem::remove_all(directory);
    catalog::writeCatalog(catalog, directory);
    directories.push_back(directory);
  }
  auto layoutDir = content.filteredDirectory / "layout";
  std::filesystem::remove_all(layoutDir);
  auto layout = OciLayout::create(layoutDir);
  auto original = reader.open(planned.source);
  auto rebuilt = catalog::rebuildCatalogImage(content.image, directories, *original, *layout, {.tag = "rebuilt"});
  for (const auto& warning : rebuilt.warnings) log.warn(fmt::format("catalog {}: {}", planned.name, warning));
  rebuiltDigest = rebuilt.top.digest;
  // The rebuilt catalog keeps the catalog's name; its bytes come from the overlay.
  auto source = planned.source;
  source.digest = rebuilt.top.digest;
  auto destination = writer.destinationOfCatalog(planned, rebuilt.top.digest);
  return {.source = source,
          .destination = destination,
          .from = std::make_shared<OverlaySource>(layout, original),
          .to = writer.open(destination)};
}

}  // namespace

void nameDestinations(Plan& plan, ImageWriter& writer) {
  for (auto& image : plan.images) image.destination = writer.destinationOf(image);
  for (auto& catalog : plan.catalogs) catalog.destination = writer.destinationOfCatalog(catalog, catalog.sourceDigest);
}

CopyResults copyImages(const Plan& plan, ImageReader& reader, ImageWriter& writer, Copier& copier, RunLog& log) {
  CopyResults results;
  results.images.resize(plan.images.size());
  std::vector<CopyRequest> requests;
  std::vector<size_t> requested;  // index in plan.images per request
  for (size_t i = 0; i < plan.images.size(); ++i) {
    const auto& image = plan.images[i];
    try {
      auto source = pullReferenceFor(image.source);
      requests.push_back({.source = source,
                          .destination = image.destination,
                          .from = reader.open(source),
                          .to = writer.open(image.destination)});
      requested.push_back(i);
    } catch (const Error& e) {
      results.images[i].error = e.what();
      log.error(exitBitOf(image.kind), fmt::format("{} {}: {}", kindName(image.kind), image.source.str(), e.what()));
    }
  }
  if (!requests.empty()) log.note(fmt::format("copying {} image(s)", requests.size()));
  auto copied = copier.run(requests);
  for (size_t r = 0; r < copied.size(); ++r) {
    const auto& image = plan.images[requested[r]];
    auto& outcome = results.images[requested[r]] = outcomeOf(copied[r]);
    for (const auto& warning : outcome.warnings) log.warn(fmt::format("{}: {}", image.source.str(), warning));
    if (outcome.ok) continue;
    std::string who;
    if (!image.neededBy.empty()) {
      std::set<std::string> packages;
      for (const auto& owner : image.neededBy) packages.insert(owner.package);
      who = fmt::format(" (needed by {})", fmt::join(packages, ", "));
    }
    log.error(exitBitOf(image.kind), fmt::format("{} {}{}: {}", kindName(image.kind), image.source.str(), who, outcome.error));
  }
  return results;
}

std::vector<CatalogResult> finalizeCatalogs(const Plan& plan, const std::vector<std::optional<CatalogContent>>& contents,
                                            const CopyResults& copied, ImageReader& reader, ImageWriter& writer,
                                            Copier& copier, RunLog& log) {
  std::vector<CatalogResult> results(plan.catalogs.size());
  auto failed = copied.failedOperators(plan);
  std::vector<CatalogCopy> copies;
  for (size_t i = 0; i < plan.catalogs.size(); ++i) {
    const auto& planned = plan.catalogs[i];
    auto& result = results[i];
    if (planned.planningFailed) {
      result.copy.error = "the catalog could not be planned";
      continue;
    }
    std::set<std::string> failedHere;
    for (const auto& owner : failed)
      if (owner.catalog == static_cast<int>(i)) failedHere.insert(owner.package);
    const CatalogContent* content = i < contents.size() && contents[i] ? &*contents[i] : nullptr;

    // Pushed as it is: ready built by the reader, or mirrored whole.
    std::optional<ImageReference> asItIs = reader.builtCatalog(planned);
    if (!asItIs && (!planned.rebuilt || !content)) asItIs = pullReferenceFor(planned.source);
    if (asItIs) {
      for (const auto& package : failedHere)
        log.warn(fmt::format("catalog {} is mirrored {}, so it still lists operator {} whose images failed",
                             planned.name, planned.rebuilt ? "as the archive holds it" : "whole (full: true)", package));
      try {
        auto destination = writer.destinationOfCatalog(planned, asItIs->digest ? asItIs->digest : planned.sourceDigest);
        copies.push_back({i, {.source = *asItIs, .destination = destination, .from = reader.open(*asItIs),
                              .to = writer.open(destination)}});
        result.destination = destination;
      } catch (const Error& e) {
        result.copy.error = e.what();
        log.error(kExitOperator, fmt::format("catalog {}: {}", planned.name, e.what()));
      }
      continue;
    }

    // Rebuilt without the operators whose images failed.
    for (const auto& package : failedHere)
      log.error(kExitOperator, fmt::format("catalog {}: operator {} left out of the mirrored catalog because some of "
                                           "its images failed (see above)",
                                           planned.name, package));
    result.leftOut = failedHere;
    try {
      auto request = rebuildCatalog(planned, *content, failedHere, reader, writer, log, result.rebuiltDigest);
      result.destination = request.destination;
      copies.push_back({i, std::move(request)});
    } catch (const Error& e) {
      result.copy.error = e.what();
      log.error(kExitOperator, fmt::format("catalog {}: cannot rebuild it: {}", planned.name, e.what()));
    }
  }

  std::vector<CopyRequest> requests;
  for (const auto& copy : copies) requests.push_back(copy.request);
  if (!requests.empty()) log.note(fmt::format("copying {} catalog image(s)", requests.size()));
  auto done = copier.run(requests);
  for (size_t r = 0; r < done.size(); ++r) {
    const auto& planned = plan.catalogs[copies[r].catalog];
    auto& outcome = results[copies[r].catalog].copy = outcomeOf(done[r]);
    for (const auto& warning : outcome.warnings) log.warn(fmt::format("{}: {}", planned.source.str(), warning));
    if (!outcome.ok)
      log.error(kExitOperator, fmt::format("{} {}: {}", kindName(ImageKind::Catalog), copies[r].request.source.str(),
                                           outcome.error));
  }
  return results;
}

}  // namespace ferry::mirror
