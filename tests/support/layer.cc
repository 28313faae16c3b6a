#include "support/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include <memory>
#include <vector>

#include "ferry/base/error.h"
#include "support/random.h"

namespace ferry::testing {
namespace {

constexpr int64_t kFixedTime = 1704067200;  // 2024-01-01T00:00:00Z, also the configs' "created"

// Takes the tar stream as libarchive produces it: hashes it for the diff_id and
// gzips it into the blob, so the uncompressed tar is never held whole.
class GzipSink {
 public:
  explicit GzipSink(int level) {
    // windowBits 15 + 16 asks zlib for a gzip wrapper; its header has mtime 0 and no file name.
    if (deflateInit2(&stream_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      fail("cannot start gzip compression for a test layer (level {})", level);
    }
  }
  ~GzipSink() { deflateEnd(&stream_); }

  void write(const void* data, size_t size) {
    tarHash_.update(data, size);
    stream_.next_in = static_cast<Bytef*>(const_cast<void*>(data));
    stream_.avail_in = static_cast<uInt>(size);
    pump(Z_NO_FLUSH);
  }

  LayerBlob finish() {
    stream_.next_in = nullptr;
    stream_.avail_in = 0;
    pump(Z_FINISH);
    auto digest = Digest::sha256Of(out_);
    return LayerBlob{std::move(out_), digest, tarHash_.finish()};
  }

 private:
  void pump(int flush) {
    unsigned char chunk[256 * 1024];
    while (true) {
      stream_.next_out = chunk;
      stream_.avail_out = sizeof chunk;
      int result = deflate(&stream_, flush);
      if (result == Z_STREAM_ERROR) fail("gzip compression of a test layer failed");
      out_.append(reinterpret_cast<char*>(chunk), sizeof chunk - stream_.avail_out);
      bool done = flush == Z_FINISH ? result == Z_STREAM_END : stream_.avail_in == 0 && stream_.avail_out != 0;
      if (done) return;
    }
  }

  z_stream stream_{};
  Hasher tarHash_;
  std::string out_;
};

la_ssize_t writeToSink(struct archive*, void* client, const void* buffer, size_t length) {
  static_cast<GzipSink*>(client)->write(buffer, length);
  return static_cast<la_ssize_t>(length);
}

struct ArchiveDeleter {
  void operator()(struct archive* archive) const { archive_write_free(archive); }
};
struct EntryDeleter {
  void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};

void check(struct archive* archive, int result, const char* what) {
  if (result < ARCHIVE_WARN) fail("cannot write a test layer: {} failed: {}", what, archive_error_string(archive));
}

std::unique_ptr<archive_entry, EntryDeleter> newEntry(const std::string& path, mode_t type, int permissions,
                                                      int64_t size) {
  std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(), path.c_str());
  archive_entry_set_filetype(entry.get(), type);
  archive_entry_set_perm(entry.get(), permissions);
  archive_entry_set_size(entry.get(), size);
  archive_entry_set_mtime(entry.get(), kFixedTime, 0);
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  archive_entry_set_uname(entry.get(), "root");
  archive_entry_set_gname(entry.get(), "root");
  return entry;
}

}  // namespace

LayerBlob makeTarLayer(uint64_t seed, uint64_t contentSize, int gzipLevel) {
  GzipSink sink(gzipLevel);
  std::unique_ptr<struct archive, ArchiveDeleter> owner(archive_write_new());
  struct archive* tar = owner.get();
  check(tar, archive_write_set_format_ustar(tar), "choosing the ustar format");
  check(tar, archive_write_open2(tar, &sink, nullptr, writeToSink, nullptr, nullptr), "opening the tar stream");

  // Every layer writes its own directory, so stacked layers add files rather than replace them.
  auto directory = fmt::format("fixture-{:016x}", seed);
  check(tar, archive_write_header(tar, newEntry(directory + "/", AE_IFDIR, 0755, 0).get()), "a directory header");

  constexpr uint64_t kFiles = 3;
  Random random(seed);
  std::vector<char> buffer(1 << 20);
  for (uint64_t file = 0; file < kFiles; ++file) {
    uint64_t size = contentSize / kFiles + (file == kFiles - 1 ? contentSize % kFiles : 0);
    auto path = fmt::format("{}/part-{}.bin", directory, file);
    check(tar, archive_write_header(tar, newEntry(path, AE_IFREG, 0644, static_cast<int64_t>(size)).get()),
          "a file header");
    for (uint64_t left = size; left > 0;) {
      size_t chunk = static_cast<size_t>(std::min<uint64_t>(left, buffer.size()));
      random.fill(buffer.data(), chunk);
      if (archive_write_data(tar, buffer.data(), chunk) != static_cast<la_ssize_t>(chunk)) {
        fail("cannot write a test layer: writing file data failed: {}", archive_error_string(tar));
      }
      left -= chunk;
    }
  }
  check(tar, archive_write_close(tar), "finishing the tar stream");
  return sink.finish();
}

}  // namespace ferry::testing
