// How content kinds enter a mirror plan: one ImageCollector per kind reads its
// part of the ImageSetConfiguration and adds images (and catalogs) to a
// PlanBuilder, which deduplicates by source and applies blockedImages.
//
//   OperatorCollector         mirror.operators: reads each catalog through the
//                             run's reader, filters it, adds its bundle and
//                             related images, owned by {catalog, package}
//   AdditionalImageCollector  mirror.additionalImages
//   ReleaseCollector          mirror.platform (release_collector.h)
//   HelmCollector             mirror.helm: the images in charts, and the charts
//
// Adding a kind (releases, helm charts) adds a collector to defaultCollectors();
// the run and its other phases do not change.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/catalog/catalog_image.h"
#include "ferry/fbc/fbc.h"
#include "ferry/config/image_set_config.h"
#include "ferry/mirror/plan.h"
#include "ferry/mirror/run_log.h"
#include "ferry/mirror/workflow_ends.h"
#include "ferry/mirror/workspace.h"
#include "ferry/registry/registry_client.h"

namespace ferry::mirror {

// A planned catalog's content, which the finalize phase rebuilds the catalog
// from. The plan says what the catalog was filtered to (PlannedCatalog); this
// is the filtered FBC itself, too large to be part of a plan document, kept
// in memory from planning to finalize.
struct CatalogContent {
  catalog::CatalogImage image;
  std::vector<catalog::Catalog> filtered;  // per variant of image
  std::filesystem::path filteredDirectory; // operator-catalogs/<name>/<digest hex>/filtered/<selection hash>
};

// The planning phase's output: the plan and, per Plan::catalogs entry, its
// content (absent for a plan read from an archive, or a catalog that failed).
struct PlannedRun {
  Plan plan;
  std::vector<std::optional<CatalogContent>> contents;
};

class PlanBuilder {
 public:
  explicit PlanBuilder(const std::vector<config::BlockedImage>& blocked) : blocked_(blocked) {}

  // Adds an image unless blockedImages names it; an image added twice is one
  // image needed by both owners (and an additional image if either is).
  void addImage(PlannedImage image);
  // Adds a catalog; returns its index (PackageOwner::catalog).
  int addCatalog(PlannedCatalog catalog, std::optional<CatalogContent> content);
  PlannedCatalog& catalog(int index) { return run_.plan.catalogs.at(static_cast<size_t>(index)); }
  const std::optional<CatalogContent>& content(int index) const { return run_.contents.at(static_cast<size_t>(index)); }

  PlannedRun take() { return std::move(run_); }

 private:
  const std::vector<config::BlockedImage>& blocked_;
  PlannedRun run_;
  std::map<std::string, size_t> seen_;  // source text → index in plan.images
};

// What collectors read from and report to.
struct PlanningContext {
  const config::ImageSetConfig& config;
  ImageReader& reader;
  Workspace workspace;
  RunLog& log;
};

class ImageCollector {
 public:
  virtual ~ImageCollector() = default;
  // Refuses what this kind cannot do, before anything is read (throws Error naming the line).
  virtual void check(const config::ImageSetConfig&) const {}
  // Adds this kind's images; a failing entry is logged (with its exit bit) and left out.
  virtual void collect(const PlanningContext& context, PlanBuilder& plan) = 0;
};

class OperatorCollector : public ImageCollector {
 public:
  void collect(const PlanningContext& context, PlanBuilder& plan) override;
};

class AdditionalImageCollector : public ImageCollector {
 public:
  void collect(const PlanningContext& context, PlanBuilder& plan) override;
};

// mirror.helm (helm_collector.cc, docs/helm.md): each chart of a repository
// (HTTP index or oci://) or a local folder/.tgz is fetched and verified, its
// images found (static rules, plus `helm template` when helm is there) and
// added as HelmImage with where each was found; the chart itself is added as a
// HelmChart, an OCI chart in the workspace, pushed as <repository name>/<chart>.
struct HelmCollectorOptions {
  RegistryOptions source;            // credentials and TLS for chart repositories, as for source registries
  std::filesystem::path helmBinary;  // --helm; empty: `helm` on PATH, if any
};

class HelmCollector : public ImageCollector {
 public:
  explicit HelmCollector(HelmCollectorOptions options) : options_(std::move(options)) {}
  void check(const config::ImageSetConfig& config) const override;
  void collect(const PlanningContext& context, PlanBuilder& plan) override;

 private:
  HelmCollectorOptions options_;
};

bool isHelmKind(ImageKind kind);
// Disk-to-mirror with -c: keeps the charts the configuration's mirror.helm asks for (by repository or local
// entry, chart name and version; a repository without charts keeps all of its charts) and their images.
void narrowHelmContent(Plan& plan, const config::ImageSetConfig& config, RunLog& log);

// The choice `platforms` (a configuration entry's list) makes for `image`:
// sparse when it is referenced by digest, filtered when by tag; every platform when the list is empty.
PlatformChoice platformChoiceFor(const std::vector<Platform>& platforms, const ImageReference& image);

struct ReleaseOptions;

// Releases, operators, then additional images (an image both need stays an additional image), then Helm charts.
std::vector<std::unique_ptr<ImageCollector>> defaultCollectors();
std::vector<std::unique_ptr<ImageCollector>> defaultCollectors(const ReleaseOptions& releases,
                                                              HelmCollectorOptions helm = {});

// Phase 1 from a configuration: every collector's images, in order.
PlannedRun planFromConfiguration(const PlanningContext& context,
                                 const std::vector<std::unique_ptr<ImageCollector>>& collectors);

// Disk-to-mirror with -c: the recorded plan narrowed to what the configuration
// asks for — the catalogs it lists (by catalog, targetCatalog and targetTag)
// with the images of their packages, the additional images it lists, minus
// what its blockedImages name. A catalog is loaded as the archive holds it
// (filtered on the connected side); packages the configuration names that the
// archived catalog lacks are warned about.
Plan narrowToConfiguration(Plan recorded, const config::ImageSetConfig& config, RunLog& log);

}  // namespace ferry::mirror
