#include "ferry/transport/image_store.h"

#include <system_error>

#include "ferry/base/files.h"

namespace ferry {

void ImageSink::putBlobBytes(const Descriptor& blob, std::string bytes) {
  auto directory = stagingDirectory().value_or(std::filesystem::temp_directory_path());
  auto staged = uniqueTemporaryPath(directory, blob.digest.hex());
  writeFileAtomically(staged, bytes);
  putStagedBlob(*this, blob, staged);
}

void putStagedBlob(ImageSink& sink, const Descriptor& blob, const std::filesystem::path& staged) {
  struct Remove {
    const std::filesystem::path& path;
    ~Remove() {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);  // a sink that moved the file leaves nothing to remove
    }
  } remove{staged};
  sink.putBlob(blob, staged);
}

}  // namespace ferry
