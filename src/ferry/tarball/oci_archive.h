// oci-archive:FILE[:TAG] — an OCI image layout (oci-layout, index.json,
// blobs/sha256/<hex>) stored as one tar file, as skopeo's oci-archive: reads and
// writes it.
//
// Reading never unpacks the tar: index.json and manifests are read from their
// members, blobs are streamed from their offsets (see TarFile).
//
// Writing streams every blob straight into FILE.partial as it arrives (no
// staging copy of the layout, no blob held in memory beyond what the copy
// engine hands over), and writes oci-layout and index.json last, at commit().
// Like skopeo, the archive holds what this run wrote: an existing FILE is
// replaced, not extended.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "ferry/imagefs/tar_writer.h"
#include "ferry/tarball/archive_sink.h"
#include "ferry/tarball/tar_file.h"

namespace ferry {

class OciArchiveSource : public ImageSource {
 public:
  explicit OciArchiveSource(const std::filesystem::path& file);

  std::string describe() const override;
  RawManifest getManifest(const std::string& reference) override;
  void readBlob(const Descriptor& blob, BlobWriter& out) override;

  const std::vector<Descriptor>& entries() const { return entries_; }

 private:
  TarFile tar_;
  std::vector<Descriptor> entries_;
};

class OciArchiveSink : public ArchiveSink {
 public:
  explicit OciArchiveSink(std::filesystem::path file);
  ~OciArchiveSink() override;

  std::string describe() const override;
  std::optional<Digest> manifestDigest(const std::string& reference) override;
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
  std::mutex mutex_;
  std::unique_ptr<TarWriter> tar_;
  std::set<Digest> written_;
  std::vector<Descriptor> entries_;  // index.json, in the order images were finished
  bool committed_ = false;
};

}  // namespace ferry
