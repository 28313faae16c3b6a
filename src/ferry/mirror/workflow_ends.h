// The two ends of a mirror run. The three workflows differ only in these:
//
//                       reader (where images are read)     writer (where they are written)
//   mirror-to-mirror    RegistryReader                     RegistryWriter
//   mirror-to-disk      RegistryReader                     ArchiveImageWriter
//   disk-to-mirror      ArchiveImageReader                 RegistryWriter
//
// RegistryReader reads through Endpoints, so `--source-mirror` applies to it
// (copy/endpoints.h). The phases (phases.h) ask the reader for a source and the
// writer for a destination name and a sink per image and never ask which
// workflow runs; chooseWorkflowEnds() is the one place that does.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/copy/endpoints.h"
#include "ferry/mirror/naming.h"
#include "ferry/mirror/plan.h"
#include "ferry/mirror/run_log.h"
#include "ferry/mirror/workspace.h"
#include "ferry/transport/image_store.h"

namespace ferry {
class ArchiveReader;
class ArchiveWriter;
}  // namespace ferry

namespace ferry::mirror {

class ImageWriter;

class ImageReader {
 public:
  virtual ~ImageReader() = default;
  // Where `image` (named as the plan names it) is read from; the store is
  // asked for the image's own tag or digest.
  virtual std::shared_ptr<ImageSource> open(const ImageReference& image) = 0;
  // The plan the reader carries (an archive's ferry/plan.json, narrowed to the
  // images its loaded parts hold); nullopt: plan from the configuration.
  virtual std::optional<Plan> recordedPlan(const Workspace&, RunLog&) { return std::nullopt; }
  // The catalog as the reader holds it ready to push (an archive: as rebuilt on
  // the connected side); nullopt: the finalize phase builds it from the source.
  virtual std::optional<ImageReference> builtCatalog(const PlannedCatalog&) { return std::nullopt; }
  // Called once before the first copy into `writer`.
  virtual void beforeCopy(const Plan&, ImageWriter&, RunLog&) {}
  // Dry run: the images the reader cannot find, "reference<TAB>why" per line; nullopt when not checked.
  virtual std::optional<std::string> missingImages(const Plan&) { return std::nullopt; }
  // False when an image planned with some platforms holds only those (an archive), so it cannot be copied whole.
  virtual bool holdsEveryPlatform() const { return true; }
};

// What the finalize phase knows at the end, for the writer's own closing work.
struct FinishedRun {
  const Plan& plan;
  const CopyResults& copied;
  const std::vector<CatalogResult>& catalogs;
  bool dryRun = false;
};

class ImageWriter {
 public:
  virtual ~ImageWriter() = default;
  // The destination of a planned image.
  virtual ImageReference destinationOf(const PlannedImage& image) = 0;
  // The destination of a planned catalog whose pushed image has `digest` (the
  // source digest until it is rebuilt; unknown in a failed plan).
  virtual ImageReference destinationOfCatalog(const PlannedCatalog& catalog, const std::optional<Digest>& digest) = 0;
  virtual std::shared_ptr<ImageSink> open(const ImageReference& destination) = 0;
  // Called once before the first copy.
  virtual void begin(const Plan&, RunLog&) {}
  // Called once after the last copy (and on a dry run, with empty results):
  // the cluster resources of a registry, the last part and history of an archive.
  virtual void finish(const FinishedRun& run, RunLog& log) = 0;
  // What the report lists for the user.
  virtual std::vector<std::string> archiveParts() const { return {}; }
  virtual std::filesystem::path clusterResources() const { return {}; }
  // The run found nothing new to write (an archive: no part).
  virtual bool nothingNew() const { return false; }
  // Sparse indexes are always accepted (an archive is an OCI layout); false: a registry, which may refuse them.
  virtual bool takesSparseIndexes() const { return false; }
  // Where refusals come from, for messages ("registry HOST").
  virtual std::string describe() const { return "the destination"; }
};

// Reads from registries (source mirrors applied by the Endpoints).
class RegistryReader : public ImageReader {
 public:
  explicit RegistryReader(Endpoints& endpoints) : endpoints_(endpoints) {}
  std::shared_ptr<ImageSource> open(const ImageReference& image) override { return endpoints_.source(image); }
  std::optional<std::string> missingImages(const Plan& plan) override;

 private:
  Endpoints& endpoints_;
};

// Reads an archive written by mirror-to-disk.
class ArchiveImageReader : public ImageReader {
 public:
  explicit ArchiveImageReader(const std::filesystem::path& archive);
  std::shared_ptr<ImageSource> open(const ImageReference& image) override;
  std::optional<Plan> recordedPlan(const Workspace& workspace, RunLog& log) override;
  std::optional<ImageReference> builtCatalog(const PlannedCatalog& catalog) override;
  void beforeCopy(const Plan& plan, ImageWriter& writer, RunLog& log) override;
  bool holdsEveryPlatform() const override { return false; }

 private:
  std::filesystem::path path_;
  std::shared_ptr<ArchiveReader> archive_;
};

struct ClusterResourceChoices {
  int maxNestedPaths = 0;
  bool imageContentSourcePolicy = false;
  bool catalogSourceByTag = false;
};

// Writes into a registry under a destination root, and the cluster resources that point at it.
class RegistryWriter : public ImageWriter {
 public:
  RegistryWriter(Endpoints& endpoints, DestinationRoot root, ClusterResourceChoices choices, Workspace workspace)
      : endpoints_(endpoints), root_(std::move(root)), choices_(choices), workspace_(std::move(workspace)) {}
  ImageReference destinationOf(const PlannedImage& image) override;
  ImageReference destinationOfCatalog(const PlannedCatalog& catalog, const std::optional<Digest>& digest) override;
  std::shared_ptr<ImageSink> open(const ImageReference& destination) override { return endpoints_.sink(destination); }
  void finish(const FinishedRun& run, RunLog& log) override;
  std::filesystem::path clusterResources() const override { return written_; }
  std::string describe() const override;

 private:
  Endpoints& endpoints_;
  DestinationRoot root_;
  ClusterResourceChoices choices_;
  Workspace workspace_;
  std::filesystem::path written_;
};

struct ArchiveChoices {
  std::filesystem::path directory;
  int64_t partSizeBytes = 0;
  std::string runId;
  std::filesystem::path configFile;  // carried as ferry/imageset-config.yaml
  std::string since;                 // --since: history counts only runs before that day
  bool refuseOversizedParts = false; // --strict-archive
  std::string partSeries;            // --shard I/N: "shard-I-of-N" (archive_format.h)
};

// Writes archive parts, and records in the workspace history what each
// finished part holds (as the part is complete, so an interrupted run keeps
// what its finished parts carry; history.h).
class ArchiveImageWriter : public ImageWriter {
 public:
  ArchiveImageWriter(ArchiveChoices choices, Workspace workspace);
  ~ArchiveImageWriter() override;
  ImageReference destinationOf(const PlannedImage& image) override;
  ImageReference destinationOfCatalog(const PlannedCatalog& catalog, const std::optional<Digest>& digest) override;
  std::shared_ptr<ImageSink> open(const ImageReference& destination) override;
  void begin(const Plan& plan, RunLog& log) override;
  void finish(const FinishedRun& run, RunLog& log) override;
  std::vector<std::string> archiveParts() const override { return parts_; }
  bool nothingNew() const override { return finished_ && parts_.empty(); }
  bool takesSparseIndexes() const override { return true; }

  // Tests: called after each finished part is recorded in the history.
  std::function<void(const std::string& part)> afterPartRecorded;

 private:
  ArchiveChoices choices_;
  Workspace workspace_;
  std::unique_ptr<ArchiveWriter> archive_;
  std::vector<std::string> parts_;
  bool finished_ = false;
};

struct WorkflowEnds {
  std::unique_ptr<ImageReader> reader;
  std::unique_ptr<ImageWriter> writer;
};

}  // namespace ferry::mirror
