// The copy engine: moves whole image graphs from sources to sinks.
//
// One Copier runs one batch of (source, destination) pairs through one
// scheduler, in two passes:
//   - planning: each image's graph is read (index, nested indexes, manifests);
//     a destination that already has the image under the wanted tag or digest
//     is left alone (one HEAD per image on a re-run); the totals of images,
//     blobs and bytes are known when it ends, before any blob moves;
//   - transfer: every distinct blob is moved once per destination blob scope
//     (registry repository or layout), whichever images share it, and a blob
//     this run already pushed to another repository of the same registry is
//     mounted from there instead of sent again; at most `parallel` blob
//     transfers run at once;
//     manifests are pushed only after all their blobs are in place, children
//     before their index, and the tag last; if any blob fails, nothing of that
//     image's manifests is pushed;
//     every distinct manifest is pushed once per blob scope too: images that
//     share child manifests or a whole index (aliased tags: v1 and latest)
//     wait for the one push, and a further tag of a manifest already pushed is
//     a tag-only PUT after it;
//     manifests are pushed byte for byte as read, so every digest is kept.
//   - attachments (CopyOptions::attachments): once an image is in, the
//     signatures, attestations, SBOMs and referrers that point at its manifests
//     (copy/attachments.h) are copied the same way, whole and digest for digest,
//     and theirs after them.
//
// Blobs stream: a source that keeps the blob as a file (a layout) hands the
// file over; otherwise the download goes straight into the sink's writer
// (ImageSink::writeBlob), hashed on the way, and the sink commits it only when
// size and digest matched. No blob is held whole in memory or spooled to a
// temporary file, so memory is a fixed base plus `parallel` small transfer
// buffers whatever the blob sizes (docs/design.md, "Memory").
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ferry/copy/endpoints.h"
#include "ferry/copy/platform_filter.h"
#include "ferry/copy/shard.h"
#include "ferry/copy/thread_pool.h"
#include "ferry/policy/policy.h"

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
  // This image's platform choice, in place of CopyOptions::platforms.
  std::optional<PlatformSelection> platforms;
  // The destination is known not to take sparse indexes: an image that would be
  // one fails at planning (sparseRefused), before any blob moves.
  bool sparseRefusedByDestination = false;
  // The caller checked CopyOptions::policy for what this image was made from
  // (a rebuilt catalog: its original image, Copier::checkPolicy), so it is not checked again.
  bool policyChecked = false;
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
  // What travelled with the image (copy/attachments.h), each with its own outcome.
  std::vector<CopyResult> attachments;
  // A platform selection narrowed the image: the platforms it carries ("linux/amd64", ...).
  std::vector<std::string> platforms;
  bool sparse = false;         // pushed (or to be pushed) as a sparse index
  bool sparseRefused = false;  // the destination refused the sparse index (nothing of the index was pushed)
  // CopyOptions::shard: this worker's share of the image's blobs is in; its manifests wait for the finalize step.
  bool leftToFinalize = false;
};

// Counters the CLI reads while a copy runs. The totals are complete once
// `planning` is false: blobs and bytes of every image still to copy, counted once per blob scope.
struct CopyProgress {
  std::atomic<bool> planning{false};
  std::atomic<int64_t> imagesPlanned{0};  // graphs read so far in the planning pass
  std::atomic<int64_t> imagesTotal{0};
  std::atomic<int64_t> imagesDone{0};
  std::atomic<int64_t> blobsTotal{0};
  std::atomic<int64_t> blobsDone{0};
  std::atomic<int64_t> blobsSent{0};     // transferred
  std::atomic<int64_t> blobsReused{0};   // present already, or mounted
  std::atomic<int64_t> bytesTotal{0};
  std::atomic<int64_t> bytesDone{0};     // transferred
  std::atomic<int64_t> bytesReused{0};   // of blobs present already, or mounted
};

struct CopyOptions {
  int parallel = 8;
  PlatformSelection platforms;  // empty: every platform, digests preserved
  // --image-timeout: an image whose blobs are not all in by then fails, and no
  // manifest of it is pushed; its transfers may finish for other images. 0: no bound.
  std::chrono::milliseconds imageTimeout{0};
  // Copy each image's signatures and referrers after it (copy/attachments.h);
  // off for --remove-signatures / --referrers none.
  bool attachments = false;
  // --shard I/N (copy/shard.h): this worker moves only its share of each
  // round's blobs and pushes no manifest, except into a sink of its own
  // (ShardPartsSink: archive parts), which takes every manifest and is told
  // which shard carries each blob of the other shares. Images present at the
  // destination are planned all the same, so every worker splits the same set of blobs.
  std::optional<ShardSpec> shard;
  // The finalize step of a sharded run: no blob is sent. Each round first checks
  // that all its blobs are at the destination; when one is not (a shard has not
  // finished), every image of the round fails before any manifest is pushed.
  bool blobsMustExist = false;
  // --policy / --secure-policy: every image (not its attachments) must pass it
  // before anything of it is pushed; one that fails is reported with the rule
  // that refused it (policy/policy.h). Unset: no signature policy.
  std::shared_ptr<const policy::PolicyChecker> policy;
};

class Copier {
 public:
  Copier(Endpoints& endpoints, CopyOptions options);
  ~Copier();

  // Copies every pair; failures are reported per pair, never thrown.
  std::vector<CopyResult> run(const std::vector<CopyRequest>& requests);
  const CopyProgress& progress() const { return progress_; }
  // CopyOptions::blobsMustExist: how many blobs were found missing (0: every round was complete).
  int64_t missingBlobs() const { return missingBlobs_; }
  // Checks `image`, read from `source`, against CopyOptions::policy (nothing
  // when unset); throws Error naming the rule that refused it.
  void checkPolicy(const ImageReference& image, ImageSource& source) const;

 private:
  struct ImagePlan;
  // One pass of planning and transfer over `requests`; `plans` receives what
  // each image read and pushed, for its attachments.
  std::vector<CopyResult> runRound(const std::vector<CopyRequest>& requests, bool selectPlatforms,
                                   std::vector<ImagePlan>& plans);
  // The requests that copy what is attached to a copied image (CopyOptions::attachments).
  std::vector<CopyRequest> attachmentRequests(const ImagePlan& plan, CopyResult& result);
  // The source repository's tags, listed once per run; empty when it cannot list them.
  std::vector<std::string> sourceTags(ImageSource& source, CopyResult& result);
  // Reads the image's graph and whether the destination has it; counts what is to move.
  void planImage(ImagePlan& plan);
  void transferImage(ImagePlan& plan);
  // Pushes a manifest unless this run pushes (or pushed) it to the sink's blob
  // scope already, in which case it waits for that push; a tag or a root entry
  // the earlier push did not make follows as a push of its own.
  void pushManifest(ImageSink& sink, const RawManifest& manifest, const std::optional<std::string>& tag, bool root);
  std::shared_ptr<Completion> ensureBlob(const std::shared_ptr<ImageSource>& source,
                                         const std::shared_ptr<ImageSink>& sink, const Descriptor& blob);
  // Moves one blob: from the source's file when it keeps one, else streamed into the sink (ImageSink::writeBlob).
  void transferBlob(ImageSource& source, ImageSink& sink, const Descriptor& blob);
  // CopyOptions::shard: splits the round's blobs over the shards (shardOf_) and counts this worker's share.
  void takeShare(const std::vector<ImagePlan>& plans);
  // The shard whose share the blob is (takeShare), or -1 when it was not split.
  int shardOf(const Digest& digest);
  // CopyOptions::blobsMustExist: checks every blob of the round; when one is missing, fails every image.
  void requireEveryBlob(std::vector<ImagePlan>& plans);

  Endpoints& endpoints_;
  CopyOptions options_;
  CopyProgress progress_;
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
  // Blobs counted in the totals, by blob scope and digest.
  std::set<std::string> plannedBlobs_;
  // Manifest pushes, by blob scope and digest (and "#tag" for a root push).
  std::map<std::string, std::shared_ptr<Completion>> manifests_;
  // Source repositories' tags, by ImageSource::describe(), listed once each.
  struct TagListing {
    std::once_flag once;
    std::vector<std::string> tags;
    std::string error;
  };
  std::map<std::string, std::shared_ptr<TagListing>> sourceTags_;
  // CopyOptions::shard: digest → the shard whose share it is.
  std::map<std::string, int> shardOf_;
  std::atomic<int64_t> missingBlobs_{0};
};

}  // namespace ferry
