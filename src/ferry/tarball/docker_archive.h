// docker-archive:FILE[:NAME:TAG | :@N] — the `docker save` format, read as
// skopeo reads it:
//
//   manifest.json   [{"Config": "<hex>.json", "RepoTags": ["docker.io/x/y:t"], "Layers": ["<hex>.tar", ...]}]
//   <hex>.json      the image config, as pulled
//   <hex>.tar ...   the layers, uncompressed tars (older `docker save`: <id>/layer.tar, often symbolic links)
//
// The archive holds no registry manifest, so one is made, byte for byte the one
// skopeo makes (`skopeo inspect --raw docker-archive:FILE` prints the same bytes,
// so the manifest digest is the same as skopeo's):
//   - a Docker schema 2 manifest, compact JSON, keys in the order
//     schemaVersion, mediaType, config, layers, and mediaType, size, digest in each descriptor;
//   - config: the config file, its digest the sha256 of its bytes (the image ID docker shows);
//   - layers: mediaType application/vnd.docker.image.rootfs.diff.tar.gzip (what
//     skopeo writes too, although the bytes are an uncompressed tar; registries and
//     runtimes go by the bytes), size of the layer file, digest = the config's
//     rootfs.diff_ids entry, which for an uncompressed layer is the sha256 of the
//     file (the copy engine verifies it as the bytes stream). A layer file that is
//     compressed (`docker load` accepts those) gets the sha256 of the file instead.
// So the config digest and the layer digests are those of the uncompressed
// image; the manifest digest differs from the registry's original (which names
// compressed layers) — skopeo cannot keep it either (skopeo#2222).
//
// Without NAME:TAG or @N, the archive must hold one image.
//
// Writing (DockerArchiveSink) takes one single-platform image (an index is
// refused: pick a platform with --platform), in the same file names skopeo uses
// (config <hex>.json, layers <hex>.tar, manifest.json, RepoTags from NAME:TAG).
// Layers are stored as pulled, usually gzip-compressed: `docker load` and skopeo
// decompress them when they load the archive, and their diff_ids still match.
// FILE appears only at commit() (see ArchiveSink).
#pragma once

#include <map>
#include <mutex>
#include <vector>

#include "ferry/tarball/archive_sink.h"
#include "ferry/tarball/tar_file.h"

namespace ferry {

class DockerArchiveSource : public ImageSource {
 public:
  // manifest.json and configs larger than this are refused.
  static constexpr int64_t kLargestDocument = 32 << 20;

  explicit DockerArchiveSource(const std::filesystem::path& file);

  std::string describe() const override;
  // `reference`: "latest" (the only image), "@N", a RepoTag ("docker.io/library/busybox:latest")
  // or the digest of a made manifest.
  RawManifest getManifest(const std::string& reference) override;
  void readBlob(const Descriptor& blob, BlobWriter& out) override;

  // The normalised RepoTags of every image, in archive order.
  std::vector<std::vector<std::string>> repoTags() const;

 private:
  struct Image {
    std::string config;               // member path
    std::vector<std::string> layers;  // member paths
    std::vector<std::string> repoTags;
  };
  RawManifest manifestOf(size_t index);
  size_t pick(const std::string& reference);

  TarFile tar_;
  std::vector<Image> images_;
  std::mutex mutex_;
  std::map<size_t, RawManifest> made_;
  std::map<Digest, const TarMember*> blobs_;
};

class DockerArchiveSink : public ArchiveSink {
 public:
  // `repoTag`: the normalised NAME:TAG the image is saved under, if any.
  DockerArchiveSink(std::filesystem::path file, std::optional<std::string> repoTag);
  ~DockerArchiveSink() override;

  std::string describe() const override;
  std::optional<Digest> manifestDigest(const std::string& reference) override { return std::nullopt; }
  bool reuseBlob(const Descriptor& blob, const std::optional<std::string>& mountFrom) override;
  void writeBlob(const Descriptor& blob, const BlobProducer& produce) override;
  void putBlob(const Descriptor& blob, const std::filesystem::path& file) override;
  void putBlobBytes(const Descriptor& blob, std::string bytes) override;
  void putManifest(const RawManifest& manifest, const std::optional<std::string>& tag, bool root) override;
  std::string blobScope() const override { return describe(); }
  void commit() override;

 private:
  std::filesystem::path file_;
  std::filesystem::path partial_;
  std::optional<std::string> repoTag_;
  std::mutex mutex_;
  std::unique_ptr<class TarWriter> tar_;
  std::map<Digest, std::string> written_;  // blob -> member path
  std::optional<Digest> image_;            // the one image's manifest
  std::string config_;
  std::vector<std::string> layers_;
  bool committed_ = false;
};

}  // namespace ferry
