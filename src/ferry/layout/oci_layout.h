// An OCI image layout directory as an ImageSource and an ImageSink.
//
//   DIR/oci-layout          {"imageLayoutVersion": "1.0.0"}
//   DIR/index.json          an OCI index; entries name images with the
//                           annotation org.opencontainers.image.ref.name
//   DIR/blobs/sha256/<hex>  every blob, manifest and index, by digest
//
// Blobs and manifests are written to a temporary name and renamed into place,
// so a reader never sees a partial file. index.json is rewritten the same way
// under an exclusive lock (flock on the directory), so two copies into one
// layout at the same time, in one process or two, both land.
//
// Images are found by tag (ref.name, either the bare tag or a full reference
// ending in ":tag"), or by digest. A layout with a single untagged image
// answers for any tag-less reference.
//
// Capabilities (transport/capabilities.h): listTags() gives the ref.name of
// each index.json entry (the tag after the last ':' of a full reference), in
// index order; deleteManifest() removes the index.json entries of a digest
// (the blobs stay, as a registry's do until garbage collection).
#pragma once

#include <filesystem>
#include <mutex>
#include <vector>

#include "ferry/transport/capabilities.h"
#include "ferry/transport/image_store.h"

namespace ferry {

inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

// The index.json entry a tag or digest names, by the rules above (also used for
// layouts read from a tar: oci-archive:).
std::optional<Descriptor> findLayoutEntry(const std::vector<Descriptor>& entries, const std::string& reference);
// "a, b, c": the ref.names of the entries, or "no tagged images", for messages.
std::string layoutRefNames(const std::vector<Descriptor>& entries);

class OciLayout : public ImageSource, public ImageSink, public TagLister, public ManifestDeleter {
 public:
  // Opens an existing layout; throws Error naming the directory when it is not one.
  static std::shared_ptr<OciLayout> open(const std::filesystem::path& directory);
  // Opens a layout for writing, creating the directory and its files if needed.
  static std::shared_ptr<OciLayout> create(const std::filesystem::path& directory);

  std::string describe() const override;
  RawManifest getManifest(const std::string& reference) override;
  void readBlob(const Descriptor& blob, BlobWriter& out) override;
  std::optional<std::filesystem::path> blobFile(const Descriptor& blob) override;

  std::optional<Digest> manifestDigest(const std::string& reference) override;
  bool reuseBlob(const Descriptor& blob, const std::optional<std::string>& mountFrom) override;
  void putBlob(const Descriptor& blob, const std::filesystem::path& file) override;
  std::optional<std::filesystem::path> stagingDirectory() override;
  void putManifest(const RawManifest& manifest, const std::optional<std::string>& tag, bool root) override;
  std::string blobScope() const override;

  std::vector<std::string> listTags() override;
  void deleteManifest(const Digest& digest) override;

  // The descriptors listed in index.json.
  std::vector<Descriptor> entries() const;
  const std::filesystem::path& directory() const { return directory_; }

 private:
  explicit OciLayout(std::filesystem::path directory) : directory_(std::move(directory)) {}
  std::filesystem::path pathOf(const Digest& digest) const;
  std::optional<Descriptor> findEntry(const std::string& reference) const;

  std::filesystem::path directory_;
  // Serialises index.json updates between this process's threads; flock covers other processes.
  std::mutex indexMutex_;
};

}  // namespace ferry
