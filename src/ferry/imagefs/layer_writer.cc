#include "ferry/imagefs/layer_writer.h"

#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <vector>

#include "ferry/base/error.h"
#include "ferry/imagefs/tar_writer.h"

namespace ferry {
namespace {

namespace fs = std::filesystem;

constexpr int kGzipLevel = 9;  // catalogs are JSON text: worth the few extra milliseconds

// Entry paths are relative and plain: no empty, "." or ".." components.
void checkPath(std::string_view path) {
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    auto part = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..")
      fail("layer entry path '{}' must be relative, with no empty, '.' or '..' components", path);
    if (slash == std::string_view::npos) return;
    start = slash + 1;
  }
}

}  // namespace

struct LayerWriter::State {
  fs::path file;
  std::ofstream out;
  z_stream zip{};
  bool zipOpen = false;
  std::unique_ptr<TarWriter> tar;
  Hasher tarHash;
  Hasher blobHash;
  int64_t size = 0;
  bool finished = false;

  void compress(const void* data, size_t length, int flush) {
    zip.next_in = static_cast<Bytef*>(const_cast<void*>(data));
    zip.avail_in = static_cast<uInt>(length);
    unsigned char chunk[64 * 1024];
    while (true) {
      zip.next_out = chunk;
      zip.avail_out = sizeof chunk;
      int result = deflate(&zip, flush);
      if (result == Z_STREAM_ERROR) fail("gzip compression of layer '{}' failed", file.string());
      size_t produced = sizeof chunk - zip.avail_out;
      if (produced > 0) {
        blobHash.update(chunk, produced);
        out.write(reinterpret_cast<const char*>(chunk), static_cast<std::streamsize>(produced));
        if (!out) fail("cannot write layer '{}'", file.string());
        size += static_cast<int64_t>(produced);
      }
      bool done = flush == Z_FINISH ? result == Z_STREAM_END : zip.avail_in == 0 && zip.avail_out != 0;
      if (done) return;
    }
  }

  // The tar as it is written: hashed (the diff_id), then compressed.
  void writeTar(const char* data, size_t length) {
    tarHash.update(data, length);
    compress(data, length, Z_NO_FLUSH);
  }
};

LayerWriter::LayerWriter(fs::path file) : state_(std::make_unique<State>()) {
  state_->file = std::move(file);
  state_->out.open(state_->file, std::ios::binary | std::ios::trunc);
  if (!state_->out) fail("cannot create layer file '{}'", state_->file.string());
  // windowBits 15 + 16: a gzip wrapper, whose header zlib writes with no name and time 0.
  if (deflateInit2(&state_->zip, kGzipLevel, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    fail("cannot start gzip compression for layer '{}'", state_->file.string());
  state_->zipOpen = true;
  auto* state = state_.get();
  state_->tar = std::make_unique<TarWriter>([state](const char* data, size_t length) { state->writeTar(data, length); },
                                            TarStyle{.modificationTime = kLayerEntryTime, .ownerName = ""},
                                            fmt::format("layer '{}'", state_->file.string()));
}

LayerWriter::~LayerWriter() {
  if (state_->zipOpen) deflateEnd(&state_->zip);
  if (!state_->finished) {
    state_->out.close();
    std::error_code ignored;
    fs::remove(state_->file, ignored);
  }
}

void LayerWriter::addDirectory(std::string_view path) {
  checkPath(path);
  state_->tar->addDirectory(path);
}

void LayerWriter::addFile(std::string_view path, std::string_view content) {
  checkPath(path);
  state_->tar->add(path, content);
}

void LayerWriter::addFileFrom(std::string_view path, const fs::path& source) {
  checkPath(path);
  std::error_code error;
  auto length = fs::file_size(source, error);
  if (error) fail("cannot read '{}': {}", source.string(), error.message());
  state_->tar->addFile(path, source, static_cast<int64_t>(length));
}

void LayerWriter::addWhiteout(std::string_view path) {
  checkPath(path);
  auto slash = path.rfind('/');
  std::string name = slash == std::string_view::npos
                         ? ".wh." + std::string(path)
                         : std::string(path.substr(0, slash + 1)) + ".wh." + std::string(path.substr(slash + 1));
  state_->tar->add(name, "");
}

void LayerWriter::addTree(std::string_view at, const fs::path& directory) {
  if (!fs::is_directory(fs::symlink_status(directory)))
    fail("cannot add '{}' to a layer: it is not a directory", directory.string());
  std::vector<std::pair<std::string, bool>> entries;  // relative path, is a directory
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    auto relative = entry.path().lexically_relative(directory).generic_string();
    if (entry.is_symlink() || (!entry.is_directory() && !entry.is_regular_file()))
      fail("cannot add '{}' to a layer: only regular files and directories are written", entry.path().string());
    entries.emplace_back(relative, entry.is_directory());
  }
  std::sort(entries.begin(), entries.end());
  addDirectory(at);
  for (const auto& [relative, isDirectory] : entries) {
    std::string path = std::string(at) + "/" + relative;
    if (isDirectory) {
      addDirectory(path);
    } else {
      addFileFrom(path, directory / relative);
    }
  }
}

WrittenLayer LayerWriter::finish() {
  state_->tar->close();
  state_->compress(nullptr, 0, Z_FINISH);
  deflateEnd(&state_->zip);
  state_->zipOpen = false;
  state_->out.close();
  if (!state_->out) fail("cannot write layer '{}'", state_->file.string());
  state_->finished = true;
  return WrittenLayer{.file = state_->file,
                      .digest = state_->blobHash.finish(),
                      .diffId = state_->tarHash.finish(),
                      .size = state_->size};
}

}  // namespace ferry
