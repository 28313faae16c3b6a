#include "ferry/imagefs/layer_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <vector>

#include "ferry/base/error.h"

namespace ferry::catalog {
namespace {

namespace fs = std::filesystem;

constexpr int kGzipLevel = 9;  // catalogs are JSON text: worth the few extra milliseconds

struct EntryDeleter {
  void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};
using EntryPointer = std::unique_ptr<archive_entry, EntryDeleter>;

EntryPointer newEntry(std::string_view path, mode_t type, int permissions, int64_t size) {
  EntryPointer entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(), std::string(path).c_str());
  archive_entry_set_filetype(entry.get(), type);
  archive_entry_set_perm(entry.get(), permissions);
  archive_entry_set_size(entry.get(), size);
  archive_entry_set_mtime(entry.get(), kLayerEntryTime, 0);
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  return entry;
}

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
  struct archive* tar = nullptr;
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

  static la_ssize_t writeTar(struct archive* archive, void* client, const void* buffer, size_t length) {
    auto* state = static_cast<State*>(client);
    try {
      state->tarHash.update(buffer, length);
      state->compress(buffer, length, Z_NO_FLUSH);
      return static_cast<la_ssize_t>(length);
    } catch (const std::exception& e) {
      archive_set_error(archive, EIO, "%s", e.what());
      return -1;
    }
  }

  void check(int result, std::string_view what) {
    if (result < ARCHIVE_WARN) {
      const char* message = archive_error_string(tar);
      fail("cannot write layer '{}': {} failed: {}", file.string(), what, message ? message : "unknown error");
    }
  }

  void header(std::string_view path, mode_t type, int permissions, int64_t length) {
    checkPath(path);
    check(archive_write_header(tar, newEntry(path, type, permissions, length).get()),
          fmt::format("the header of '{}'", path));
  }

  void data(const char* bytes, size_t length) {
    if (archive_write_data(tar, bytes, length) != static_cast<la_ssize_t>(length)) check(ARCHIVE_FATAL, "file data");
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
  state_->tar = archive_write_new();
  state_->check(archive_write_set_format_pax_restricted(state_->tar), "choosing the PAX format");
  state_->check(archive_write_set_bytes_in_last_block(state_->tar, 1), "setting the block size");
  state_->check(archive_write_open2(state_->tar, state_.get(), nullptr, &State::writeTar, nullptr, nullptr),
                "opening the tar stream");
}

LayerWriter::~LayerWriter() {
  if (state_->tar) archive_write_free(state_->tar);
  if (state_->zipOpen) deflateEnd(&state_->zip);
  if (!state_->finished) {
    state_->out.close();
    std::error_code ignored;
    fs::remove(state_->file, ignored);
  }
}

void LayerWriter::addDirectory(std::string_view path) { state_->header(path, AE_IFDIR, 0755, 0); }

void LayerWriter::addFile(std::string_view path, std::string_view content) {
  state_->header(path, AE_IFREG, 0644, static_cast<int64_t>(content.size()));
  state_->data(content.data(), content.size());
}

void LayerWriter::addFileFrom(std::string_view path, const fs::path& source) {
  std::error_code error;
  auto length = fs::file_size(source, error);
  if (error) fail("cannot read '{}': {}", source.string(), error.message());
  std::ifstream in(source, std::ios::binary);
  if (!in) fail("cannot read '{}'", source.string());
  state_->header(path, AE_IFREG, 0644, static_cast<int64_t>(length));
  std::vector<char> buffer(1 << 16);
  uintmax_t copied = 0;
  while (in && copied < length) {
    in.read(buffer.data(), static_cast<std::streamsize>(std::min<uintmax_t>(buffer.size(), length - copied)));
    auto got = static_cast<size_t>(in.gcount());
    state_->data(buffer.data(), got);
    copied += got;
  }
  if (copied != length) fail("'{}' changed while it was added to a layer", source.string());
}

void LayerWriter::addWhiteout(std::string_view path) {
  checkPath(path);
  auto slash = path.rfind('/');
  std::string name = slash == std::string_view::npos
                         ? ".wh." + std::string(path)
                         : std::string(path.substr(0, slash + 1)) + ".wh." + std::string(path.substr(slash + 1));
  state_->header(name, AE_IFREG, 0644, 0);
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
  state_->check(archive_write_close(state_->tar), "finishing the tar stream");
  archive_write_free(state_->tar);
  state_->tar = nullptr;
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

}  // namespace ferry::catalog
