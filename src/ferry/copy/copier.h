// The copy engine: moves whole image graphs from sources to sinks.
//
// One Copier runs one batch of (source, destination) pairs through one
// scheduler:
//   - each image's graph is read (index, nested indexes, manifests);
//   - a destination that already has the image under the wanted tag or digest
//     is left alone (one HEAD per image on a re-run);
//   - every distinct blob is moved once per destination blob scope (registry
//     repository or layout), whichever images share it, and a blob this run
//     already pushed to another repository of the same registry is mounted
//     from there instead of sent again;
//   - at most `parallel` blob transfers run at once;
//   - manifests are pushed only after all their blobs are in place, children
//     before their index, and the tag last; if any blob fails, nothing of that
//     image's manifests is pushed;
//   - manifests are pushed byte for byte as read, so every digest is kept.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ferry/copy/endpoints.h"
#include "ferry/copy/platform_filter.h"
#include "ferry/copy/thread_pool.h"

namespace ferry {

// One image to copy. `source` names the image (its manifest is read by the
// tag or digest it carries) and `destination` the name it gets (its tag, or
// none). `from` and `to` are where the bytes are read and written; when unset,
// the Copier opens them from the references through its Endpoints. A caller
// with a store of its own making (an archive, a rebuilt catalog's overlay)
// passes it here, so no reference has to stand for what it is not.
struct CopyRequest {
  ImageReference source;
  ImageReference destination;
  std::shared_ptr<ImageSource> from;
  std::shared_ptr<ImageSink> to;
};

struct CopyResult {
  CopyRequest request;
  bool ok = false;
  bool alreadyPresent = false;  // the destination had it; nothing was sent
  std::optional<Digest> digest;  // what the destination holds now
  std::optional<Digest> sourceDigest;  // the source's digest, when platform selection changed it
  std::string mediaType;
  std::vector<std::string> warnings;
  std::string error;
};

// Counters the CLI reads while a copy runs.
struct CopyProgress {
  std::atomic<int64_t> imagesTotal{0};
  std::atomic<int64_t> imagesDone{0};
  std::atomic<int64_t> blobsTotal{0};
  std::atomic<int64_t> blobsDone{0};
  std::atomic<int64_t> blobsSent{0};     // transferred
  std::atomic<int64_t> blobsReused{0};   // present already, or mounted
  std::atomic<int64_t> bytesTotal{0};
  std::atomic<int64_t> bytesDone{0};
};

struct CopyOptions {
  int parallel = 8;
  PlatformSelection platforms;  // empty: every platform, digests preserved
  // --image-timeout: an image whose blobs are not all in by then fails, and no
  // manifest of it is pushed; its transfers may finish for other images. 0: no bound.
  std::chrono::milliseconds imageTimeout{0};
};

class Copier {
 public:
  Copier(Endpoints& endpoints, CopyOptions options);
  ~Copier();

  // Copies every pair; failures are reported per pair, never thrown.
  std::vector<CopyResult> run(const std::vector<CopyRequest>& requests);
  const CopyProgress& progress() const { return progress_; }

 private:
  CopyResult copyImage(const CopyRequest& request);
  std::shared_ptr<Completion> ensureBlob(const std::shared_ptr<ImageSource>& source,
                                         const std::shared_ptr<ImageSink>& sink, const Descriptor& blob);
  void transferBlob(ImageSource& source, ImageSink& sink, const Descriptor& blob);
  std::filesystem::path download(ImageSource& source, ImageSink& sink, const Descriptor& blob);
  // Takes `bytes` of the in-memory staging budget, if the blob is small enough and it has room.
  bool reserveMemory(int64_t bytes);

  Endpoints& endpoints_;
  CopyOptions options_;
  CopyProgress progress_;
  std::filesystem::path spool_;
  std::atomic<int64_t> memoryInUse_{0};
  std::unique_ptr<ThreadPool> transfers_;

  std::mutex mutex_;
  // In-flight and finished blobs, by blob scope and digest.
  std::map<std::string, std::shared_ptr<Completion>> blobs_;
  // The first push of a blob to each mount domain (registry), and its repository.
  struct FirstPush {
    std::shared_ptr<Completion> done;
    std::string mountName;
  };
  std::map<std::string, FirstPush> firstPushes_;
};

}  // namespace ferry
