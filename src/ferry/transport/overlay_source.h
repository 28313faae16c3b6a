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
// retried from the base. registries.conf mirrors are a chain of them (each
// mirror over the next, the registry itself last).
//
// Its tags are those of both (each once, the overlay's first), so what is
// attached to an image (copy/attachments.h) is found wherever it is.
#pragma once

#include <memory>

#include "ferry/transport/capabilities.h"
#include "ferry/transport/image_store.h"

namespace ferry {

class OverlaySource : public ImageSource, public TagLister {
 public:
  OverlaySource(std::shared_ptr<ImageSource> overlay, std::shared_ptr<ImageSource> base);

  std::string describe() const override;
  RawManifest getManifest(const std::string& reference) override;
  void readBlob(const Descriptor& blob, BlobWriter& out) override;
  std::optional<std::filesystem::path> blobFile(const Descriptor& blob) override;
  // The tags of the overlay and of the base that list theirs; one that cannot list them adds none.
  std::vector<std::string> listTags() override;

 private:
  std::shared_ptr<ImageSource> overlay_;
  std::shared_ptr<ImageSource> base_;
};

}  // namespace ferry
