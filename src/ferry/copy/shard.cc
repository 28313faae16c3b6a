#include "ferry/copy/shard.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <queue>

#include "ferry/base/error.h"

namespace ferry {
namespace {

bool parseWhole(std::string_view text, int& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

std::string ShardSpec::str() const { return std::to_string(index) + "/" + std::to_string(count); }

ShardSpec parseShardSpec(const std::string& text) {
  auto slash = text.find('/');
  std::string_view index = std::string_view(text).substr(0, slash);
  std::string_view count = slash == std::string::npos ? std::string_view() : std::string_view(text).substr(slash + 1);
  ShardSpec spec;
  if (slash == std::string::npos || !parseWhole(count, spec.count) || spec.count < 1 || spec.count > kMaxShards)
    fail(ErrorKind::InvalidInput,
         "--shard '{}': give I/N, the worker's index I (0 to N-1) of N workers, N from 1 to {} (ferry's limit, see "
         "docs/limits.md), or auto/N in a Kubernetes Indexed Job",
         text, kMaxShards);
  std::string indexText(index);
  if (index == "auto") {
    const char* fromJob = std::getenv("JOB_COMPLETION_INDEX");
    if (!fromJob)
      fail(ErrorKind::InvalidInput,
           "--shard {}: JOB_COMPLETION_INDEX is not set (Kubernetes sets it in the pods of an Indexed Job); give the "
           "index yourself: --shard I/{}",
           text, spec.count);
    indexText = fromJob;
  }
  if (!parseWhole(indexText, spec.index) || spec.index < 0 || spec.index >= spec.count)
    fail(ErrorKind::InvalidInput, "--shard {}: the index '{}' must be a whole number from 0 to {}", text, indexText,
         spec.count - 1);
  return spec;
}

std::map<std::string, int> splitByBytes(std::vector<ShardedBlob> blobs, int count) {
  std::sort(blobs.begin(), blobs.end(), [](const ShardedBlob& a, const ShardedBlob& b) {
    return a.size != b.size ? a.size > b.size : a.digest < b.digest;
  });
  // (bytes so far, shard): the least loaded shard on top, the lower index first among equals.
  using Load = std::pair<int64_t, int>;
  std::priority_queue<Load, std::vector<Load>, std::greater<>> shards;
  for (int shard = 0; shard < std::max(count, 1); ++shard) shards.push({0, shard});
  std::map<std::string, int> owner;
  for (const auto& blob : blobs) {
    if (owner.count(blob.digest)) continue;
    auto [bytes, shard] = shards.top();
    shards.pop();
    owner[blob.digest] = shard;
    shards.push({bytes + blob.size, shard});
  }
  return owner;
}

}  // namespace ferry
