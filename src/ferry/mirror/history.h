// What earlier mirror-to-disk runs shipped, so the next archive carries only
// new blobs — without sequence numbers.
//
// Each completed run adds one file, <working-dir>/history/<run id>.tsv, with a
// line per blob it wrote into an archive (`blob DIGEST SIZE PART`) and per
// image it listed (`image REFERENCE DIGEST PART`, the reference as the archive
// names it). The next run leaves out both: blobs already shipped, and images
// whose reference still names the same digest. A run's file is rewritten as
// each of its parts is complete (renamed from .partial), so an interrupted run
// keeps what its finished parts carry and the next run ships only the rest. Runs can be
// carried and loaded in any order: disk-to-mirror checks the destination for
// every blob an archive does not carry, and the history says where each was.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ferry::mirror {

struct ShippedBlob {
  int64_t size = 0;
  std::string where;  // "run 2026-11-29T10:00:00Z, mirror_000002.tar"
};

class History {
 public:
  // Reads every run file in `directory` (absent: empty history). With `since`
  // (YYYY-MM-DD, --since), only the runs made before that day (UTC) count, so
  // the next archive carries again what later runs shipped.
  static History load(const std::filesystem::path& directory, const std::string& since = {});
  // Checks a --since value: YYYY-MM-DD; throws Error otherwise.
  static void checkSince(const std::string& since);

  // Digest string → where it was shipped.
  const std::map<std::string, ShippedBlob>& shipped() const { return shipped_; }
  // Archive reference ("quay.io/org/app:v1", "quay.io/org/app@sha256:…") → digest string, latest run last.
  const std::map<std::string, std::string>& images() const { return images_; }
  size_t runs() const { return runs_; }

  struct ShippedImage {
    std::string reference;
    std::string digest;
    std::string part;
  };
  // Records a completed run: blob digest → (size, part file name), and the images it listed.
  static void record(const std::filesystem::path& directory, const std::string& runId,
                     const std::map<std::string, std::pair<int64_t, std::string>>& blobs,
                     const std::vector<ShippedImage>& images);

 private:
  std::map<std::string, ShippedBlob> shipped_;
  std::map<std::string, std::string> images_;
  size_t runs_ = 0;
};

}  // namespace ferry::mirror
