// An image source made of two: manifests and blobs are read from the first
// (the overlay) when it has them, else from the second (the base).
//
// A rebuilt catalog is a few new blobs and manifests (in a work OCI layout) on
// top of the original image's layers (still in the original registry or
// layout). Handing the copy engine an OverlaySource of the two lets it push the
// rebuilt image to any sink with all its guarantees (digests checked, blobs
// before manifests, nothing pushed twice) without copying the original first.
//
// A lookup the overlay fails (whatever the reason) is asked of the base; when
// both fail, the error says what each answered. A blob the overlay starts to
// send is finished by the overlay: a failure after the first byte is not
// retried from the base.
#pragma once

#include <memory>

#include "ferry/transport/image_store.h"

namespace ferry {

class OverlaySource : public ImageSource {
 public:
  OverlaySource(std::shared_ptr<ImageSource> overlay, std::shared_ptr<ImageSource> base);

  std::string describe() const override;
  RawManifest getManifest(const std::string& reference) override;
  void readBlob(const Descriptor& blob, BlobWriter& out) override;
  std::optional<std::filesystem::path> blobFile(const Descriptor& blob) override;

 private:
  std::shared_ptr<ImageSource> overlay_;
  std::shared_ptr<ImageSource> base_;
};

}  // namespace ferry
