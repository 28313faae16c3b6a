// Writes a run's images into an archive directory of tar parts
// (archive_format.h), through ImageSink views the copy engine writes to.
//
//   ArchiveWriter archive(dir, 10LL << 30, runId, historyBlobs);
//   copier.run({{.source = image, .destination = "registry.example/ns/repo:v1",
//                .to = archive.imageSink("registry.example/ns/repo")}});
//   archive.finish();                // closes the last part
//   history.add(archive.shippedBlobs());
//
// Blobs are stored once per archive, whichever images share them, and not at
// all when the history says an earlier run shipped them. Parts are filled in
// the order blobs arrive; a part is closed when the next blob would take it
// past partSizeBytes, and a blob larger than that gets a part of its own
// (unless refuseOversizedParts(): oc-mirror's --strict-archive).
//
// Every manifest an image needs is carried in the part whose index.json lists
// the image (copied again if an earlier part holds it already: manifests are
// small), so each part is a usable OCI layout of its images. Configs and layers
// may live in an earlier part or an earlier run; part.json says where.
//
// A part is written as mirror_NNNNNN.tar.partial and renamed when complete, so
// an interrupted run never leaves a part that looks whole. The writer holds a
// lock on the directory for its lifetime; it removes stale .partial files of an
// interrupted run. Complete parts of earlier runs are left alone: this run's
// parts continue their numbering.
//
// Thread-safe: the copy engine calls the sinks from many threads. A streamed
// blob gets its room in the open part first (headers written, data a hole) and
// is written there by its own transfer while others fill rooms of their own;
// a blob that fails is cut back out of the part, or, when members follow it,
// renamed ferry/discarded/HEX with its bytes zeroed. A part closes once no
// blob streams into it. Blob data is never held in memory. The writer must
// outlive its sinks.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ferry/archive/archive_format.h"
#include "ferry/transport/image_store.h"

namespace ferry {

class TarWriter;
class S3Client;

class ArchiveWriter {
 public:
  // `directory` may be "s3://bucket/prefix" (docs/scale.md): parts are then
  // multipart uploads there (s3_part_output.h), completed when the part is.
  // `alreadyShipped`: blobs an earlier run's archive carried (digest → where, see
  // shippedIn()); they are not written again. Throws Error when the directory
  // cannot be used (another writer holds it, or it holds complete parts).
  // `series`: "" for mirror_NNNNNN.tar, or shardSeries(I, N) for one shard's
  // parts (mirror_shard-I-of-N_NNNNNN.tar), written beside the other shards'.
  ArchiveWriter(std::filesystem::path directory, int64_t partSizeBytes, std::string runId,
                std::map<Digest, std::string> alreadyShipped = {}, std::string series = {});
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  // The sink for one image name ("registry.example/ns/repo", without tag or
  // digest): a root manifest pushed with a tag is listed as "name:tag", without
  // one as "name@digest".
  std::shared_ptr<ImageSink> imageSink(std::string name);

  // A file for the ferry/ folder of every part closed from now on ("plan.json",
  // "imageset-config.yaml"). Add them before the first image so every part has them.
  void addFile(std::string name, std::string bytes);

  // Images earlier runs' archives listed (index.json reference → digest): an
  // image whose reference still names the same digest is present already, so
  // the copy engine skips it and this archive does not carry it again.
  void setShippedImages(std::map<std::string, Digest> images);

  // Called as each part is complete (renamed from .partial), with its file name
  // and part.json, before the next part starts: how a caller records what
  // finished parts hold (the mirror history) so an interrupted run keeps them.
  // Set it before the first image.
  void onPartFinished(std::function<void(const std::string& file, const PartInfo& info)> hook);
  // --strict-archive: a blob too large for a part of partSizeBytes is refused
  // (an Error naming it and the size) instead of getting an oversized part of its own.
  void refuseOversizedParts() { refuseOversized_ = true; }

  // A shard's writer (a `series` of its own): the blob is carried by shard
  // `shard` of `count` instead, so this writer's manifests may need it, and
  // part.json lists it as not carried, shipped there.
  void carriedByShard(const Digest& digest, int shard, int count);

  // Closes the last part. A run that stored nothing writes no part.
  void finish();

  // The complete parts, in order ("mirror_000001.tar", …), inside directory().
  std::vector<std::string> partFiles() const;
  // Every config and layer blob this run carried → where (see shippedIn()), for the history.
  std::map<Digest, std::string> shippedBlobs() const;
  const std::filesystem::path& directory() const { return directory_; }

 private:
  friend class ArchiveImageSink;
  friend class StoredManifests;

  // Where a blob or manifest was written in this run.
  struct Stored {
    int part = 0;
    int64_t offset = 0;
    int64_t size = 0;
  };
  // One index.json entry of the open part.
  struct RootEntry {
    PartImage image;
    int64_t size = 0;
  };
  struct OpenPart {
    int number = 0;
    std::unique_ptr<TarWriter> tar;
    PartInfo info;
    std::vector<RootEntry> roots;
    std::vector<std::pair<std::string, std::string>> checksums;  // member, sha256 hex
    std::set<Digest> notCarried;  // digests listed in info.notCarried
    bool holdsBlobs = false;
    int streaming = 0;     // blobs being written into reserved rooms
    bool closing = false;  // waiting for them, to close
  };

  bool hasBlob(const Digest& digest);
  std::optional<Digest> rootDigest(const std::string& name, const std::string& reference);
  void putBlob(const Descriptor& blob, const std::filesystem::path* file, const std::string* bytes);
  // Reserves the blob's room in the open part and lets `produce` fill it while
  // other blobs stream into rooms of their own; see ImageSink::writeBlob.
  void writeBlob(const Descriptor& blob, const BlobProducer& produce);
  // Throws when --strict-archive refuses the blob for its size.
  void checkFits(const Descriptor& blob, const std::string& member) const;
  void putManifest(const std::string& name, const RawManifest& manifest, const std::optional<std::string>& tag,
                   bool root);

  // Called with writeMutex_ held.
  void checkUsable() const;
  void makeRoom(int64_t memberBytes);
  // Closes the open part once no blob streams into it (waits, releasing writeMutex_).
  void closeWhenDrained();
  void startPart();
  void closePart();
  void writeManifest(const Digest& digest, const std::string& bytes);
  std::string readStored(const Digest& digest) const;

  std::string fileOf(int part) const { return partFileName(part, series_); }

  std::filesystem::path directory_;
  std::string series_;
  int64_t partSizeBytes_;
  bool refuseOversized_ = false;
  std::string runId_;
  int64_t startTime_;
  std::map<Digest, std::string> alreadyShipped_;
  std::map<Digest, std::string> otherShards_;  // carriedByShard(), guarded by writeMutex_
  int lockFd_ = -1;
  // s3://bucket/prefix archives: the client, the prefix and the manifests of the
  // open part (read back from memory: its uploaded chunks cannot be read).
  std::shared_ptr<S3Client> s3_;
  std::string s3Prefix_;
  std::map<Digest, std::string> openPartManifests_;

  // writeMutex_ serialises everything that writes parts (one tar is written at a
  // time); stateMutex_ guards stored_, shipped_ and roots_, which writers change
  // while holding both, so the copy engine's questions (reuseBlob, manifestDigest)
  // never wait for a large blob being written.
  mutable std::mutex writeMutex_;
  std::condition_variable_any drained_;  // a streamed blob finished, or a part closed
  mutable std::mutex stateMutex_;
  std::optional<OpenPart> current_;
  std::vector<std::string> finishedParts_;
  std::map<Digest, Stored> stored_;        // the latest copy of every blob and manifest written
  std::map<Digest, std::string> shipped_;  // configs and layers only
  std::map<std::string, Digest> roots_;    // index.json reference → digest, over the whole run
  std::map<std::string, Digest> shippedRoots_;  // the same for images earlier runs shipped (setShippedImages)
  int firstPartNumber_ = 1;                // after the parts earlier runs left in the directory
  std::vector<std::pair<std::string, std::string>> extraFiles_;
  std::function<void(const std::string&, const PartInfo&)> partFinished_;
  std::string failure_;  // set when a write failed half-way: the open part cannot be finished
  bool finished_ = false;
  int discardedMembers_ = 0;  // blobs given up mid-stream and renamed ferry/discarded/HEX.N
};

}  // namespace ferry
