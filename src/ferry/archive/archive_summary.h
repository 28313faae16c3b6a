// What `ferry describe` reports about an archive: its parts, the images in
// it with the size of their blobs, and the blobs it needs but does not carry
// (shipped by another part or an earlier run), with where they were.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ferry/archive/archive_reader.h"

namespace ferry {

struct ArchivePartSummary {
  std::string file;     // "mirror_000001.tar"
  int64_t bytes = 0;    // of the part file
  std::string runId;
  std::string created;  // RFC 3339 UTC
  int64_t blobCount = 0;
  int64_t blobBytes = 0;
  int64_t imageCount = 0;
};

struct ArchiveImageSummary {
  std::string reference;  // "registry.example/ns/repo:tag" or "…@sha256:…"
  Digest digest;
  std::string mediaType;
  std::string part;
  int64_t blobBytes = 0;    // distinct configs and layers under the image, wherever they are
  int64_t missingBlobs = 0; // of those, how many the loaded parts do not carry
  std::vector<std::string> platforms;        // the platforms whose image the archive carries
  std::vector<std::string> absentPlatforms;  // platforms its index lists without the image (a sparse index)
};

struct ArchiveSummary {
  std::filesystem::path path;
  std::vector<ArchivePartSummary> parts;
  int64_t bytes = 0;  // all part files
  std::vector<std::string> runIds;  // distinct, in part order
  std::vector<ArchiveImageSummary> images;
  int64_t blobCount = 0;  // distinct blobs carried (manifests included)
  int64_t blobBytes = 0;
  std::vector<MissingBlob> missing;
};

// Summarises an opened archive (verify it first: ArchiveReader::openVerified).
ArchiveSummary describeArchive(ArchiveReader& archive);
// Opens the archive (a directory or one part), verifies it (ArchiveCheck::Full) and summarises it.
ArchiveSummary describeArchive(const std::filesystem::path& path);

}  // namespace ferry
