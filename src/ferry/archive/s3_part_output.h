// An archive part written straight into S3-compatible storage as a multipart
// upload, with no staging file (docs/scale.md, "Archives in S3").
//
// The tar is cut into fixed chunks of `chunkSize` bytes (--s3-part-size, at least
// 5 MiB, the S3 minimum): chunk k is upload part k+1. Writers put bytes where
// they belong in the tar (TarWriter's reserved rooms are filled by many threads
// at once); a chunk is held in memory only until every byte of it has been
// written, and is uploaded then and dropped, so each buffer is the only copy of
// its bytes. What is held at a time is bounded by the streams in flight, not by
// blob sizes: a blob streaming into its room keeps its current chunk and the
// chunk it shares with the member before it, so at most (2 × streams + 1) chunks.
//
// finish() uploads the last chunk and completes the upload: only then does the
// object exist (the S3 counterpart of renaming mirror_NNNNNN.tar.partial). A part
// never finished is aborted when the output is destroyed, so no completed object
// is left; parts already uploaded of an interrupted process are dropped by the
// store's AbortIncompleteMultipartUpload lifecycle rule.
//
// Bytes of a chunk that was uploaded cannot be written again: a blob whose
// transfer restarts from byte 0 after some of its chunks went up, or a member
// given up after that, fails the part (the run then fails; a re-run converges).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ferry/imagefs/tar_writer.h"
#include "ferry/s3/s3_client.h"

namespace ferry {

// The default --s3-part-size, and the bounds S3 sets on multipart uploads.
inline constexpr int64_t kDefaultS3ChunkSize = kDefaultS3PartSize;
inline constexpr int64_t kMinS3ChunkSize = int64_t{5} << 20;
inline constexpr int64_t kMaxS3ChunkSize = int64_t{5} << 30;
inline constexpr int kMaxS3Parts = 10000;

class S3PartOutput : public TarFileOutput {
 public:
  // Starts the multipart upload of `key`.
  S3PartOutput(std::shared_ptr<S3Client> s3, std::string key, int64_t chunkSize);
  ~S3PartOutput() override;  // aborts an upload not finished

  void writeAt(int64_t offset, const char* data, size_t size) override;
  void truncate(int64_t size) override;
  std::string readAt(int64_t offset, int64_t size) override;
  void finish(int64_t size) override;
  std::string describe() const override;

  // Chunks held in memory now, and the most held at once (for tests and docs/limits.md).
  size_t chunksHeld() const;
  size_t mostChunksHeld() const;

 private:
  struct Chunk {
    std::vector<char> bytes;
    std::map<int64_t, int64_t> written;  // start → end within the chunk, merged
    int64_t covered = 0;
  };
  Chunk& chunkAt(int64_t index);
  static void addInterval(Chunk& chunk, int64_t start, int64_t end);
  void upload(int64_t index, std::vector<char> bytes, size_t size);
  void checkHealthy() const;

  std::shared_ptr<S3Client> s3_;
  std::string key_;
  int64_t chunkSize_;
  std::string uploadId_;
  mutable std::mutex mutex_;
  std::map<int64_t, Chunk> held_;
  std::set<int64_t> uploaded_;           // chunks sent (or being sent)
  std::map<int64_t, std::string> etags_;  // chunk → ETag, once sent
  size_t mostHeld_ = 0;
  std::string failure_;
  bool finished_ = false;
};

}  // namespace ferry
