// Splitting one mirror run over N workers (`ferry mirror --shard I/N`).
//
// Every worker plans the same run from the same configuration, so each reads
// the same graphs and sees the same blobs. The split of those blobs is a pure
// function of their digests and sizes: largest first, each to the shard with
// the fewest bytes so far (ties to the lower index), so the workers agree on
// it without talking to each other, and the shares differ in bytes by at most
// the largest blob. A worker moves only its share; the manifests, tags and
// cluster resources are pushed once every share is in (Copier with
// CopyOptions::blobsMustExist: `--finalize`, or the shard that finds the others done).
// Into an archive each worker writes parts of its own, manifests included
// (ShardPartsSink in transport/capabilities.h), and there is no final step.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ferry {

// The most workers one run is split over (docs/limits.md).
inline constexpr int kMaxShards = 1024;

struct ShardSpec {
  int index = 0;  // 0 … count-1, as Kubernetes' JOB_COMPLETION_INDEX
  int count = 1;
  std::string str() const;  // "I/N"
};

// "I/N" (0 ≤ I < N ≤ kMaxShards), or "auto/N" with I from $JOB_COMPLETION_INDEX
// (an Indexed Job's pod). Throws Error of kind InvalidInput naming the flag.
ShardSpec parseShardSpec(const std::string& text);

struct ShardedBlob {
  std::string digest;
  int64_t size = 0;
};

// The shard of each blob (by digest; a digest listed twice counts once).
std::map<std::string, int> splitByBytes(std::vector<ShardedBlob> blobs, int count);

}  // namespace ferry
