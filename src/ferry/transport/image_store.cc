#include "ferry/transport/image_store.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "ferry/base/error.h"

#include "ferry/base/files.h"

namespace ferry {

void ImageSink::putBlobBytes(const Descriptor& blob, std::string bytes) {
  auto directory = stagingDirectory().value_or(std::filesystem::temp_directory_path());
  auto staged = uniqueTemporaryPath(directory, blob.digest.hex());
  writeFileAtomically(staged, bytes);
  putStagedBlob(*this, blob, staged);
}

namespace {

// A blob arriving into a file of the sink's staging directory; the file is removed unless it was handed over.
class StagedFileWriter : public BlobWriter {
 public:
  explicit StagedFileWriter(std::filesystem::path path) : path_(std::move(path)) { open(); }
  ~StagedFileWriter() override {
    if (file_) std::fclose(file_);
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  bool write(const char* data, size_t size) override {
    if (std::fwrite(data, 1, size, file_) == size) return true;
    error_ = fmt::format("cannot write '{}': {}", path_.string(), std::strerror(errno));
    return false;
  }
  void restart() override {
    std::fclose(file_);
    open();
  }
  // Closes the file; throws when a write failed.
  const std::filesystem::path& close() {
    if (std::fclose(file_) != 0 && error_.empty()) error_ = fmt::format("cannot write '{}': {}", path_.string(), std::strerror(errno));
    file_ = nullptr;
    if (!error_.empty()) fail("{}", error_);
    return path_;
  }
  // Why a write failed (the producer then stops and throws its own message).
  const std::string& error() const { return error_; }

 private:
  void open() {
    file_ = std::fopen(path_.c_str(), "wb");
    if (!file_) fail("cannot create '{}': {}", path_.string(), std::strerror(errno));
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  }
  std::filesystem::path path_;
  FILE* file_ = nullptr;
  std::string error_;
};

}  // namespace

void ImageSink::writeBlob(const Descriptor& blob, const BlobProducer& produce) {
  auto directory = stagingDirectory();
  if (!directory)
    fail(ErrorKind::Unsupported, "{} cannot receive blob {}: it keeps no files and streams no blobs (a bug: the sink "
         "must implement writeBlob)", describe(), blob.digest.str());
  StagedFileWriter staged(uniqueTemporaryPath(*directory, blob.digest.hex()));
  try {
    produce(staged);
  } catch (const Error& e) {
    if (!staged.error().empty()) fail("{}: {}", describe(), staged.error());
    throw;
  }
  putStagedBlob(*this, blob, staged.close());
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
