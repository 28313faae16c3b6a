// Reading one directory of an image (a catalog's configs directory) out of its
// layers, applied bottom to top the way a container runtime applies them, but
// writing only what lies under that directory.
//
// Layers are tar archives, plain, gzip or zstd compressed (from the layer's
// media type), decompressed as they stream in and read by the one tar reader
// (tar_reader.h). Whiteouts are honoured:
// `DIR/.wh.NAME` removes NAME from the layers below, `DIR/.wh..wh..opq` hides
// everything the layers below put in DIR; both leave what the same layer adds
// alone (OCI image spec, "Whiteouts"). A whiteout of the directory itself or
// of one of its parents empties it.
//
// Refused, with an Error naming the layer and the entry:
//   - entries with an absolute path or a `..` component, in any layer;
//   - entries that would be written through a symbolic link;
//   - hard links and symbolic links that point outside the directory (links
//     inside it are kept: a hard link becomes a copy of its target, a symbolic
//     link a relative link);
//   - anything but regular files, directories and links inside the directory;
//   - the directory itself, or a parent of it, being a symbolic link.
// Files are written 0644 and directories 0755 whatever the layer says; owners
// and times are not kept.
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include "ferry/imagefs/blob_stream.h"

namespace ferry {

class TarReader;
struct TarMemberHeader;

enum class LayerCompression { None, Gzip, Zstd };

// The compression a layer media type names (OCI and Docker layer types, also
// non-distributable and foreign ones). Throws Error for a type that is not a tar layer.
LayerCompression layerCompression(std::string_view mediaType);

// "/configs/" → "configs": a directory inside an image as a relative path.
// Throws Error for an empty path, the root, or `..` components.
std::string imageDirectoryPath(std::string_view path);

// Something that yields a layer's compressed bytes in order (a BlobStream, or a
// string in tests). next() returns an empty view at the end.
class LayerBytes {
 public:
  virtual ~LayerBytes() = default;
  virtual std::string_view next() = 0;
  // Called after the tar's end: reads what is left and checks it (a BlobStream's digest).
  virtual void finish() {}
};

// Adapts a BlobStream.
class BlobLayerBytes : public LayerBytes {
 public:
  explicit BlobLayerBytes(BlobStream& stream) : stream_(stream) {}
  std::string_view next() override { return stream_.next(); }
  void finish() override { stream_.finish(); }

 private:
  BlobStream& stream_;
};

// A whole layer held in memory.
class StringLayerBytes : public LayerBytes {
 public:
  explicit StringLayerBytes(std::string_view bytes) : bytes_(bytes) {}
  std::string_view next() override {
    auto chunk = bytes_;
    bytes_ = {};
    return chunk;
  }

 private:
  std::string_view bytes_;
};

// Whether applying the layer can change what the directory `directory` (as
// imageDirectoryPath gives it) holds: an entry at or under it, a whiteout of
// it, of something in it or of a parent, or a parent replaced by a non-directory.
// Stops reading at the first such entry; reads (and finishes) the whole layer
// otherwise. `layerName` is used in messages.
bool layerTouchesDirectory(LayerBytes& bytes, LayerCompression compression, const std::string& directory,
                           const std::string& layerName);

// The most bytes of regular files one extraction writes, over all its layers
// (docs/limits.md): a catalog's configs are a few hundred MiB at most, while a
// small compressed layer can inflate to any size.
constexpr uint64_t kMaxExtractedBytes = uint64_t{2} << 30;

// Applies layers one after another to the part of the image under `directory`,
// writing it to `target`. A file whose declared size would take the files
// written so far past `maxBytes` is refused from its tar header, before any of
// it is inflated or written.
class DirectoryExtractor {
 public:
  DirectoryExtractor(std::string directory, std::filesystem::path target, uint64_t maxBytes = kMaxExtractedBytes);

  // Applies one layer on top of what the earlier ones left. Throws Error (naming `layerName`).
  void apply(LayerBytes& bytes, LayerCompression compression, const std::string& layerName);

  // Whether the directory exists after the layers applied so far.
  bool directoryExists() const { return exists_; }
  const std::filesystem::path& target() const { return target_; }

 private:
  struct Layer;
  void applyEntry(TarReader& tar, const TarMemberHeader& entry, Layer& layer);
  void whiteout(const std::string& relative, Layer& layer);
  void hideLower(const std::string& relative, Layer& layer);
  std::filesystem::path prepare(const std::string& relative, Layer& layer);

  std::string directory_;
  std::filesystem::path target_;
  uint64_t maxBytes_;
  uint64_t extractedBytes_ = 0;
  bool exists_ = false;
};

// A key for the content of an extracted directory: sha256 over its files' and
// links' relative paths (sorted) and their digests or link targets. Directories
// alone do not count (they do not change what a catalog holds).
std::string directoryContentKey(const std::filesystem::path& root);

}  // namespace ferry
