#include "ferry/mirror/mirror.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include <fmt/ranges.h>

#include "ferry/archive/archive_format.h"
#include "ferry/archive/archive_reader.h"
#include "ferry/archive/archive_writer.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/filter/filter.h"
#include "ferry/catalog/rebuild.h"
#include "ferry/fbc/write.h"
#include "ferry/config/image_set_config.h"
#include "ferry/layout/oci_layout.h"
#include "ferry/mirror/catalog_cache.h"
#include "ferry/mirror/cluster_resources.h"
#include "ferry/mirror/history.h"
#include "ferry/mirror/mapping_file.h"
#include "ferry/mirror/naming.h"
#include "ferry/mirror/workspace.h"
#include "ferry/transport/overlay_source.h"

namespace ferry::mirror {
namespace {

// "20261129T100000Z": a run id that sorts by time and is safe in file names.
std::string newRunId() {
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

// What blockedImages patterns are matched against: the reference as users write it.
std::string matchText(const ImageReference& image) {
  auto text = image.str();
  if (text.rfind("docker://", 0) == 0) text.erase(0, 9);
  return text;
}

// A catalog being mirrored: the planned entry plus what phase 3 needs.
struct CatalogWork {
  PlannedCatalog planned;
  const config::OperatorCatalog* entry = nullptr;
  std::optional<catalog::CatalogImage> image;
  std::vector<catalog::Catalog> filtered;  // per variant
  std::filesystem::path directory;         // operator-catalogs/<name>/<digest hex>
  bool failed = false;
};

// The hash of a selection, so filtered outputs of different selections do not mix.
std::string selectionKey(const config::OperatorCatalog& entry) {
  std::string text = entry.selection.full ? "full;" : "heads;";
  text += entry.selection.skipDependencies ? "nodeps;" : "deps;";
  for (const auto& package : entry.selection.packages) {
    text += fmt::format("p={},{},{},{},{},{};", package.name, package.defaultChannel, package.minVersion,
                        package.maxVersion, package.minBundle, package.channels.size());
    for (const auto& channel : package.channels)
      text += fmt::format("c={},{},{},{};", channel.name, channel.minVersion, channel.maxVersion, channel.minBundle);
  }
  return std::string(Digest::sha256Of(text).hex().substr(0, 16));
}

ImageCategory categoryOf(ImageKind kind) {
  switch (kind) {
    case ImageKind::Catalog: return ImageCategory::Catalog;
    case ImageKind::Bundle:
    case ImageKind::RelatedImage: return ImageCategory::Operator;
    case ImageKind::Additional: return ImageCategory::Generic;
  }
  return ImageCategory::Generic;
}

}  // namespace

class MirrorRun::Impl {
 public:
  explicit Impl(MirrorOptions options)
      : options_(std::move(options)),
        endpoints_(options_.endpoints),
        copier_(endpoints_, CopyOptions{.parallel = options_.parallel}),
        runId_(newRunId()) {}

  MirrorReport run();
  const CopyProgress& progress() const { return copier_.progress(); }

 private:
  void note(const std::string& line) {
    if (options_.note) options_.note(line);
  }
  void error(int category, const std::string& line) {
    report_.exitCode |= category;
    report_.errors.push_back(line);
  }
  void warn(const std::string& line) {
    report_.warnings.push_back(line);
    note("warning: " + line);
  }

  void openWorkspace();
  void planFromConfig();
  void planCatalog(const config::OperatorCatalog& entry);
  void planFromArchive();
  void nameDestinations();
  void mountBlobsShippedEarlier();
  void writeDryRun();
  std::vector<MirroredEntry> copyImages(const std::vector<PlannedImage>& images, bool catalogs);
  std::set<std::pair<int, std::string>> failedOperators(const std::vector<MirroredEntry>& done);
  std::vector<PlannedImage> prepareCatalogs(const std::set<std::pair<int, std::string>>& failed);
  void writeClusterResourcesFor(const std::vector<MirroredEntry>& done);
  void writeErrorLog();

  // Where an image is read from and written to, per workflow.
  ImageReference readFrom(const PlannedImage& image);
  ImageReference writeTo(const PlannedImage& image);

  MirrorOptions options_;
  Endpoints endpoints_;
  Copier copier_;
  std::string runId_;
  Workspace workspace_;
  std::optional<config::ImageSetConfig> config_;
  std::optional<DestinationRoot> root_;
  std::vector<CatalogWork> catalogs_;
  std::unique_ptr<ArchiveWriter> archiveWriter_;
  std::shared_ptr<ArchiveReader> archiveReader_;
  // Operators with an image that could not even be planned (an invalid reference): left out like failed ones.
  std::set<std::pair<int, std::string>> unplannable_;
  // Rebuilt catalogs: the catalog's name (with the rebuilt digest) → the overlay it is read from.
  std::map<std::string, ImageReference> rebuiltSources_;
  MirrorReport report_;
};

MirrorRun::MirrorRun(MirrorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
MirrorRun::~MirrorRun() = default;
MirrorReport MirrorRun::run() { return impl_->run(); }
const CopyProgress& MirrorRun::progress() const { return impl_->progress(); }

void MirrorRun::Impl::openWorkspace() {
  switch (options_.workflow) {
    case Workflow::MirrorToMirror:
      if (options_.workspace.empty())
        fail("mirror-to-mirror needs --workspace file://DIR: the folder where ferry keeps the working files "
             "(catalog cache, cluster resources, logs)");
      workspace_.root = options_.workspace / "working-dir";
      break;
    case Workflow::MirrorToDisk: workspace_.root = options_.archiveDirectory / "working-dir"; break;
    case Workflow::DiskToMirror:
      workspace_.root = (options_.workspace.empty() ? options_.archiveDirectory : options_.workspace) / "working-dir";
      break;
  }
  std::filesystem::create_directories(workspace_.root);
  report_.workingDirectory = workspace_.root;
  if (options_.workflow != Workflow::MirrorToDisk) root_ = DestinationRoot::parse(options_.destination);
}

MirrorReport MirrorRun::Impl::run() {
  openWorkspace();
  if (!options_.configFile.empty()) {
    config_ = config::loadImageSetConfig(options_.configFile);
    for (const auto& warning : config_->warnings) warn(warning);
  } else if (options_.workflow != Workflow::DiskToMirror) {
    fail("give the ImageSetConfiguration with -c FILE");
  }

  if (options_.workflow == Workflow::DiskToMirror) {
    planFromArchive();
  } else {
    planFromConfig();
  }
  if (root_) nameDestinations();
  writeDryRun();
  if (archiveReader_ && !options_.dryRun) mountBlobsShippedEarlier();
  if (options_.dryRun) return std::move(report_);

  std::optional<History> history;
  if (options_.workflow == Workflow::MirrorToDisk) {
    history = History::load(workspace_.history());
    std::map<Digest, std::string> shipped;
    for (const auto& [digest, where] : history->shipped()) shipped.emplace(Digest::parse(digest), where.where);
    archiveWriter_ = std::make_unique<ArchiveWriter>(options_.archiveDirectory, config_->archiveSizeBytes(), runId_,
                                                     std::move(shipped));
    std::map<std::string, Digest> images;
    for (const auto& [reference, digest] : history->images()) images.emplace(reference, Digest::parse(digest));
    archiveWriter_->setShippedImages(std::move(images));
    archiveWriter_->addFile("plan.json", planToJson(report_.plan, runId_));
    archiveWriter_->addFile("imageset-config.yaml", readFile(options_.configFile));
    for (size_t i = 0; i < catalogs_.size(); ++i) {
      const auto& path = catalogs_[i].planned.catalogSourceTemplate;
      if (!path.empty()) archiveWriter_->addFile(fmt::format("catalog-source-template-{}.yaml", i), readFile(path));
    }
  }

  // Phase 2: every image but the catalogs.
  auto done = copyImages(report_.plan.images, false);
  auto failed = failedOperators(done);
  failed.insert(unplannable_.begin(), unplannable_.end());
  if (options_.strict && !report_.errors.empty()) {
    report_.images = std::move(done);
    error(kExitGeneric, "--strict: stopping before the catalogs are pushed, since images failed");
    writeErrorLog();
    return std::move(report_);
  }

  // Phase 3: the catalogs, without the operators whose images failed.
  auto catalogImages = prepareCatalogs(failed);
  auto catalogsDone = copyImages(catalogImages, true);
  done.insert(done.end(), std::make_move_iterator(catalogsDone.begin()), std::make_move_iterator(catalogsDone.end()));
  report_.images = std::move(done);

  if (archiveWriter_) {
    archiveWriter_->finish();
    report_.archiveParts = archiveWriter_->partFiles();
    report_.nothingNew = report_.archiveParts.empty();
    // History keeps every blob this run carried, whether its images all
    // succeeded or not: the bytes are in the archive either way.
    std::map<std::string, std::pair<int64_t, std::string>> shipped;
    std::vector<History::ShippedImage> images;
    for (const auto& part : report_.archiveParts) {
      auto info = ArchiveReader::open(options_.archiveDirectory / part)->partInfos().front();
      for (const auto& blob : info.blobs) shipped[blob.digest.str()] = {blob.size, part};
      for (const auto& image : info.images) images.push_back({image.reference(), image.digest.str(), part});
    }
    if (!shipped.empty() || !images.empty()) History::record(workspace_.history(), runId_, shipped, images);
  } else {
    writeClusterResourcesFor(report_.images);
  }
  writeErrorLog();
  return std::move(report_);
}

// ---------------------------------------------------------------------------
// Planning from a configuration (mirror-to-mirror, mirror-to-disk).

void MirrorRun::Impl::planFromConfig() {
  auto& plan = report_.plan;
  std::map<std::string, size_t> seen;  // source text → index in plan.images
  auto add = [&](PlannedImage image) {
    auto key = image.source.str();
    if (auto it = seen.find(key); it != seen.end()) {
      auto& existing = plan.images[it->second];
      existing.neededBy.insert(image.neededBy.begin(), image.neededBy.end());
      // An image asked for explicitly stays an additional image (its own exit-code bit).
      if (image.kind == ImageKind::Additional) existing.kind = ImageKind::Additional;
      return;
    }
    for (const auto& blocked : config_->mirror.blockedImages) {
      if (blocked.blocks(matchText(image.source))) {
        plan.blocked.push_back(matchText(image.source));
        return;
      }
    }
    seen[key] = plan.images.size();
    plan.images.push_back(std::move(image));
  };

  // Per-image platform selection (v2alpha1 `platforms`, oc-mirror's newest sparse copies) would need sparse
  // indexes in archives and at registries that refuse them; say so rather than copy every platform silently.
  for (const auto& entry : config_->mirror.operators)
    if (!entry.platforms.empty())
      fail("{}: mirror.operators[].platforms is not supported by ferry mirror yet: every platform is mirrored, digest "
           "for digest. Remove it (or narrow single images with ferry copy --platform)",
           entry.where.str());
  for (const auto& image : config_->mirror.additionalImages)
    if (!image.platforms.empty())
      fail("{}: mirror.additionalImages[].platforms is not supported by ferry mirror yet: remove it, or copy the "
           "image with ferry copy --platform",
           image.where.str());

  for (const auto& entry : config_->mirror.operators) {
    try {
      planCatalog(entry);
    } catch (const Error& e) {
      error(kExitOperator, fmt::format("{}: catalog {}: {}", entry.where.str(), entry.catalog, e.what()));
      catalogs_.back().failed = true;
    }
  }
  for (size_t i = 0; i < catalogs_.size(); ++i) {
    auto& work = catalogs_[i];
    if (work.failed || !work.image) continue;
    std::map<std::string, std::set<std::string>> packagesByImage;
    for (const auto& filtered : work.filtered) {
      for (const auto& bundle : filtered.bundles) {
        if (!bundle.image.empty()) packagesByImage[bundle.image].insert(bundle.package);
        for (const auto& related : bundle.relatedImages)
          if (!related.image.empty()) packagesByImage[related.image].insert(bundle.package);
      }
    }
    std::set<std::string> bundleImages;
    for (const auto& filtered : work.filtered)
      for (const auto& bundle : filtered.bundles) bundleImages.insert(bundle.image);
    for (const auto& [text, packages] : packagesByImage) {
      PlannedImage image;
      image.kind = bundleImages.count(text) ? ImageKind::Bundle : ImageKind::RelatedImage;
      try {
        image.source = ImageReference::parse(text);
        if (image.source.transport != Transport::Registry) fail("related images must be registry references");
      } catch (const Error& e) {
        error(kExitOperator, fmt::format("catalog {}: image '{}' of package(s) {}: {}", work.planned.name, text,
                                         fmt::join(packages, ", "), e.what()));
        for (const auto& package : packages) unplannable_.emplace(static_cast<int>(i), package);
        continue;
      }
      for (const auto& package : packages) image.neededBy.emplace(static_cast<int>(i), package);
      add(std::move(image));
    }
  }
  for (const auto& additional : config_->mirror.additionalImages) {
    PlannedImage image;
    image.kind = ImageKind::Additional;
    image.source = additional.ref;
    if (!additional.targetRepo.empty()) image.naming.targetRepo = additional.targetRepo;
    if (!additional.targetTag.empty()) image.naming.targetTag = additional.targetTag;
    add(std::move(image));
  }
  for (const auto& work : catalogs_) plan.catalogs.push_back(work.planned);
  note(fmt::format("plan: {} images from {} catalogs and the additional images{}", plan.images.size(),
                   catalogs_.size(), plan.blocked.empty() ? "" : fmt::format(", {} blocked", plan.blocked.size())));
}

void MirrorRun::Impl::planCatalog(const config::OperatorCatalog& entry) {
  catalogs_.emplace_back();
  auto& work = catalogs_.back();
  work.entry = &entry;
  auto& planned = work.planned;
  planned.name = entry.catalog;
  planned.source = entry.catalogRef;
  planned.naming.isCatalog = true;
  if (!entry.targetCatalog.empty()) planned.naming.targetCatalog = entry.targetCatalog;
  if (!entry.targetTag.empty()) planned.naming.targetTag = entry.targetTag;
  planned.catalogSourceTemplate = entry.targetCatalogSourceTemplate;
  planned.rebuilt = !entry.selection.keepsWholeCatalog();

  auto readRef = readLocation(entry.catalogRef, options_.sourceMirrors);
  auto source = endpoints_.source(readRef);
  note(fmt::format("reading catalog {}", entry.catalog));
  auto top = source->getManifest(readRef.manifestReference());
  planned.sourceDigest = top.digest.str();
  work.directory = workspace_.catalogs() / archiveName(entry.catalogRef) / top.digest.hex();
  work.image = readCatalogCached(*source, readRef, top, work.directory / "extracted");
  for (const auto& warning : work.image->warnings) warn(fmt::format("catalog {}: {}", entry.catalog, warning));
  if (work.image->variants.size() > 1)
    note(fmt::format("catalog {}: {} platforms carry {} different catalogs; each is filtered on its own",
                     entry.catalog, work.image->platforms.size(), work.image->variants.size()));

  for (const auto& variant : work.image->variants) {
    if (!planned.rebuilt) {
      work.filtered.push_back(variant.catalog);
      continue;
    }
    auto result = catalog::filterCatalog(variant.catalog, entry.selection);
    for (const auto& line : result.dependencyNotes) planned.notes.push_back(line);
    for (const auto& line : result.warnings) warn(fmt::format("catalog {}: {}", entry.catalog, line));
    work.filtered.push_back(std::move(result.catalog));
  }
  for (const auto& filtered : work.filtered)
    for (const auto& package : filtered.packages) planned.packages.insert(package.name);
  for (const auto& line : planned.notes) note(fmt::format("catalog {}: {}", entry.catalog, line));
}

// ---------------------------------------------------------------------------
// Planning from an archive (disk-to-mirror).

void MirrorRun::Impl::planFromArchive() {
  // Every member of every part is hashed against its ferry/checksums.sha256 before anything is pushed.
  archiveReader_ = ArchiveReader::openVerified(options_.archiveDirectory);
  note(fmt::format("checked {} archive part(s) in {}", archiveReader_->partFiles().size(),
                   options_.archiveDirectory.string()));
  auto planText = archiveReader_->file("plan.json");
  if (!planText)
    fail("{} holds no ferry/plan.json: it was not written by `ferry mirror` (load plain OCI layouts with ferry copy)",
         options_.archiveDirectory.string());
  auto full = planFromJson(*planText, options_.archiveDirectory.string() + " ferry/plan.json");

  // Only what the loaded parts hold is mirrored (parts can be loaded one by one).
  std::map<std::string, const ArchiveImage*> held;  // ref.name → image
  auto images = archiveReader_->images();
  for (const auto& image : images) held[image.reference] = &image;
  auto& plan = report_.plan;
  plan.catalogs = full.catalogs;
  plan.blocked = full.blocked;
  for (auto& image : full.images) {
    auto name = archiveName(image.source);
    auto reference = image.source.tag ? name + ":" + *image.source.tag : name + "@" + image.source.digest->str();
    if (!held.count(reference)) continue;
    plan.images.push_back(std::move(image));
  }
  for (size_t i = 0; i < plan.catalogs.size(); ++i) {
    auto& catalog = plan.catalogs[i];
    catalogs_.push_back(CatalogWork{.planned = catalog});
    if (auto text = archiveReader_->file(fmt::format("catalog-source-template-{}.yaml", i))) {
      auto path = workspace_.root / fmt::format("catalog-source-template-{}.yaml", i);
      writeFileAtomically(path, *text);
      catalogs_.back().planned.catalogSourceTemplate = path.string();
    } else {
      catalogs_.back().planned.catalogSourceTemplate.clear();
    }
  }

  // Blobs the parts reference but do not carry must be at the destination
  // already (shipped by an earlier archive); say exactly which are not.
  auto missing = archiveReader_->missingBlobs();
  if (!missing.empty())
    note(fmt::format("{} blob(s) are not in these parts (shipped earlier); they must be at the destination",
                     missing.size()));
}

void MirrorRun::Impl::nameDestinations() {
  auto& plan = report_.plan;
  for (auto& image : plan.images) {
    auto naming = image.naming;
    naming.maxNestedPaths = options_.maxNestedPaths;
    image.destination = destinationFor(image.source, *root_, naming);
  }
  for (size_t i = 0; i < plan.catalogs.size(); ++i) {
    auto naming = plan.catalogs[i].naming;
    naming.maxNestedPaths = options_.maxNestedPaths;
    naming.isCatalog = true;
    // A digest-only catalog is tagged with the rebuilt digest; until it is
    // known (dry run) the source digest stands in.
    if (!plan.catalogs[i].sourceDigest.empty())
      naming.rebuiltCatalogDigest = Digest::parse(plan.catalogs[i].sourceDigest);
    plan.catalogs[i].destination = destinationFor(plan.catalogs[i].source, *root_, naming);
    catalogs_[i].planned.destination = plan.catalogs[i].destination;
  }
}

void MirrorRun::Impl::writeDryRun() {
  std::vector<MappingEntry> mapping;
  const auto& plan = report_.plan;
  for (const auto& image : plan.images)
    mapping.push_back({pullReferenceFor(image.source), root_ ? image.destination : image.source});
  for (const auto& catalog : plan.catalogs)
    mapping.push_back({pullReferenceFor(catalog.source), root_ ? catalog.destination : catalog.source});
  auto directory = options_.dryRun ? workspace_.dryRun() : workspace_.root;
  std::filesystem::create_directories(directory);
  report_.mappingFile = directory / "mapping.txt";
  writeMappingTxt(report_.mappingFile, mapping);
  if (!options_.dryRun) return;

  if (options_.workflow == Workflow::MirrorToDisk) {
    // missing.txt: the images the source does not have (what a real run would fail on).
    std::string missing;
    for (const auto& image : plan.images) {
      try {
        auto readRef = readLocation(pullReferenceFor(image.source), options_.sourceMirrors);
        endpoints_.source(readRef)->getManifest(readRef.manifestReference());
      } catch (const Error& e) {
        missing += fmt::format("{}\t{}\n", pullReferenceFor(image.source).str(), e.what());
      }
    }
    writeFileAtomically(directory / "missing.txt", missing);
  }
  if (root_) writeClusterResourcesFor({});
}

// An archive part does not carry blobs an earlier run shipped: they must be
// at the destination already. A blob at the image's own repository is found by
// the copy engine; one that an earlier run pushed only to another repository
// (an image in another repository shares a layer) is mounted here from a
// repository of this plan that needs it too. What is still missing fails its
// image in the copy, with the part and run that carried the blob.
void MirrorRun::Impl::mountBlobsShippedEarlier() {
  auto missing = archiveReader_->missingBlobs();
  if (missing.empty()) return;
  std::map<Digest, std::vector<const PlannedImage*>> neededBy;
  std::set<Digest> missingDigests;
  for (const auto& blob : missing) missingDigests.insert(blob.digest);
  for (const auto& image : report_.plan.images) {
    try {
      auto source = archiveReader_->source(archiveName(image.source));
      auto graph = fetchImageGraph(*source, pullReferenceFor(image.source).manifestReference());
      for (const auto& blob : graph.blobs())
        if (missingDigests.count(blob.digest)) neededBy[blob.digest].push_back(&image);
    } catch (const Error&) {
      // Reported when the image is copied.
    }
  }
  size_t mounted = 0;
  for (const auto& blob : missing) {
    auto it = neededBy.find(blob.digest);
    if (it == neededBy.end()) continue;
    Descriptor descriptor{.digest = blob.digest, .size = blob.size};
    std::optional<std::string> holder;  // a repository that has it
    std::vector<std::shared_ptr<ImageSink>> lacking;
    for (const auto* image : it->second) {
      auto sink = endpoints_.sink(image->destination);
      if (sink->reuseBlob(descriptor, std::nullopt)) {
        if (!holder) holder = sink->mountName();
      } else {
        lacking.push_back(sink);
      }
    }
    for (const auto& sink : lacking)
      if (holder && sink->reuseBlob(descriptor, holder)) ++mounted;
  }
  if (mounted > 0) note(fmt::format("mounted {} blob(s) shipped earlier from other repositories", mounted));
}

// ---------------------------------------------------------------------------
// Copying.

ImageReference MirrorRun::Impl::readFrom(const PlannedImage& image) {
  if (auto it = rebuiltSources_.find(image.source.str()); it != rebuiltSources_.end()) return it->second;
  if (archiveReader_) {
    // The image as the archive holds it, under its own name.
    auto reference = pullReferenceFor(image.source);
    endpoints_.addSource(reference, archiveReader_->source(archiveName(image.source)));
    return reference;
  }
  return readLocation(pullReferenceFor(image.source), options_.sourceMirrors);
}

ImageReference MirrorRun::Impl::writeTo(const PlannedImage& image) {
  if (archiveWriter_) {
    auto reference = image.source;
    endpoints_.addSink(reference, archiveWriter_->imageSink(archiveName(image.source)));
    return reference;
  }
  return image.destination;
}

std::vector<MirroredEntry> MirrorRun::Impl::copyImages(const std::vector<PlannedImage>& images, bool catalogs) {
  std::vector<CopyRequest> requests;
  std::vector<MirroredEntry> done;
  for (const auto& image : images) {
    try {
      requests.push_back({readFrom(image), writeTo(image)});
      done.push_back({image, {}});
    } catch (const Error& e) {
      error(image.kind == ImageKind::Additional ? kExitAdditional : kExitOperator,
            fmt::format("{} {}: {}", kindName(image.kind), image.source.str(), e.what()));
    }
  }
  if (!requests.empty())
    note(fmt::format("copying {} {}", requests.size(), catalogs ? "catalog image(s)" : "image(s)"));
  auto results = copier_.run(requests);
  for (size_t i = 0; i < results.size(); ++i) {
    done[i].result = std::move(results[i]);
    const auto& result = done[i].result;
    for (const auto& warning : result.warnings) warn(fmt::format("{}: {}", done[i].image.source.str(), warning));
    if (result.ok) continue;
    const auto& image = done[i].image;
    int category = image.kind == ImageKind::Additional ? kExitAdditional : kExitOperator;
    std::string who;
    if (!image.neededBy.empty()) {
      std::set<std::string> packages;
      for (const auto& need : image.neededBy) packages.insert(need.second);
      who = fmt::format(" (needed by {})", fmt::join(packages, ", "));
    }
    error(category, fmt::format("{} {}{}: {}", kindName(image.kind), image.source.str(), who, result.error));
  }
  return done;
}

std::set<std::pair<int, std::string>> MirrorRun::Impl::failedOperators(const std::vector<MirroredEntry>& done) {
  std::set<std::pair<int, std::string>> failed;
  for (const auto& entry : done)
    if (!entry.result.ok) failed.insert(entry.image.neededBy.begin(), entry.image.neededBy.end());
  return failed;
}

std::vector<PlannedImage> MirrorRun::Impl::prepareCatalogs(const std::set<std::pair<int, std::string>>& failed) {
  std::vector<PlannedImage> images;
  for (size_t i = 0; i < catalogs_.size(); ++i) {
    auto& work = catalogs_[i];
    if (work.failed) continue;
    PlannedImage image;
    image.kind = ImageKind::Catalog;
    image.source = work.planned.source;
    image.destination = work.planned.destination;
    image.naming = work.planned.naming;
    image.catalog = static_cast<int>(i);
    if (archiveReader_ || !work.planned.rebuilt) {
      // Disk-to-mirror: the archive holds the catalog as rebuilt on the connected side.
      if (archiveReader_) {
        auto name = archiveName(work.planned.source);
        for (const auto& held : archiveReader_->images()) {
          if (held.name != name) continue;
          if ((work.planned.source.tag && held.tag == work.planned.source.tag) ||
              (!work.planned.source.tag && !held.tag)) {
            image.source = work.planned.source;
            image.source.digest = held.digest;
            break;
          }
        }
      }
      if (!work.planned.rebuilt) {
        for (const auto& [catalog, package] : failed)
          if (catalog == static_cast<int>(i))
            warn(fmt::format("catalog {} is mirrored whole (full: true), so it still lists operator {} whose images "
                             "failed",
                             work.planned.name, package));
      }
      images.push_back(std::move(image));
      continue;
    }

    // Rebuild without the operators whose images failed.
    std::set<std::string> dropped;
    for (const auto& [catalog, package] : failed)
      if (catalog == static_cast<int>(i)) dropped.insert(package);
    for (const auto& package : dropped)
      error(kExitOperator, fmt::format("catalog {}: operator {} left out of the mirrored catalog because some of its "
                                       "images failed (see above)",
                                       work.planned.name, package));
    try {
      auto filteredRoot = work.directory / "filtered" / selectionKey(*work.entry);
      std::vector<std::filesystem::path> directories;
      for (size_t v = 0; v < work.filtered.size(); ++v) {
        auto catalog = catalog::withoutPackages(work.filtered[v], dropped);
        auto directory = filteredRoot / fmt::format("variant-{}", v) / "configs";
        std::filesystem::remove_all(directory);
        catalog::writeCatalog(catalog, directory);
        directories.push_back(directory);
      }
      auto layoutDir = filteredRoot / "layout";
      std::filesystem::remove_all(layoutDir);
      auto layout = OciLayout::create(layoutDir);
      auto readRef = readLocation(work.planned.source, options_.sourceMirrors);
      auto original = endpoints_.source(readRef);
      auto rebuilt = catalog::rebuildCatalogImage(*work.image, directories, *original, *layout, {.tag = "rebuilt"});
      for (const auto& warning : rebuilt.warnings) warn(fmt::format("catalog {}: {}", work.planned.name, warning));
      work.planned.rebuiltDigest = rebuilt.top.digest.str();
      report_.plan.catalogs[i].rebuiltDigest = work.planned.rebuiltDigest;
      auto overlayRef = ImageReference::parse("oci:" + layoutDir.string());
      overlayRef.digest = rebuilt.top.digest;
      endpoints_.addSource(overlayRef, std::make_shared<OverlaySource>(layout, original));
      // The rebuilt catalog is read from the overlay; image.source keeps the catalog's name.
      image.source = work.planned.source;
      image.source.digest = rebuilt.top.digest;
      if (root_ && !work.planned.source.tag) {
        auto naming = work.planned.naming;
        naming.maxNestedPaths = options_.maxNestedPaths;
        naming.rebuiltCatalogDigest = rebuilt.top.digest;
        image.destination = destinationFor(work.planned.source, *root_, naming);
        report_.plan.catalogs[i].destination = image.destination;
      }
      rebuiltSources_[image.source.str()] = overlayRef;
      images.push_back(std::move(image));
    } catch (const Error& e) {
      error(kExitOperator, fmt::format("catalog {}: cannot rebuild it: {}", work.planned.name, e.what()));
    }
  }
  return images;
}

void MirrorRun::Impl::writeClusterResourcesFor(const std::vector<MirroredEntry>& done) {
  std::vector<MirroredImage> images;
  std::vector<MirroredCatalog> catalogs;
  auto addImage = [&](const PlannedImage& image) {
    images.push_back({.source = image.source,
                      .destination = image.destination,
                      .category = categoryOf(image.kind),
                      .byDigest = namedByDigestOnly(image.source)});
  };
  if (options_.dryRun) {
    // What a real run would write, but catalogs: their digests are known only once rebuilt.
    for (const auto& image : report_.plan.images) addImage(image);
  }
  for (const auto& entry : done) {
    if (!entry.result.ok) continue;
    if (entry.image.kind != ImageKind::Catalog) {
      addImage(entry.image);
      continue;
    }
    const auto& planned = catalogs_.at(entry.image.catalog).planned;
    MirroredCatalog catalog{.source = planned.source, .destination = entry.image.destination};
    catalog.destination.digest = entry.result.digest;
    if (!planned.catalogSourceTemplate.empty()) catalog.catalogSourceTemplate = planned.catalogSourceTemplate;
    catalogs.push_back(std::move(catalog));
  }
  ClusterResourceOptions options;
  options.forceRepositoryScope = options_.maxNestedPaths > 0;
  options.imageContentSourcePolicy = options_.imageContentSourcePolicy;
  options.catalogSourceByTag = options_.catalogSourceByTag;
  try {
    auto resources = generateClusterResources(images, catalogs, options);
    for (const auto& warning : resources.warnings) warn(warning);
    writeClusterResources(workspace_.clusterResources(), resources);
    report_.clusterResources = workspace_.clusterResources();
  } catch (const Error& e) {
    error(kExitGeneric, fmt::format("cannot write the cluster resources: {}", e.what()));
  }
}

void MirrorRun::Impl::writeErrorLog() {
  if (report_.errors.empty()) return;
  std::filesystem::create_directories(workspace_.logs());
  report_.errorsFile = workspace_.logs() / fmt::format("mirroring_errors_{}.txt", runId_);
  std::string text;
  for (const auto& line : report_.errors) text += line + "\n";
  writeFileAtomically(report_.errorsFile, text);
}

}  // namespace ferry::mirror
