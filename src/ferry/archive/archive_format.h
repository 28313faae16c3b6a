// What an archive part is made of, shared by the writer, the reader and
// `ferry describe`. docs/archive-format.md describes the format for users.
//
// An archive is a directory of parts mirror_000001.tar, mirror_000002.tar, …
// (a shard of a split run writes mirror_shard-I-of-N_000001.tar, …)
// Each part is a plain tar that is an OCI image layout at its root (oci-layout,
// index.json, blobs/<algorithm>/<hex>) plus a ferry/ folder:
//   ferry/part.json          this file's PartInfo: run, part number, the blobs
//                            carried, the images whose root manifests it holds,
//                            and the blobs its images need but that it does
//                            not carry, with the part or run that shipped them;
//   ferry/checksums.sha256   `sha256sum -c` lines for every other member;
//   ferry/<name>             files the caller adds (configuration, plan).
//   ferry/discarded/HEX.N    the room of a blob whose transfer failed while
//                            later members were written: zeros, ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/digest/digest.h"

namespace ferry {

inline constexpr int kArchiveFormatVersion = 1;
inline constexpr std::string_view kPartInfoMember = "ferry/part.json";
inline constexpr std::string_view kChecksumsMember = "ferry/checksums.sha256";

// A part's file name: "mirror_000001.tar", or "mirror_shard-1-of-3_000001.tar"
// for the parts of one shard of a split run (docs/sharding.md), numbered per series.
struct PartFileName {
  std::string series;  // "" or "shard-I-of-N"
  int number = 0;
  std::string str() const;
  auto operator<=>(const PartFileName&) const = default;
};

// "mirror_000001.tar" for part 1 (of `series`, when given).
std::string partFileName(int number, std::string_view series = {});
// The series and number of a part file name, or nullopt for any other name.
std::optional<PartFileName> parsePartFileName(std::string_view fileName);
// "shard-I-of-N": the series of shard I (0-based) of N.
std::string shardSeries(int index, int count);

// "run 2026-11-29T10:00:00Z, mirror_000002.tar": where a blob was shipped, as
// part.json records it and as the caller's history keeps it.
std::string shippedIn(std::string_view runId, std::string_view partFile);

// "blobs/sha256/<hex>": the member that holds a blob.
std::string blobMember(const Digest& digest);

// The current time as RFC 3339 UTC ("2026-11-29T10:00:00Z").
std::string utcNow();

struct CarriedBlob {
  Digest digest;
  int64_t size = 0;
};

// An image whose root manifest (or index) the part holds and lists in index.json.
struct PartImage {
  std::string name;                // as given to ArchiveWriter::imageSink, e.g. "registry.example/ns/repo"
  std::optional<std::string> tag;  // absent for images named by digest
  Digest digest;
  std::string mediaType;
  // index.json's org.opencontainers.image.ref.name: "name:tag" or "name@digest".
  std::string reference() const;
};

// A blob the part's images need that the part does not carry.
struct NotCarriedBlob {
  Digest digest;
  int64_t size = 0;
  std::string shippedIn;  // see shippedIn()
};

struct PartInfo {
  int formatVersion = kArchiveFormatVersion;
  std::string runId;
  int part = 0;
  std::string created;  // RFC 3339 UTC
  std::vector<CarriedBlob> blobs;  // every blobs/ member: manifests, configs and layers
  std::vector<PartImage> images;
  std::vector<NotCarriedBlob> notCarried;

  std::string toJson() const;
  // Throws Error naming `where` (the part file) when the document is malformed
  // or was written by a newer format.
  static PartInfo parse(std::string_view json, const std::string& where);
};

}  // namespace ferry
