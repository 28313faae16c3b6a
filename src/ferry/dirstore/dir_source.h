// dir:DIR — skopeo's directory format, read:
//
//   DIR/version               "Directory Transport Version: 1.1\n" (1.0 and 1.1 are read)
//   DIR/manifest.json         the image's manifest, or its index after `skopeo copy --all`
//   DIR/<hex>.manifest.json   each manifest an index lists (skopeo --all)
//   DIR/<hex>                 every blob (config and layers), named by its sha256 hex
//
// dir: has no tags: any tag-less reference means manifest.json. A reference by
// digest names manifest.json when it matches, else DIR/<hex>.manifest.json.
// Blobs are files, so the copy engine sends them without a staging copy.
#pragma once

#include <filesystem>

#include "ferry/transport/image_store.h"

namespace ferry {

class DirSource : public ImageSource {
 public:
  static constexpr int64_t kLargestManifest = 8 << 20;

  // Throws Error when DIR has no version file of a known version or no manifest.json.
  explicit DirSource(std::filesystem::path directory);

  std::string describe() const override;
  RawManifest getManifest(const std::string& reference) override;
  void readBlob(const Descriptor& blob, BlobWriter& out) override;
  std::optional<std::filesystem::path> blobFile(const Descriptor& blob) override;

 private:
  RawManifest readManifest(const std::filesystem::path& file) const;
  std::filesystem::path blobPath(const Digest& digest) const;

  std::filesystem::path directory_;
};

}  // namespace ferry
