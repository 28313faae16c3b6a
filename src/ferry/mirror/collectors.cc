#include "ferry/mirror/collectors.h"

#include <map>
#include <set>

#include <fmt/ranges.h>

#include "ferry/base/error.h"
#include "ferry/filter/filter.h"
#include "ferry/mirror/catalog_cache.h"
#include "ferry/mirror/release_collector.h"
#include "ferry/mirror/run_log.h"

namespace ferry::mirror {
namespace {

// What blockedImages patterns are matched against: the reference as users write it.
std::string matchText(const ImageReference& image) {
  auto text = image.str();
  if (text.rfind("docker://", 0) == 0) text.erase(0, 9);
  return text;
}

bool isBlocked(const std::vector<config::BlockedImage>& blocked, const ImageReference& image) {
  for (const auto& pattern : blocked)
    if (pattern.blocks(matchText(image))) return true;
  return false;
}

// The hash of a selection (and of the destination, for a catalog listed twice),
// so filtered outputs of different catalog entries do not mix.
std::string selectionKey(const config::OperatorCatalog& entry) {
  std::string text = entry.selection.full ? "full;" : "heads;";
  if (!entry.targetCatalog.empty() || !entry.targetTag.empty())
    text += fmt::format("target={}:{};", entry.targetCatalog, entry.targetTag);
  text += entry.selection.skipDependencies ? "nodeps;" : "deps;";
  for (const auto& package : entry.selection.packages) {
    text += fmt::format("p={},{},{},{},{},{};", package.name, package.defaultChannel, package.minVersion,
                        package.maxVersion, package.minBundle, package.channels.size());
    for (const auto& channel : package.channels)
      text += fmt::format("c={},{},{},{};", channel.name, channel.minVersion, channel.maxVersion, channel.minBundle);
  }
  return std::string(Digest::sha256Of(text).hex().substr(0, 16));
}

PlannedCatalog catalogOf(const config::OperatorCatalog& entry) {
  PlannedCatalog planned;
  planned.name = entry.catalog;
  planned.source = entry.catalogRef;
  planned.naming.isCatalog = true;
  if (!entry.targetCatalog.empty()) planned.naming.targetCatalog = entry.targetCatalog;
  if (!entry.targetTag.empty()) planned.naming.targetTag = entry.targetTag;
  planned.catalogSourceTemplate = entry.targetCatalogSourceTemplate;
  planned.rebuilt = !entry.selection.keepsWholeCatalog();
  for (const auto& platform : entry.platforms) planned.platforms.platforms.push_back(platform.str());
  // Keeping some platforms makes a new catalog image, even of a whole catalog.
  if (!entry.platforms.empty()) planned.rebuilt = true;
  return planned;
}

// Reads and filters one catalog; throws Error when it cannot be read.
CatalogContent readAndFilter(const PlanningContext& context, const config::OperatorCatalog& entry,
                             PlannedCatalog& planned) {
  auto source = context.reader.open(entry.catalogRef);
  context.log.note(fmt::format("reading catalog {}", entry.catalog));
  auto top = source->getManifest(entry.catalogRef.manifestReference());
  planned.sourceDigest = top.digest;
  auto directory = context.workspace.catalogs() / archiveName(entry.catalogRef) / top.digest.hex();
  // A platform selection reads only those platforms' images, so its extraction record is its own.
  std::string extracted = "extracted";
  if (!entry.platforms.empty()) {
    std::string key;
    for (const auto& platform : entry.platforms) key += platform.normalized().str() + ",";
    extracted += "-" + std::string(Digest::sha256Of(key).hex().substr(0, 12));
  }
  auto extraction = context.workspace.catalogExtraction(archiveName(entry.catalogRef), std::string(top.digest.hex()),
                                                        extracted);
  CatalogContent content{.image = readCatalogCached(*source, entry.catalogRef, top, extraction, entry.platforms),
                         .filtered = {},
                         .filteredDirectory = directory / "filtered" / selectionKey(entry)};
  for (const auto& warning : content.image.warnings) context.log.warn(fmt::format("catalog {}: {}", entry.catalog, warning));
  if (content.image.variants.size() > 1)
    context.log.note(fmt::format("catalog {}: {} platforms carry {} different catalogs; each is filtered on its own",
                                 entry.catalog, content.image.platforms.size(), content.image.variants.size()));
  // A package missing from every platform variant fails its operator; missing from some, it is a warning.
  std::map<std::string, size_t> missingIn;
  size_t filteredVariants = 0;
  for (const auto& variant : content.image.variants) {
    if (!planned.rebuilt) {
      content.filtered.push_back(variant.catalog);
      continue;
    }
    auto result = catalog::filterCatalog(variant.catalog, entry.selection);
    for (const auto& line : result.dependencyNotes) planned.notes.push_back(line);
    for (const auto& line : result.warnings) context.log.warn(fmt::format("catalog {}: {}", entry.catalog, line));
    for (const auto& line : result.errors) ++missingIn[line];
    ++filteredVariants;
    content.filtered.push_back(std::move(result.catalog));
  }
  for (const auto& [line, variants] : missingIn) {
    if (variants == filteredVariants)
      context.log.error(kExitOperator, fmt::format("catalog {}: {}", entry.catalog, line));
    else
      context.log.warn(fmt::format("catalog {}: on {} of its {} platform variants: {}", entry.catalog, variants,
                                   filteredVariants, line));
  }
  for (const auto& filtered : content.filtered)
    for (const auto& package : filtered.packages) planned.packages.insert(package.name);
  for (const auto& line : planned.notes) context.log.note(fmt::format("catalog {}: {}", entry.catalog, line));
  return content;
}

// The bundle and related images of a filtered catalog, with the packages that need each.
void addCatalogImages(const PlanningContext& context, PlanBuilder& plan, int index, const CatalogContent& content,
                      const config::OperatorCatalog& entry) {
  auto& planned = plan.catalog(index);
  std::map<std::string, std::set<std::string>> packagesByImage;
  std::set<std::string> bundleImages;
  for (const auto& filtered : content.filtered) {
    for (const auto& bundle : filtered.bundles) {
      bundleImages.insert(bundle.image);
      if (!bundle.image.empty()) packagesByImage[bundle.image].insert(bundle.package);
      for (const auto& related : bundle.relatedImages)
        if (!related.image.empty()) packagesByImage[related.image].insert(bundle.package);
    }
  }
  for (const auto& [text, packages] : packagesByImage) {
    PlannedImage image;
    image.kind = bundleImages.count(text) ? ImageKind::Bundle : ImageKind::RelatedImage;
    try {
      image.source = ImageReference::parse(text);
      if (image.source.transport != Transport::Registry) fail("related images must be registry references");
    } catch (const Error& e) {
      context.log.error(kExitOperator, fmt::format("catalog {}: image '{}' of package(s) {}: {}", planned.name, text,
                                                   fmt::join(packages, ", "), e.what()));
      planned.unplannablePackages.insert(packages.begin(), packages.end());
      continue;
    }
    for (const auto& package : packages) image.neededBy.insert({index, package});
    image.platforms = platformChoiceFor(entry.platforms, image.source);
    plan.addImage(std::move(image));
  }
}

// Each planned catalog gets its own name in an archive: a catalog listed twice
// (other targetCatalog or targetTag) is filtered and rebuilt twice.
void nameInArchive(Plan& plan) {
  for (size_t i = 0; i < plan.catalogs.size(); ++i) {
    auto& catalog = plan.catalogs[i];
    bool repeated = false;
    for (size_t j = 0; j < i; ++j) repeated = repeated || plan.catalogs[j].source == catalog.source;
    std::string base = catalog.source.tag ? *catalog.source.tag
                       : catalog.source.digest ? digestTag(*catalog.source.digest)
                                               : std::string("catalog");
    if (!repeated) {
      catalog.archiveTag = catalog.source.tag.value_or("");
    } else {
      catalog.archiveTag = fmt::format("{}-{}", base.substr(0, 100), i + 1);
    }
  }
}

}  // namespace

void PlanBuilder::addImage(PlannedImage image) {
  auto& plan = run_.plan;
  auto key = image.source.str();
  if (auto it = seen_.find(key); it != seen_.end()) {
    auto& existing = plan.images[it->second];
    existing.neededBy.insert(image.neededBy.begin(), image.neededBy.end());
    existing.foundIn.insert(existing.foundIn.end(), image.foundIn.begin(), image.foundIn.end());
    // An image asked for explicitly stays an additional image (its own exit-code bit).
    if (image.kind == ImageKind::Additional) existing.kind = ImageKind::Additional;
    existing.platforms.merge(image.platforms);
    return;
  }
  if (isBlocked(blocked_, image.source)) {
    plan.blocked.push_back(matchText(image.source));
    return;
  }
  seen_[key] = plan.images.size();
  plan.images.push_back(std::move(image));
}

int PlanBuilder::addCatalog(PlannedCatalog catalog, std::optional<CatalogContent> content) {
  run_.plan.catalogs.push_back(std::move(catalog));
  run_.contents.push_back(std::move(content));
  return static_cast<int>(run_.plan.catalogs.size() - 1);
}

void OperatorCollector::collect(const PlanningContext& context, PlanBuilder& plan) {
  for (const auto& entry : context.config.mirror.operators) {
    auto planned = catalogOf(entry);
    std::optional<CatalogContent> content;
    try {
      content = readAndFilter(context, entry, planned);
    } catch (const Error& e) {
      context.log.error(kExitOperator, fmt::format("{}: catalog {}: {}", entry.where.str(), entry.catalog, e.what()));
      planned.planningFailed = true;
    }
    auto index = plan.addCatalog(std::move(planned), std::move(content));
    if (const auto& added = plan.content(index)) addCatalogImages(context, plan, index, *added, entry);
  }
}

void AdditionalImageCollector::collect(const PlanningContext& context, PlanBuilder& plan) {
  for (const auto& additional : context.config.mirror.additionalImages) {
    PlannedImage image;
    image.kind = ImageKind::Additional;
    image.source = additional.ref;
    if (!additional.targetRepo.empty()) image.naming.targetRepo = additional.targetRepo;
    if (!additional.targetTag.empty()) image.naming.targetTag = additional.targetTag;
    image.platforms = platformChoiceFor(additional.platforms, image.source);
    plan.addImage(std::move(image));
  }
}

PlatformChoice platformChoiceFor(const std::vector<Platform>& platforms, const ImageReference& image) {
  PlatformChoice choice;
  for (const auto& platform : platforms) choice.platforms.push_back(platform.str());
  choice.sparse = !choice.platforms.empty() && image.digest.has_value();
  return choice;
}

std::vector<std::unique_ptr<ImageCollector>> defaultCollectors() { return defaultCollectors(ReleaseOptions{}); }

std::vector<std::unique_ptr<ImageCollector>> defaultCollectors(const ReleaseOptions& releases,
                                                              HelmCollectorOptions helm) {
  std::vector<std::unique_ptr<ImageCollector>> collectors;
  collectors.push_back(std::make_unique<ReleaseCollector>(releases));
  collectors.push_back(std::make_unique<OperatorCollector>());
  collectors.push_back(std::make_unique<AdditionalImageCollector>());
  collectors.push_back(std::make_unique<HelmCollector>(std::move(helm)));
  return collectors;
}

PlannedRun planFromConfiguration(const PlanningContext& context,
                                 const std::vector<std::unique_ptr<ImageCollector>>& collectors) {
  for (const auto& collector : collectors) collector->check(context.config);
  PlanBuilder builder(context.config.mirror.blockedImages);
  for (const auto& collector : collectors) collector->collect(context, builder);
  auto run = builder.take();
  nameInArchive(run.plan);
  context.log.note(fmt::format("plan: {} images from {} catalogs and the additional images{}", run.plan.images.size(),
                               run.plan.catalogs.size(),
                               run.plan.blocked.empty() ? "" : fmt::format(", {} blocked", run.plan.blocked.size())));
  return run;
}

Plan narrowToConfiguration(Plan recorded, const config::ImageSetConfig& config, RunLog& log) {
  Plan narrowed;
  narrowed.blocked = recorded.blocked;
  std::map<int, int> kept;  // recorded catalog index → narrowed index
  for (size_t i = 0; i < recorded.catalogs.size(); ++i) {
    auto& catalog = recorded.catalogs[i];
    const config::OperatorCatalog* asked = nullptr;
    for (const auto& entry : config.mirror.operators) {
      auto wanted = catalogOf(entry);
      if (wanted.source == catalog.source && wanted.naming.targetCatalog == catalog.naming.targetCatalog &&
          wanted.naming.targetTag == catalog.naming.targetTag)
        asked = &entry;
    }
    if (!asked) continue;
    for (const auto& package : asked->selection.packages)
      if (!catalog.packages.count(package.name))
        log.warn(fmt::format("catalog {}: package {} is not in the archive's catalog; run mirror-to-disk with this "
                             "configuration to carry it",
                             catalog.name, package.name));
    kept[static_cast<int>(i)] = static_cast<int>(narrowed.catalogs.size());
    narrowed.catalogs.push_back(std::move(catalog));
  }
  std::set<std::string> additional;
  for (const auto& image : config.mirror.additionalImages) additional.insert(image.ref.str());
  for (auto& image : recorded.images) {
    std::set<PackageOwner> owners;
    for (const auto& owner : image.neededBy)
      if (auto it = kept.find(owner.catalog); it != kept.end()) owners.insert({it->second, owner.package});
    bool release = image.kind == ImageKind::Release || image.kind == ImageKind::ReleaseComponent ||
                   image.kind == ImageKind::GraphImage;
    bool asked = !owners.empty() || (image.kind == ImageKind::Additional && additional.count(image.source.str())) ||
                 (release && config.mirror.platform) || (isHelmKind(image.kind) && config.mirror.helm);
    if (!asked) continue;
    if (isBlocked(config.mirror.blockedImages, image.source)) {
      narrowed.blocked.push_back(matchText(image.source));
      continue;
    }
    image.neededBy = std::move(owners);
    narrowed.images.push_back(std::move(image));
  }
  narrowHelmContent(narrowed, config, log);
  log.note(fmt::format("the configuration narrows the archive's plan to {} images and {} catalogs",
                       narrowed.images.size(), narrowed.catalogs.size()));
  return narrowed;
}

}  // namespace ferry::mirror
