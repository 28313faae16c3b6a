// Image layers that are real gzip-compressed tar archives (umoci can unpack
// them), filled with pseudo-random file content so their sizes are real.
#pragma once

#include <cstdint>
#include <string>

#include "ferry/digest/digest.h"

namespace ferry::testing {

struct LayerBlob {
  std::string compressed;  // the blob: tar, gzip-compressed
  ferry::Digest digest;    // sha256 of `compressed`
  ferry::Digest diffId;    // sha256 of the uncompressed tar (the config's rootfs.diff_ids entry)
};

// A tar with a directory and a few regular files holding about `contentSize`
// pseudo-random bytes in total, all determined by `seed`. Owners, modes and
// times are fixed and the gzip header carries no name or time, so equal
// arguments give equal bytes. Random content does not compress; gzip level 0
// (stored blocks) is still valid gzip and keeps large layers fast to make.
LayerBlob makeTarLayer(uint64_t seed, uint64_t contentSize, int gzipLevel);

}  // namespace ferry::testing
