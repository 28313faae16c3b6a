#include "ferry/transport/overlay_source.h"

#include <set>

#include "ferry/base/error.h"

namespace ferry {
namespace {

// Passes bytes through and notes whether any arrived, so a failure before the
// first byte can be tried again elsewhere.
class CountingWriter : public BlobWriter {
 public:
  explicit CountingWriter(BlobWriter& out) : out_(out) {}
  bool write(const char* data, size_t size) override {
    started_ = started_ || size > 0;
    return out_.write(data, size);
  }
  void restart() override { out_.restart(); }
  bool started() const { return started_; }

 private:
  BlobWriter& out_;
  bool started_ = false;
};

}  // namespace

OverlaySource::OverlaySource(std::shared_ptr<ImageSource> overlay, std::shared_ptr<ImageSource> base)
    : overlay_(std::move(overlay)), base_(std::move(base)) {}

std::string OverlaySource::describe() const { return overlay_->describe() + " over " + base_->describe(); }

RawManifest OverlaySource::getManifest(const std::string& reference) {
  std::string overlayError;
  try {
    return overlay_->getManifest(reference);
  } catch (const Error& e) {
    overlayError = e.what();
  }
  try {
    return base_->getManifest(reference);
  } catch (const Error& e) {
    fail("cannot find manifest '{}' in {} ({}) nor in {} ({})", reference, overlay_->describe(), overlayError,
         base_->describe(), e.what());
  }
}

void OverlaySource::readBlob(const Descriptor& blob, BlobWriter& out) {
  std::string overlayError;
  CountingWriter counting(out);
  try {
    overlay_->readBlob(blob, counting);
    if (counting.started() || blob.size == 0) return;
    overlayError = "no bytes";
  } catch (const Error& e) {
    if (counting.started()) throw;
    overlayError = e.what();
  }
  try {
    base_->readBlob(blob, out);
  } catch (const Error& e) {
    fail("cannot read blob {} from {} ({}) nor from {} ({})", blob.digest.str(), overlay_->describe(), overlayError,
         base_->describe(), e.what());
  }
}

std::optional<std::filesystem::path> OverlaySource::blobFile(const Descriptor& blob) {
  try {
    if (auto file = overlay_->blobFile(blob)) return file;
  } catch (const Error&) {
    // Not in the overlay: ask the base.
  }
  try {
    return base_->blobFile(blob);
  } catch (const Error&) {
    return std::nullopt;  // readBlob says why, if the blob is nowhere
  }
}

std::vector<std::string> OverlaySource::listTags() {
  std::vector<std::string> tags;
  std::set<std::string> seen;
  for (auto* store : {overlay_.get(), base_.get()}) {
    auto* lister = capability<TagLister>(*store);
    if (!lister) continue;
    try {
      for (auto& tag : lister->listTags())
        if (seen.insert(tag).second) tags.push_back(std::move(tag));
    } catch (const Error&) {
      // A mirror without the repository lists nothing; the other side may.
    }
  }
  return tags;
}

}  // namespace ferry
