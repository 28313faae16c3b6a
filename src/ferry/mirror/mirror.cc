#include "ferry/mirror/mirror.h"

#include <chrono>

#include <fmt/ranges.h>

#include "ferry/archive/archive_format.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/config/image_set_config.h"
#include "ferry/mirror/collectors.h"
#include "ferry/mirror/mapping_file.h"
#include "ferry/mirror/phases.h"
#include "ferry/mirror/run_record.h"
#include "ferry/mirror/workflow_ends.h"
#include "ferry/mirror/workspace.h"

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

std::filesystem::path workspaceRootFor(const MirrorOptions& options) {
  switch (options.workflow) {
    case Workflow::MirrorToMirror:
      if (options.workspace.empty())
        fail("mirror-to-mirror needs --workspace file://DIR: the folder where ferry keeps the working files "
             "(catalog cache, cluster resources, logs)");
      return options.workspace / "working-dir";
    case Workflow::MirrorToDisk: {
      // An s3:// archive keeps its working files in --workspace (the CLI requires it).
      auto root = (options.workspace.empty() ? options.archiveDirectory : options.workspace) / "working-dir";
      // Shards writing into one folder side by side keep a working folder each (history, mapping, logs).
      if (options.shard && options.workspace.empty())
        root /= shardSeries(options.shard->index, options.shard->count);
      return root;
    }
    case Workflow::DiskToMirror:
      return (options.workspace.empty() ? options.archiveDirectory : options.workspace) / "working-dir";
  }
  return {};
}

Workspace workspaceFor(const MirrorOptions& options) {
  return {.root = workspaceRootFor(options), .cache = options.cacheDirectory};
}

// The one place that looks at the workflow: it picks where images are read and written.
WorkflowEnds chooseWorkflowEnds(const MirrorOptions& options, const config::ImageSetConfig* config,
                                Endpoints& endpoints, const Workspace& workspace, const std::string& runId) {
  WorkflowEnds ends;
  if (options.workflow == Workflow::DiskToMirror) {
    ends.reader = std::make_unique<ArchiveImageReader>(options.archiveDirectory);
  } else {
    ends.reader = std::make_unique<RegistryReader>(endpoints);
  }
  if (options.workflow == Workflow::MirrorToDisk) {
    if (!config) fail("mirror-to-disk needs the ImageSetConfiguration: -c isc.yaml");
    auto writer = std::make_unique<ArchiveImageWriter>(
        ArchiveChoices{.directory = options.archiveDirectory,
                       .partSizeBytes = options.archivePartSizeBytes > 0
                                            ? options.archivePartSizeBytes
                                            : static_cast<int64_t>(config->archiveSizeBytes()),
                       .runId = runId,
                       .configFile = options.configFile,
                       .since = options.since,
                       .refuseOversizedParts = options.strictArchive,
                       .partSeries = options.shard ? shardSeries(options.shard->index, options.shard->count) : ""},
        workspace);
    writer->afterPartRecorded = options.afterArchivePart;
    ends.writer = std::move(writer);
  } else {
    ends.writer = std::make_unique<RegistryWriter>(
        endpoints, DestinationRoot::parse(options.destination),
        ClusterResourceChoices{.maxNestedPaths = options.maxNestedPaths,
                               .imageContentSourcePolicy = options.imageContentSourcePolicy,
                               .catalogSourceByTag = options.catalogSourceByTag},
        workspace);
  }
  return ends;
}

// The images found in Helm charts, each with where it was found: "SOURCE<TAB>DESTINATION<TAB>WHERE; WHERE".
void writeHelmImages(const Plan& plan, const std::filesystem::path& file) {
  std::string text;
  for (const auto& image : plan.images)
    if (image.kind == ImageKind::HelmImage)
      text += fmt::format("{}\t{}\t{}\n", image.source.str(), image.destination.str(), fmt::join(image.foundIn, "; "));
  if (!text.empty()) writeFileAtomically(file, text);
}

// Every planned copy, catalogs last, for the report.
std::vector<MirroredEntry> entriesOf(const Plan& plan, const CopyResults& copied,
                                     const std::vector<CatalogResult>& catalogs) {
  auto resultOf = [](const ImageOutcome& outcome) {
    return CopyResult{.ok = outcome.ok,
                      .alreadyPresent = outcome.alreadyPresent,
                      .digest = outcome.digest,
                      .warnings = outcome.warnings,
                      .error = outcome.error,
                      .platforms = outcome.platforms,
                      .sparse = outcome.sparse};
  };
  std::vector<MirroredEntry> entries;
  // A dry run copies nothing: its entries are the plan's images with empty results.
  for (size_t i = 0; i < plan.images.size(); ++i) {
    if (i >= copied.images.size()) {
      if (copied.images.empty()) entries.push_back({plan.images[i], CopyResult{}, false});
      continue;
    }
    entries.push_back({plan.images[i], resultOf(copied.images[i]), copied.images[i].wholeFallback});
  }
  for (size_t i = 0; i < catalogs.size(); ++i) {
    const auto& planned = plan.catalogs[i];
    if (planned.planningFailed) continue;
    PlannedImage image{.kind = ImageKind::Catalog, .source = planned.source, .destination = catalogs[i].destination,
                       .naming = planned.naming};
    if (catalogs[i].rebuiltDigest) image.source.digest = catalogs[i].rebuiltDigest;
    entries.push_back({std::move(image), resultOf(catalogs[i].copy)});
  }
  return entries;
}

}  // namespace

class MirrorRun::Impl {
 public:
  explicit Impl(MirrorOptions options)
      : options_(std::move(options)),
        endpoints_(options_.endpoints),
        copier_(endpoints_, CopyOptions{.parallel = options_.parallel,
                                        .imageTimeout = options_.imageTimeout,
                                        .attachments = options_.attachments,
                                        .shard = options_.shard,
                                        .blobsMustExist = options_.finalize,
                                        .policy = options_.policy}),
        runId_(newRunId()) {
    log_.onNote = options_.note;
  }

  MirrorReport run();
  const CopyProgress& progress() const { return copier_.progress(); }

 private:
  void writeMapping(const Plan& plan, const CopyResults* copied);
  void writeErrorLog();
  MirrorReport finish(Plan plan, CopyResults copied, std::vector<CatalogResult> catalogs, const ImageWriter& writer);
  MirrorReport runShard(PlannedRun planned, ImageReader& reader, ImageWriter& writer);
  CopyOptions finalizeOptions() const {
    return {.parallel = options_.parallel, .imageTimeout = options_.imageTimeout,
            .attachments = options_.attachments, .blobsMustExist = true, .policy = options_.policy};
  }

  MirrorOptions options_;
  Endpoints endpoints_;
  Copier copier_;
  std::string runId_;
  Workspace workspace_;
  RunLog log_;
  MirrorReport report_;
};

MirrorRun::MirrorRun(MirrorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
MirrorRun::~MirrorRun() = default;
MirrorReport MirrorRun::run() { return impl_->run(); }
const CopyProgress& MirrorRun::progress() const { return impl_->progress(); }

MirrorReport MirrorRun::Impl::run() {
  if (options_.shard && options_.finalize)
    fail(ErrorKind::InvalidInput, "--shard and --finalize go to different steps: the workers run with --shard I/N, "
                                  "the final step with --finalize");
  if (options_.finalize && options_.workflow == Workflow::MirrorToDisk)
    fail(ErrorKind::InvalidInput, "--finalize is the last step of a run split into a registry; the shards of a "
                                  "mirror-to-disk run need none: each writes parts of its own, "
                                  "mirror_shard-I-of-N_NNNNNN.tar (docs/sharding.md)");
  workspace_ = workspaceFor(options_);
  std::filesystem::create_directories(workspace_.root);
  report_.workingDirectory = workspace_.root;
  std::optional<config::ImageSetConfig> config;
  if (!options_.configFile.empty()) {
    config = config::loadImageSetConfig(options_.configFile);
    for (const auto& warning : config->warnings) log_.warn(warning);
  }
  auto [reader, writer] = chooseWorkflowEnds(options_, config ? &*config : nullptr, endpoints_, workspace_, runId_);

  // Phase 1: plan.
  PlannedRun planned;
  if (auto recorded = reader->recordedPlan(workspace_, log_)) {
    planned.plan = config ? narrowToConfiguration(std::move(*recorded), *config, log_) : std::move(*recorded);
  } else if (config) {
    planned = planFromConfiguration(
        {*config, *reader, workspace_, log_},
        defaultCollectors(options_.releases, {.source = options_.endpoints.source, .helmBinary = options_.helmBinary}));
  } else {
    fail("give the ImageSetConfiguration with -c FILE");
  }
  auto& plan = planned.plan;
  if (options_.sparseTagged)
    for (auto& image : plan.images)
      if (!image.platforms.everyPlatform()) image.platforms.sparse = true;
  nameDestinations(plan, *writer);
  writeMapping(plan, nullptr);
  if (options_.dryRun) {
    if (auto missing = reader->missingImages(plan)) writeFileAtomically(workspace_.dryRun() / "missing.txt", *missing);
    writeHelmImages(plan, workspace_.dryRun() / "helm-images.txt");
    writer->finish({plan, {}, {}, /*dryRun=*/true}, log_);
    return finish(std::move(plan), {}, {}, *writer);
  }

  // Phase 2: every image but the catalogs.
  reader->beforeCopy(plan, *writer, log_);
  writer->begin(plan, log_);
  // Into an archive a shard writes its own parts, manifests included: the plain run below, with its share.
  if (options_.shard && options_.workflow != Workflow::MirrorToDisk)
    return runShard(std::move(planned), *reader, *writer);
  auto copied = copyImages(plan, *reader, *writer, copier_, log_, options_.platformPolicy);
  writeMapping(plan, &copied);
  if (options_.finalize && copier_.missingBlobs() > 0) {
    log_.error(kExitGeneric, fmt::format("--finalize: blobs of the run are not all at {}, so nothing was pushed: run "
                                         "the shards that have not finished (--shard I/N), then finalize again",
                                         writer->describe()));
    return finish(std::move(plan), std::move(copied), {}, *writer);
  }
  if (options_.strict && !log_.errors.empty()) {
    log_.error(kExitGeneric, "--strict: stopping before the catalogs are pushed, since images failed");
    return finish(std::move(plan), std::move(copied), {}, *writer);
  }

  // Phase 3: the catalogs, without the operators whose images failed; then the writer's closing work.
  auto catalogs = finalizeCatalogs(plan, planned.contents, copied, *reader, *writer, copier_, log_);
  if (options_.finalize && copier_.missingBlobs() > 0) {
    log_.error(kExitGeneric, fmt::format("--finalize: the catalogs' blobs are not all at {}, so no catalog was pushed "
                                         "and no cluster resource written: run the shards that have not finished, "
                                         "then finalize again",
                                         writer->describe()));
    return finish(std::move(plan), std::move(copied), std::move(catalogs), *writer);
  }
  writer->finish({plan, copied, catalogs}, log_);
  // What reached the registry, for `ferry delete --generate` (run_record.h).
  if (options_.workflow != Workflow::MirrorToDisk) {
    try {
      auto configuration = options_.configFile.empty()
                               ? "archive " + std::filesystem::absolute(options_.archiveDirectory).lexically_normal().string()
                               : std::filesystem::absolute(options_.configFile).lexically_normal().string();
      recordMirroredRun(workspace_, runId_, DestinationRoot::parse(options_.destination).str(), configuration, plan,
                        copied, catalogs);
    } catch (const std::exception& e) {
      log_.warn(fmt::format("cannot record the run in {}: {}; ferry delete --generate will not know its images",
                            recordsDirectory(workspace_).string(), e.what()));
    }
  }
  return finish(std::move(plan), std::move(copied), std::move(catalogs), *writer);
}

// A shard moves its share of the blobs (phases 2 and 3 with a sharded Copier,
// which pushes no manifest), then tries the finalize step: when another share
// is still missing, that attempt pushed nothing and its refusals are not errors
// of this worker: the run is left to the last shard or to --finalize.
MirrorReport MirrorRun::Impl::runShard(PlannedRun planned, ImageReader& reader, ImageWriter& writer) {
  auto& plan = planned.plan;
  const auto shard = options_.shard->str();
  // Shards push no index, so there is nothing to learn about sparse indexes yet: the finalize step does.
  PlatformPolicy noPushes{.sparseIndexes = SparseIndexes::Yes, .fallback = options_.platformPolicy.fallback};
  auto shared = copyImages(plan, reader, writer, copier_, log_, noPushes);
  finalizeCatalogs(plan, planned.contents, shared, reader, writer, copier_, log_);
  const auto& moved = copier_.progress();
  log_.note(fmt::format("shard {}: its share is in: {} blobs ({} sent, {} present already), {} bytes sent", shard,
                        moved.blobsTotal.load(), moved.blobsSent.load(), moved.blobsReused.load(),
                        moved.bytesDone.load()));
  if (!log_.errors.empty()) {
    log_.error(kExitGeneric, fmt::format("shard {}: not finalizing, since some of its images failed", shard));
    return finish(std::move(plan), std::move(shared), {}, writer);
  }

  Copier finalizer(endpoints_, finalizeOptions());
  RunLog attempt{.onNote = log_.onNote};
  auto copied = copyImages(plan, reader, writer, finalizer, attempt, options_.platformPolicy);
  std::vector<CatalogResult> catalogs;
  if (finalizer.missingBlobs() == 0) catalogs = finalizeCatalogs(plan, planned.contents, copied, reader, writer, finalizer, attempt);
  if (finalizer.missingBlobs() > 0) {
    log_.note(fmt::format("shard {}: other shards' blobs are not all at {} yet, so the manifests, tags and cluster "
                          "resources are left to the last shard or to `ferry mirror --finalize`",
                          shard, writer.describe()));
    report_.leftToFinalize = true;
    return finish(std::move(plan), std::move(shared), {}, writer);
  }
  log_.note(fmt::format("shard {}: every shard's blobs are in: finalized the run", shard));
  writer.finish({plan, copied, catalogs}, attempt);
  for (auto& line : attempt.errors) log_.errors.push_back(std::move(line));
  for (auto& line : attempt.warnings) log_.warnings.push_back(std::move(line));
  log_.exitCode |= attempt.exitCode;
  writeMapping(plan, &copied);
  return finish(std::move(plan), std::move(copied), std::move(catalogs), writer);
}

MirrorReport MirrorRun::Impl::finish(Plan plan, CopyResults copied, std::vector<CatalogResult> catalogs,
                                     const ImageWriter& writer) {
  report_.images = entriesOf(plan, copied, catalogs);
  report_.plan = std::move(plan);
  report_.copied = std::move(copied);
  report_.catalogs = std::move(catalogs);
  report_.archiveParts = writer.archiveParts();
  report_.clusterResources = writer.clusterResources();
  report_.nothingNew = writer.nothingNew();
  report_.exitCode = log_.exitCode;
  report_.errors = log_.errors;
  report_.warnings = log_.warnings;
  writeErrorLog();
  return std::move(report_);
}

// After the copy, an image narrowed to a filtered index is mapped to the digest it got at the destination.
void MirrorRun::Impl::writeMapping(const Plan& plan, const CopyResults* copied) {
  std::vector<MappingEntry> mapping;
  for (size_t i = 0; i < plan.images.size(); ++i) {
    const auto& image = plan.images[i];
    auto destination = image.destination;
    if (copied && i < copied->images.size()) {
      const auto& outcome = copied->images[i];
      if (outcome.ok && outcome.digest && !outcome.platforms.empty() && !outcome.sparse &&
          !outcome.wholeFallback && destination.tag && !destination.digest &&
          outcome.digest != image.source.digest)
        destination.digest = outcome.digest;
    }
    mapping.push_back({pullReferenceFor(image.source), destination});
  }
  for (const auto& catalog : plan.catalogs) mapping.push_back({pullReferenceFor(catalog.source), catalog.destination});
  auto directory = options_.dryRun ? workspace_.dryRun() : workspace_.root;
  std::filesystem::create_directories(directory);
  report_.mappingFile = directory / "mapping.txt";
  writeMappingTxt(report_.mappingFile, mapping);
}

void MirrorRun::Impl::writeErrorLog() {
  if (log_.errors.empty()) return;
  std::filesystem::create_directories(workspace_.logs());
  report_.errorsFile = workspace_.logs() / fmt::format("mirroring_errors_{}.txt", runId_);
  std::string text;
  for (const auto& line : log_.errors) text += line + "\n";
  writeFileAtomically(report_.errorsFile, text);
}

}  // namespace ferry::mirror
