#include "ferry/mirror/workflow_ends.h"

#include <map>
#include <set>

#include <yaml-cpp/yaml.h>

#include "ferry/archive/archive_reader.h"
#include "ferry/archive/archive_writer.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/transport/image_graph.h"
#include "ferry/mirror/cluster_resources.h"
#include "ferry/mirror/history.h"
#include "ferry/mirror/release_collector.h"

namespace ferry::mirror {
namespace {

ImageCategory categoryOf(ImageKind kind) {
  switch (kind) {
    case ImageKind::Catalog: return ImageCategory::Catalog;
    case ImageKind::Bundle:
    case ImageKind::RelatedImage: return ImageCategory::Operator;
    case ImageKind::Additional:
    case ImageKind::HelmChart:
    case ImageKind::HelmImage: return ImageCategory::Generic;
    case ImageKind::Release:
    case ImageKind::ReleaseComponent:
    case ImageKind::GraphImage: return ImageCategory::Release;
  }
  return ImageCategory::Generic;
}

// cluster-resources/ferry-helm-charts.yaml: where each Helm chart went, and how to install it from there.
void writeHelmChartList(const FinishedRun& run, const std::filesystem::path& file) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "apiVersion" << YAML::Value << "ferry.mirror/v1alpha1" << YAML::Key << "kind"
      << YAML::Value << "HelmChartMirrors" << YAML::Key << "charts" << YAML::Value << YAML::BeginSeq;
  size_t count = 0;
  for (size_t i = 0; i < run.plan.images.size(); ++i) {
    const auto& image = run.plan.images[i];
    if (image.kind != ImageKind::HelmChart || image.foundIn.size() < 3) continue;
    bool pushed = run.dryRun || (i < run.copied.images.size() && run.copied.images[i].ok);
    if (!pushed) continue;
    auto repository = "oci://" + image.destination.registry + "/" + image.destination.repository;
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << image.foundIn[0] << YAML::Key << "version"
        << YAML::Value << image.foundIn[1] << YAML::Key << "source" << YAML::Value << image.foundIn[2] << YAML::Key
        << "repository" << YAML::Value << repository << YAML::Key << "tag" << YAML::Value
        << image.destination.tag.value_or("");
    if (i < run.copied.images.size() && run.copied.images[i].digest)
      out << YAML::Key << "digest" << YAML::Value << run.copied.images[i].digest->str();
    out << YAML::Key << "install" << YAML::Value
        << fmt::format("helm install {} {} --version {}", image.foundIn[0], repository, image.foundIn[1])
        << YAML::EndMap;
    ++count;
  }
  out << YAML::EndSeq << YAML::EndMap;
  if (count > 0) writeFileAtomically(file, std::string(out.c_str()) + "\n");
}

// A release payload's signature as an archive carries it (ferry/release-signature-sha256-<hex>-<n>).
std::string signatureArchiveFile(const Digest& payload, int n) {
  return fmt::format("release-signature-sha256-{}-{}", payload.hex(), n);
}

// cluster-resources/updateService.yaml when the run pushed a graph image (graph: true); any older one removed.
void writeUpdateServiceFor(const FinishedRun& run, const Workspace& workspace, RunLog& log) {
  std::error_code ignored;
  std::filesystem::remove(workspace.clusterResources() / "updateService.yaml", ignored);
  const PlannedImage* graph = nullptr;
  std::string releases;
  for (size_t i = 0; i < run.plan.images.size(); ++i) {
    const auto& image = run.plan.images[i];
    bool pushed = run.dryRun || (i < run.copied.images.size() && run.copied.images[i].ok);
    if (!pushed) continue;
    if (image.kind == ImageKind::GraphImage) graph = &image;
    if (image.kind == ImageKind::Release && releases.empty())
      releases = image.destination.registry + "/" + image.destination.repository;
  }
  if (!graph) return;
  auto destination = graph->destination;
  destination.digest = graph->source.digest;  // pushed digest for digest
  if (releases.empty()) {
    // No release pushed this run: where they go (openshift/release-images beside openshift/graph-image).
    releases = destination.registry + "/" + destination.repository;
    if (auto at = releases.rfind("graph-image"); at != std::string::npos) releases.replace(at, 11, "release-images");
  }
  writeUpdateService(workspace, destination, releases);
  log.note(fmt::format("cluster-resources/updateService.yaml: the UpdateService for {} with graphDataImage {}", releases,
                       destination.str()));
}

std::string catalogSourceTemplateFile(size_t catalog) {
  return fmt::format("catalog-source-template-{}.yaml", catalog);
}

}  // namespace

// ---------------------------------------------------------------------------
// Readers.

std::optional<std::string> RegistryReader::missingImages(const Plan& plan) {
  std::string missing;
  for (const auto& image : plan.images) {
    auto pull = pullReferenceFor(image.source);
    try {
      endpoints_.source(pull)->getManifest(pull.manifestReference());
    } catch (const Error& e) {
      missing += fmt::format("{}\t{}\n", pull.str(), e.what());
    }
  }
  return missing;
}

ArchiveImageReader::ArchiveImageReader(const std::filesystem::path& archive)
    // Every member of every part is hashed against its ferry/checksums.sha256
    // before anything is planned, so a damaged part pushes nothing.
    : path_(archive), archive_(ArchiveReader::openVerified(archive)) {}

std::shared_ptr<ImageSource> ArchiveImageReader::open(const ImageReference& image) {
  // The image as the archive holds it, under its own name.
  return archive_->source(archiveName(image));
}

std::optional<Plan> ArchiveImageReader::recordedPlan(const Workspace& workspace, RunLog& log) {
  log.note(fmt::format("checking {} archive part(s) in {}", archive_->partFiles().size(), path_.string()));
  // The parts' checksums were checked on opening; every blob and manifest is
  // verified against its digest again as the copy engine streams it out.
  auto planText = archive_->file("plan.json");
  if (!planText)
    fail("{} holds no ferry/plan.json: it was not written by `ferry mirror` (load plain OCI layouts with ferry copy)",
         path_.string());
  auto full = planFromJson(*planText, path_.string() + " ferry/plan.json");

  // Only what the loaded parts hold is mirrored (parts can be loaded one by one).
  std::set<std::string> held;
  for (const auto& image : archive_->images()) held.insert(image.reference);
  Plan plan;
  plan.catalogs = std::move(full.catalogs);
  plan.blocked = std::move(full.blocked);
  for (auto& image : full.images)
    if (held.count(archiveReference(image.source))) plan.images.push_back(std::move(image));
  // Release signatures the archive carries, for the cluster resources of this side.
  for (const auto& image : plan.images) {
    if (image.kind != ImageKind::Release || !image.source.digest) continue;
    for (int n = 1; n <= 9; ++n) {
      auto bytes = archive_->file(signatureArchiveFile(*image.source.digest, n));
      if (!bytes) break;
      std::filesystem::create_directories(signatureFile(workspace, *image.source.digest, n).parent_path());
      writeFileAtomically(signatureFile(workspace, *image.source.digest, n), *bytes);
    }
  }
  for (size_t i = 0; i < plan.catalogs.size(); ++i) {
    auto& catalog = plan.catalogs[i];
    if (auto text = archive_->file(catalogSourceTemplateFile(i))) {
      auto path = workspace.root / catalogSourceTemplateFile(i);
      writeFileAtomically(path, *text);
      catalog.catalogSourceTemplate = path.string();
    } else {
      catalog.catalogSourceTemplate.clear();
    }
  }

  // Blobs the parts reference but do not carry must be at the destination
  // already (shipped by an earlier archive); say exactly which are not.
  auto missing = archive_->missingBlobs();
  if (!missing.empty())
    log.note(fmt::format("{} blob(s) are not in these parts (shipped earlier); they must be at the destination",
                         missing.size()));
  return plan;
}

std::optional<ImageReference> ArchiveImageReader::builtCatalog(const PlannedCatalog& catalog) {
  auto name = archiveName(catalog.source);
  auto reference = catalog.source;
  reference.digest.reset();
  if (!catalog.archiveTag.empty()) {
    reference.tag = catalog.archiveTag;
    return reference;
  }
  // Listed by digest: the one image of that name without a tag.
  for (const auto& held : archive_->images()) {
    if (held.name != name || held.tag) continue;
    reference.tag.reset();
    reference.digest = held.digest;
    return reference;
  }
  reference.tag.reset();
  reference.digest = catalog.sourceDigest;  // not in these parts: the copy says so
  return reference;
}

// An archive part does not carry blobs an earlier run shipped: they must be
// at the destination already. A blob at the image's own repository is found by
// the copy engine; one that an earlier run pushed only to another repository
// (an image in another repository shares a layer) is mounted here from a
// repository of this plan that needs it too. What is still missing fails its
// image in the copy, with the part and run that carried the blob.
void ArchiveImageReader::beforeCopy(const Plan& plan, ImageWriter& writer, RunLog& log) {
  auto missing = archive_->missingBlobs();
  if (missing.empty()) return;
  std::map<Digest, std::vector<const PlannedImage*>> neededBy;
  std::set<Digest> missingDigests;
  for (const auto& blob : missing) missingDigests.insert(blob.digest);
  for (const auto& image : plan.images) {
    try {
      auto source = open(image.source);
      // A sparse index lists children the archive does not carry: they need nothing.
      auto graph = fetchImageGraph(*source, source->getManifest(pullReferenceFor(image.source).manifestReference()),
                                   [this](const Manifest& parent, size_t index) {
                                     return !archive_->blobSize(parent.manifests[index].digest).has_value();
                                   });
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
      auto sink = writer.open(image->destination);
      if (sink->reuseBlob(descriptor, std::nullopt)) {
        if (!holder) holder = sink->mountName();
      } else {
        lacking.push_back(sink);
      }
    }
    for (const auto& sink : lacking)
      if (holder && sink->reuseBlob(descriptor, holder)) ++mounted;
  }
  if (mounted > 0) log.note(fmt::format("mounted {} blob(s) shipped earlier from other repositories", mounted));
}

// ---------------------------------------------------------------------------
// Writers.

std::string RegistryWriter::describe() const { return "registry " + root_.registry; }

ImageReference RegistryWriter::destinationOf(const PlannedImage& image) {
  auto naming = image.naming;
  naming.maxNestedPaths = choices_.maxNestedPaths;
  return destinationFor(image.source, root_, naming);
}

ImageReference RegistryWriter::destinationOfCatalog(const PlannedCatalog& catalog, const std::optional<Digest>& digest) {
  auto naming = catalog.naming;
  naming.maxNestedPaths = choices_.maxNestedPaths;
  naming.isCatalog = true;
  // A digest-only catalog is tagged with the digest pushed.
  naming.rebuiltCatalogDigest = digest;
  return destinationFor(catalog.source, root_, naming);
}

void RegistryWriter::finish(const FinishedRun& run, RunLog& log) {
  std::vector<MirroredImage> images;
  std::vector<MirroredCatalog> catalogs;
  for (size_t i = 0; i < run.plan.images.size(); ++i) {
    const auto& image = run.plan.images[i];
    // A dry run lists what a real run would write, but catalogs: their digests are known only once rebuilt.
    bool pushed = run.dryRun || (i < run.copied.images.size() && run.copied.images[i].ok);
    // A chart is pulled by helm, not by the cluster's runtime: it has no place in the mirror sets (ferry-helm-charts.yaml lists it).
    // Nor is the graph image (the UpdateService names it at the mirror).
    if (!pushed || image.kind == ImageKind::HelmChart || image.kind == ImageKind::GraphImage) continue;
    images.push_back({.source = image.source,
                      .destination = image.destination,
                      .category = categoryOf(image.kind),
                      .byDigest = namedByDigestOnly(image.source) ||
                                  // release sources carry the tag ferry gives them; clusters pull by digest
                                  categoryOf(image.kind) == ImageCategory::Release});
  }
  for (size_t i = 0; i < run.catalogs.size() && i < run.plan.catalogs.size(); ++i) {
    const auto& result = run.catalogs[i];
    if (!result.copy.ok) continue;
    const auto& planned = run.plan.catalogs[i];
    MirroredCatalog catalog{.source = planned.source, .destination = result.destination};
    catalog.destination.digest = result.copy.digest;
    if (!planned.catalogSourceTemplate.empty()) catalog.catalogSourceTemplate = planned.catalogSourceTemplate;
    catalogs.push_back(std::move(catalog));
  }
  ClusterResourceOptions options;
  options.forceRepositoryScope = choices_.maxNestedPaths > 0;
  options.imageContentSourcePolicy = choices_.imageContentSourcePolicy;
  options.catalogSourceByTag = choices_.catalogSourceByTag;
  try {
    auto resources = generateClusterResources(images, catalogs, options);
    for (const auto& warning : resources.warnings) log.warn(warning);
    writeClusterResources(workspace_.clusterResources(), resources);
    writeHelmChartList(run, workspace_.clusterResources() / "ferry-helm-charts.yaml");
    written_ = workspace_.clusterResources();
    std::vector<Digest> payloads;
    for (size_t i = 0; i < run.plan.images.size(); ++i) {
      const auto& image = run.plan.images[i];
      bool pushed = run.dryRun || (i < run.copied.images.size() && run.copied.images[i].ok);
      if (pushed && image.kind == ImageKind::Release && image.source.digest) payloads.push_back(*image.source.digest);
    }
    if (auto count = writeSignatureConfigMap(workspace_, payloads); count > 0)
      log.note(fmt::format("cluster-resources/signature-configmap.yaml: {} release signature(s)", count));
    writeUpdateServiceFor(run, workspace_, log);
  } catch (const Error& e) {
    log.error(kExitGeneric, fmt::format("cannot write the cluster resources: {}", e.what()));
  }
}

ArchiveImageWriter::ArchiveImageWriter(ArchiveChoices choices, Workspace workspace)
    : choices_(std::move(choices)), workspace_(std::move(workspace)) {}

ArchiveImageWriter::~ArchiveImageWriter() = default;

ImageReference ArchiveImageWriter::destinationOf(const PlannedImage& image) { return image.source; }

ImageReference ArchiveImageWriter::destinationOfCatalog(const PlannedCatalog& catalog,
                                                        const std::optional<Digest>& digest) {
  auto reference = catalog.source;
  reference.tag = catalog.archiveTag.empty() ? std::nullopt : std::optional(catalog.archiveTag);
  reference.digest = digest;
  return reference;
}

std::shared_ptr<ImageSink> ArchiveImageWriter::open(const ImageReference& destination) {
  if (!archive_) fail("the archive in '{}' is not open yet", choices_.directory.string());
  return archive_->imageSink(archiveName(destination));
}

void ArchiveImageWriter::begin(const Plan& plan, RunLog&) {
  // Run ids are made to the second: a run started in the same second as an
  // interrupted one must not replace that run's history.
  auto base = choices_.runId;
  for (int n = 2; std::filesystem::exists(workspace_.history() / (choices_.runId + ".tsv")); ++n)
    choices_.runId = fmt::format("{}-{}", base, n);
  auto history = History::load(workspace_.history(), choices_.since);
  std::map<Digest, std::string> shipped;
  for (const auto& [digest, where] : history.shipped()) shipped.emplace(Digest::parse(digest), where.where);
  archive_ = std::make_unique<ArchiveWriter>(choices_.directory, choices_.partSizeBytes, choices_.runId,
                                             std::move(shipped), choices_.partSeries);
  if (choices_.refuseOversizedParts) archive_->refuseOversizedParts();
  std::map<std::string, Digest> images;
  for (const auto& [reference, digest] : history.images()) images.emplace(reference, Digest::parse(digest));
  archive_->setShippedImages(std::move(images));
  archive_->addFile("plan.json", planToJson(plan, choices_.runId));
  archive_->addFile("imageset-config.yaml", readFile(choices_.configFile));
  // The update graph answers releases were resolved from (disk-to-mirror does not need them; they record why).
  if (std::filesystem::is_directory(workspace_.graphData()))
    for (const auto& entry : std::filesystem::directory_iterator(workspace_.graphData()))
      if (entry.is_regular_file() && entry.path().extension() == ".json")
        archive_->addFile("release-graph-" + entry.path().filename().string(), readFile(entry.path()));
  for (const auto& image : plan.images) {
    if (image.kind != ImageKind::Release || !image.source.digest) continue;
    auto files = savedSignatures(workspace_, *image.source.digest);
    for (size_t n = 0; n < files.size(); ++n)
      archive_->addFile(signatureArchiveFile(*image.source.digest, static_cast<int>(n + 1)), readFile(files[n]));
  }
  for (size_t i = 0; i < plan.catalogs.size(); ++i) {
    const auto& path = plan.catalogs[i].catalogSourceTemplate;
    if (!path.empty()) archive_->addFile(catalogSourceTemplateFile(i), readFile(path));
  }
  // History keeps every blob a finished part carries, whether its images all
  // succeeded or not: the bytes are in the archive either way. The run's file
  // is rewritten as each part completes, so an interrupted run keeps what its
  // finished parts hold.
  auto blobs = std::make_shared<std::map<std::string, std::pair<int64_t, std::string>>>();
  auto listed = std::make_shared<std::vector<History::ShippedImage>>();
  archive_->onPartFinished([this, blobs, listed](const std::string& part, const PartInfo& info) {
    for (const auto& blob : info.blobs) (*blobs)[blob.digest.str()] = {blob.size, part};
    for (const auto& image : info.images) listed->push_back({image.reference(), image.digest.str(), part});
    History::record(workspace_.history(), choices_.runId, *blobs, *listed);
    if (afterPartRecorded) afterPartRecorded(part);
  });
}

void ArchiveImageWriter::finish(const FinishedRun& run, RunLog&) {
  if (run.dryRun || !archive_) return;
  archive_->finish();
  parts_ = archive_->partFiles();
  finished_ = true;
}

}  // namespace ferry::mirror
