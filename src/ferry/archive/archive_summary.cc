#include "ferry/archive/archive_summary.h"

#include <algorithm>
#include <functional>
#include <set>

#include "ferry/base/error.h"
#include "ferry/transport/image_graph.h"

namespace ferry {
namespace {

// Adds up the configs and layers under an image, walking its manifests as the archive holds them.
// A child an index lists but the archive lacks (a sparse index: only some platforms carried) is not walked.
void sumBlobs(ArchiveReader& archive, const std::string& name, const Digest& digest, std::set<Digest>& seen,
              ArchiveImageSummary& summary, bool top) {
  auto raw = archive.manifest(name, digest.str());
  auto manifest = Manifest::parse(raw.bytes, raw.mediaType);
  if (top && !manifest.isIndex && manifest.config) {
    try {
      auto config = ImageConfig::parse(readSmallBlob(*archive.source(name), *manifest.config));
      if (config.platform.isReal()) summary.platforms.push_back(config.platform.str());
    } catch (const Error&) {
      // A config the archive does not carry (shipped earlier): no platform to report.
    }
  }
  for (const auto& child : manifest.manifests) {
    bool present = archive.blobSize(child.digest).has_value();
    if (child.platform && child.platform->isReal()) {
      auto& list = present ? summary.platforms : summary.absentPlatforms;
      if (std::find(list.begin(), list.end(), child.platform->str()) == list.end()) list.push_back(child.platform->str());
    }
    if (!present) continue;
    if (seen.insert(child.digest).second) sumBlobs(archive, name, child.digest, seen, summary, false);
  }
  for (const auto& blob : manifest.blobs()) {
    if (!seen.insert(blob.digest).second) continue;
    summary.blobBytes += blob.size;
    if (!archive.blobSize(blob.digest)) ++summary.missingBlobs;
  }
}

}  // namespace

ArchiveSummary describeArchive(const std::filesystem::path& path) {
  return describeArchive(*ArchiveReader::openVerified(path));
}

ArchiveSummary describeArchive(ArchiveReader& reader) {
  auto archive = reader.shared_from_this();
  ArchiveSummary summary;
  summary.path = archive->path();

  auto files = archive->partFiles();
  auto infos = archive->partInfos();
  auto sizes = archive->partSizes();
  for (size_t i = 0; i < files.size(); ++i) {
    ArchivePartSummary part{.file = files[i], .bytes = sizes[i], .runId = infos[i].runId, .created = infos[i].created};
    part.blobCount = static_cast<int64_t>(infos[i].blobs.size());
    for (const auto& blob : infos[i].blobs) part.blobBytes += blob.size;
    part.imageCount = static_cast<int64_t>(infos[i].images.size());
    summary.bytes += part.bytes;
    if (std::find(summary.runIds.begin(), summary.runIds.end(), part.runId) == summary.runIds.end())
      summary.runIds.push_back(part.runId);
    summary.parts.push_back(std::move(part));
  }

  for (const auto& image : archive->images()) {
    ArchiveImageSummary entry{.reference = image.reference, .digest = image.digest, .mediaType = image.mediaType,
                              .part = image.part};
    std::set<Digest> seen{image.digest};
    sumBlobs(*archive, image.name, image.digest, seen, entry, true);
    summary.images.push_back(std::move(entry));
  }

  for (const auto& [digest, size] : archive->carriedBlobs()) {
    ++summary.blobCount;
    summary.blobBytes += size;
  }
  summary.missing = archive->missingBlobs();
  return summary;
}

}  // namespace ferry
