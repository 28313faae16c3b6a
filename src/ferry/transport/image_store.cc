#include "ferry/transport/image_store.h"

#include <system_error>

#include "ferry/base/files.h"

namespace ferry {

void ImageSink::putBlobBytes(const Descriptor& blob, std::string bytes) {
  auto directory = stagingDirectory().value_or(std::filesystem::temp_directory_path());
  auto staged = uniqueTemporaryPath(directory, blob.digest.hex());
  writeFileAtomically(staged, bytes);
  try {
    putBlob(blob, staged);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(staged, ignored);
    throw;
  }
  std::error_code ignored;
  std::filesystem::remove(staged, ignored);  // a sink that moved the file leaves nothing to remove
}

}  // namespace ferry
