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
    case ImageKind::ReleaseComponent:
    case ImageKind::GraphImage: return kExitRelease;
    case ImageKind::HelmChart:
    case ImageKind::HelmImage: return kExitHelm;
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

const char* const kSparseIndexSettings =
    "distribution 3 with validation.manifests.indexes.platforms: none (or: list, with platformlist naming the "
    "platforms mirrored), or Quay with FEATURE_SPARSE_INDEX: true";

std::optional<PlatformSelection> selectionFor(const PlatformChoice& choice) {
  if (choice.everyPlatform()) return std::nullopt;
  // A filtered index stays an index even with one platform left (keepIndex): the image is still named as an index.
  return PlatformSelection{.platforms = PlatformSelection::parseList(choice.platforms),
                           .keepIndex = true,
                           .sparse = choice.sparse};
}

namespace {

// What copyImages does with one planned image.
struct ImageCopy {
  size_t image;  // index in plan.images
  CopyRequest request;
};

void logFailure(const PlannedImage& image, const ImageOutcome& outcome, RunLog& log) {
  std::string who;
  if (!image.neededBy.empty()) {
    std::set<std::string> packages;
    for (const auto& owner : image.neededBy) packages.insert(owner.package);
    who = fmt::format(" (needed by {})", fmt::join(packages, ", "));
  }
  log.error(exitBitOf(image.kind), fmt::format("{} {}{}: {}", kindName(image.kind), image.source.str(), who, outcome.error));
}

}  // namespace

CopyResults copyImages(const Plan& plan, ImageReader& reader, ImageWriter& writer, Copier& copier, RunLog& log,
                       const PlatformPolicy& policy) {
  CopyResults results;
  results.images.resize(plan.images.size());
  std::vector<ImageCopy> ready;      // copied in the main batch
  std::vector<ImageCopy> undecided;  // may be sparse, and whether the registry takes sparse indexes is not known yet
  std::vector<ImageCopy> refused;    // sparse, and the registry does not take them
  SparseIndexes sparse = writer.takesSparseIndexes() ? SparseIndexes::Yes : policy.sparseIndexes;
  std::set<size_t> unrequested;  // failed (and logged) before any copy
  for (size_t i = 0; i < plan.images.size(); ++i) {
    const auto& image = plan.images[i];
    try {
      auto source = pullReferenceFor(image.source);
      ImageCopy copy{i,
                     {.source = source,
                      .destination = image.destination,
                      .from = reader.open(source),
                      .to = writer.open(image.destination),
                      .platforms = selectionFor(image.platforms),
                      .sparseRefusedByDestination = sparse == SparseIndexes::No}};
      if (!copy.request.platforms || !copy.request.platforms->sparse || sparse != SparseIndexes::Learn) {
        ready.push_back(std::move(copy));
      } else {
        undecided.push_back(std::move(copy));
      }
    } catch (const Error& e) {
      results.images[i].error = e.what();
      unrequested.insert(i);
      log.error(exitBitOf(image.kind), fmt::format("{} {}: {}", kindName(image.kind), image.source.str(), e.what()));
    }
  }

  auto record = [&](const std::vector<ImageCopy>& copies, const std::vector<CopyResult>& done) {
    for (size_t r = 0; r < done.size(); ++r) {
      auto& outcome = results.images[copies[r].image] = outcomeOf(done[r]);
      outcome.platforms = done[r].platforms;
      outcome.sparse = done[r].sparse && done[r].ok;
      if (done[r].ok && done[r].sourceDigest && done[r].digest)
        log.note(fmt::format("{}: narrowed to {}: {} (the source is {})", plan.images[copies[r].image].source.str(),
                             fmt::join(done[r].platforms, ", "), done[r].digest->str(), done[r].sourceDigest->str()));
    }
  };
  auto run = [&](const std::vector<ImageCopy>& copies) {
    std::vector<CopyRequest> requests;
    for (const auto& copy : copies) requests.push_back(copy.request);
    auto done = copier.run(requests);
    record(copies, done);
    return done;
  };
  // Learn: one image that may be sparse at a time, until one is: the registry's answer to it decides for the others.
  while (!undecided.empty()) {
    auto probe = std::move(undecided.front());
    undecided.erase(undecided.begin());
    auto done = run({probe});
    if (done[0].sparseRefused) {
      log.note(fmt::format("{} refuses sparse indexes (an index whose children are not all there)", writer.describe()));
      refused.push_back(std::move(probe));
      for (auto& copy : undecided) {
        copy.request.sparseRefusedByDestination = true;  // those that would be sparse fail at once, no blob sent
        ready.push_back(std::move(copy));
      }
      undecided.clear();
    } else if (done[0].ok && done[0].sparse && !done[0].alreadyPresent) {
      log.note(fmt::format("{} accepts sparse indexes", writer.describe()));
      for (auto& copy : undecided) ready.push_back(std::move(copy));
      undecided.clear();
    }
    // Otherwise (it kept every platform, was one image, was there already — whole, from an earlier
    // --platform-fallback=whole —, or failed for another reason) the next one is asked.
  }
  if (!ready.empty()) log.note(fmt::format("copying {} image(s)", ready.size()));
  auto done = run(ready);
  for (size_t r = 0; r < done.size(); ++r)
    if (done[r].sparseRefused) refused.push_back(ready[r]);

  if (!refused.empty()) {
    std::vector<std::string> names;
    for (const auto& copy : refused) names.push_back(plan.images[copy.image].source.str());
    if (policy.fallback == PlatformFallback::Whole && reader.holdsEveryPlatform()) {
      log.warn(fmt::format("{} does not take sparse indexes, so {} image(s) referenced by digest are copied with "
                           "every platform (--platform-fallback=whole): {}",
                           writer.describe(), refused.size(), fmt::join(names, ", ")));
      for (auto& copy : refused) {
        copy.request.platforms.reset();
        copy.request.sparseRefusedByDestination = false;
      }
      run(refused);
      for (const auto& copy : refused) results.images[copy.image].wholeFallback = true;
    } else {
      std::string fix = reader.holdsEveryPlatform()
                            ? "or mirror them with every platform: --platform-fallback=whole"
                            : "or carry them with every platform: remove their platforms and run mirror-to-disk again";
      std::string message = fmt::format(
          "{} does not take sparse indexes, which {} image(s) referenced by digest need to keep their digest with "
          "only some platforms; allow them ({}), {}. Images: {}",
          writer.describe(), refused.size(), kSparseIndexSettings, fix, fmt::join(names, ", "));
      int bits = 0;
      for (const auto& copy : refused) {
        auto& outcome = results.images[copy.image];
        outcome = ImageOutcome{};
        outcome.error = fmt::format("{} does not take sparse indexes (see the message above)", writer.describe());
        bits |= exitBitOf(plan.images[copy.image].kind);
      }
      log.error(bits, message);
    }
  }

  std::set<size_t> refusedImages;
  if (policy.fallback != PlatformFallback::Whole || !reader.holdsEveryPlatform())
    for (const auto& copy : refused) refusedImages.insert(copy.image);
  for (size_t i = 0; i < plan.images.size(); ++i) {
    const auto& image = plan.images[i];
    const auto& outcome = results.images[i];
    for (const auto& warning : outcome.warnings) log.warn(fmt::format("{}: {}", image.source.str(), warning));
    if (!image.platforms.everyPlatform() && outcome.ok && outcome.digest && !outcome.sparse && !outcome.wholeFallback &&
        image.source.digest && *outcome.digest != *image.source.digest)
      log.warn(fmt::format("{} is referenced by digest but was narrowed to a new digest {}", image.source.str(),
                           outcome.digest->str()));
    if (outcome.ok || refusedImages.count(i) || unrequested.count(i)) continue;
    logFailure(image, outcome, log);
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
      // The rebuilt image has a digest of its own, which nobody signed: the policy judges the original.
      auto original = pullReferenceFor(planned.source);
      copier.checkPolicy(original, *reader.open(original));
    } catch (const Error& e) {
      result.copy.error = e.what();
      log.error(kExitOperator, fmt::format("catalog {}: {}", planned.name, e.what()));
      continue;
    }
    try {
      auto request = rebuildCatalog(planned, *content, failedHere, reader, writer, log, result.rebuiltDigest);
      request.policyChecked = true;
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
