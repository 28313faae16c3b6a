#include "ferry/imagefs/layer_extract.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <vector>

#include "ferry/base/error.h"
#include "ferry/imagefs/tar_reader.h"
#include "ferry/base/strings.h"

namespace ferry {
namespace {

namespace fs = std::filesystem;

// ---- paths -------------------------------------------------------------------

// A tar entry's name as a path relative to the image root ("" is the root).
std::string entryPath(std::string_view name, const std::string& layerName) {
  if (name.starts_with('/'))
    fail("refused entry '{}' in layer {}: absolute paths are not allowed in image layers", name, layerName);
  std::string out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    auto part = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..")
      fail("refused entry '{}' in layer {}: a '..' component would leave the image root", name, layerName);
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

// `path` is `directory` or lies under it.
bool isInside(const std::string& path, const std::string& directory) {
  return path == directory ||
         (path.size() > directory.size() && path.starts_with(directory) && path[directory.size()] == '/');
}

// `path` is a proper parent of `directory` (the root "" is everybody's parent).
bool isAncestor(const std::string& path, const std::string& directory) {
  return path.empty() ||
         (directory.size() > path.size() && directory.starts_with(path) && directory[path.size()] == '/');
}

std::string relativeTo(const std::string& path, const std::string& directory) {
  return path == directory ? std::string() : path.substr(directory.size() + 1);
}

std::string parentOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

struct Whiteout {
  bool opaque = false;
  bool ignored = false;  // AUFS bookkeeping (.wh..wh.plnk, ...): no meaning for the image
  std::string path;      // opaque: the directory whose lower content is hidden; else what is removed
};

std::optional<Whiteout> whiteoutOf(const std::string& path) {
  auto slash = path.rfind('/');
  std::string parent = slash == std::string::npos ? std::string() : path.substr(0, slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (!base.starts_with(".wh.")) return std::nullopt;
  if (base == ".wh..wh..opq") return Whiteout{.opaque = true, .ignored = false, .path = parent};
  if (base.starts_with(".wh..wh.") || base.size() == 4) return Whiteout{.opaque = false, .ignored = true, .path = {}};
  std::string name = base.substr(4);
  return Whiteout{.opaque = false, .ignored = false, .path = parent.empty() ? name : parent + "/" + name};
}

// A symbolic link's target, from the link at `linkPath` (image-root relative),
// resolved lexically; nullopt when it climbs above the root.
std::optional<std::string> resolveLink(const std::string& linkPath, std::string_view target) {
  std::vector<std::string> parts;
  auto push = [&](std::string_view path) {
    size_t start = 0;
    while (start <= path.size()) {
      size_t slash = path.find('/', start);
      auto part = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
      if (part == "..") {
        if (parts.empty()) return false;
        parts.pop_back();
      } else if (!part.empty() && part != ".") {
        parts.emplace_back(part);
      }
      if (slash == std::string_view::npos) break;
      start = slash + 1;
    }
    return true;
  };
  if (!target.starts_with('/') && !push(parentOf(linkPath))) return std::nullopt;
  if (!push(target)) return std::nullopt;
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "/") + part;
  return out;
}

// ---- decompression -----------------------------------------------------------

// A layer's tar bytes, decompressed as the tar reader asks for them.
class LayerTarInput : public TarInput {
 public:
  LayerTarInput(LayerBytes& bytes, LayerCompression compression, const std::string& layerName)
      : bytes_(bytes), compression_(compression), layerName_(layerName) {
    if (compression_ == LayerCompression::Gzip) {
      // windowBits 15 + 32: zlib or gzip wrapper, detected from the header.
      if (inflateInit2(&zip_, 15 + 32) != Z_OK) fail("cannot read layer {}: cannot start gzip decompression", layerName_);
      zipOpen_ = true;
    } else if (compression_ == LayerCompression::Zstd) {
      zstd_ = ZSTD_createDStream();
      if (zstd_ == nullptr || ZSTD_isError(ZSTD_initDStream(zstd_)))
        fail("cannot read layer {}: cannot start zstd decompression", layerName_);
    }
  }
  ~LayerTarInput() override {
    if (zipOpen_) inflateEnd(&zip_);
    if (zstd_) ZSTD_freeDStream(zstd_);
  }
  LayerTarInput(const LayerTarInput&) = delete;
  LayerTarInput& operator=(const LayerTarInput&) = delete;

  size_t read(char* buffer, size_t size) override {
    while (true) {
      if (input_.empty() && !inputEnded_) {
        input_ = bytes_.next();
        if (input_.empty()) inputEnded_ = true;
      }
      switch (compression_) {
        case LayerCompression::None: {
          size_t n = std::min(size, input_.size());
          std::memcpy(buffer, input_.data(), n);
          input_.remove_prefix(n);
          if (n > 0 || inputEnded_) return n;
          break;
        }
        case LayerCompression::Gzip: {
          if (streamEnded_) {
            if (input_.empty()) return 0;  // the input ended with the gzip stream
            inflateReset(&zip_);  // another gzip member follows (concatenated gzip)
            streamEnded_ = false;
          }
          if (inputEnded_ && !sawInput_) return 0;  // an empty layer
          sawInput_ = true;
          zip_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input_.data()));
          zip_.avail_in = static_cast<uInt>(input_.size());
          zip_.next_out = reinterpret_cast<Bytef*>(buffer);
          zip_.avail_out = static_cast<uInt>(size);
          int result = inflate(&zip_, Z_NO_FLUSH);
          input_.remove_prefix(input_.size() - zip_.avail_in);
          size_t produced = size - zip_.avail_out;
          if (result == Z_STREAM_END) streamEnded_ = true;
          else if (result != Z_OK && result != Z_BUF_ERROR)
            fail("cannot read layer {}: the gzip stream is damaged ({}); the layer is not a valid tar archive of its "
                 "media type",
                 layerName_, zip_.msg ? zip_.msg : "unknown error");
          if (produced > 0) return produced;
          if (!streamEnded_ && inputEnded_ && input_.empty())
            fail("cannot read layer {}: the gzip stream ends early; the layer is not a valid tar archive of its media "
                 "type",
                 layerName_);
          break;
        }
        case LayerCompression::Zstd: {
          if (inputEnded_ && input_.empty() && (frameEnded_ || !sawInput_)) return 0;
          sawInput_ = true;
          ZSTD_inBuffer in{input_.data(), input_.size(), 0};
          ZSTD_outBuffer out{buffer, size, 0};
          size_t result = ZSTD_decompressStream(zstd_, &out, &in);
          if (ZSTD_isError(result))
            fail("cannot read layer {}: the zstd stream is damaged ({}); the layer is not a valid tar archive of its "
                 "media type",
                 layerName_, ZSTD_getErrorName(result));
          input_.remove_prefix(in.pos);
          frameEnded_ = result == 0;
          if (out.pos > 0) return out.pos;
          if (!frameEnded_ && inputEnded_ && input_.empty())
            fail("cannot read layer {}: the zstd stream ends early; the layer is not a valid tar archive of its media "
                 "type",
                 layerName_);
          break;
        }
      }
    }
  }

 private:
  LayerBytes& bytes_;
  LayerCompression compression_;
  const std::string& layerName_;
  std::string_view input_;  // what is left of the last chunk
  bool inputEnded_ = false;
  bool sawInput_ = false;
  z_stream zip_{};
  bool zipOpen_ = false;
  bool streamEnded_ = false;
  ZSTD_DStream* zstd_ = nullptr;
  bool frameEnded_ = false;
};

// A layer being read: its decompressed bytes and the tar reader over them.
struct LayerReader {
  LayerTarInput input;
  TarReader tar;
  LayerReader(LayerBytes& bytes, LayerCompression compression, const std::string& layerName)
      : input(bytes, compression, layerName), tar(input, "layer " + layerName) {}
};

// Whether the entry can change what `directory` holds (see layerTouchesDirectory).
bool entryTouches(const std::string& path, const TarMemberHeader& entry, const std::string& directory) {
  if (auto whiteout = whiteoutOf(path))
    return !whiteout->ignored && (isInside(whiteout->path, directory) || isAncestor(whiteout->path, directory));
  if (isInside(path, directory)) return true;
  if (isAncestor(path, directory)) return !entry.isDirectory();
  return false;
}

Digest hashFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail("cannot read '{}'", file.string());
  Hasher hasher;
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0) hasher.update(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  return hasher.finish();
}

}  // namespace

LayerCompression layerCompression(std::string_view mediaType) {
  static constexpr std::string_view kTarTypes[] = {
      "application/vnd.oci.image.layer.v1.tar",
      "application/vnd.oci.image.layer.nondistributable.v1.tar",
      "application/vnd.docker.image.rootfs.diff.tar",
      "application/vnd.docker.image.rootfs.foreign.diff.tar",
  };
  for (auto type : kTarTypes) {
    if (!mediaType.starts_with(type)) continue;
    auto suffix = mediaType.substr(type.size());
    if (suffix.empty()) return LayerCompression::None;
    if (suffix == "+gzip" || suffix == ".gzip") return LayerCompression::Gzip;
    if (suffix == "+zstd" || suffix == ".zstd") return LayerCompression::Zstd;
  }
  fail("layer media type '{}' is not a tar layer ferry can read (plain, gzip or zstd)", mediaType);
}

std::string imageDirectoryPath(std::string_view path) {
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    auto part = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..") fail("directory '{}' has a '..' component; it must be a plain path such as /configs", path);
    if (!part.empty() && part != ".") out += (out.empty() ? "" : "/") + std::string(part);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (out.empty()) fail("directory '{}' is the image root; a catalog directory such as /configs is expected", path);
  return out;
}

bool layerTouchesDirectory(LayerBytes& bytes, LayerCompression compression, const std::string& directory,
                           const std::string& layerName) {
  LayerReader reader(bytes, compression, layerName);
  while (auto entry = reader.tar.next()) {
    if (entryTouches(entryPath(entry->path, layerName), *entry, directory)) return true;
  }
  bytes.finish();
  return false;
}

// ---- extraction --------------------------------------------------------------

struct DirectoryExtractor::Layer {
  std::string name;
  // Paths (relative to the directory, "" for itself) this layer created; whiteouts leave them alone.
  std::set<std::string> written;

  bool hasWrittenBelow(const std::string& relative) const {
    std::string prefix = relative.empty() ? std::string() : relative + "/";
    for (auto it = written.lower_bound(prefix); it != written.end() && it->starts_with(prefix); ++it)
      if (*it != relative) return true;
    return false;
  }
};

DirectoryExtractor::DirectoryExtractor(std::string directory, fs::path target, uint64_t maxBytes)
    : directory_(std::move(directory)), target_(std::move(target)), maxBytes_(maxBytes) {}

void DirectoryExtractor::apply(LayerBytes& bytes, LayerCompression compression, const std::string& layerName) {
  LayerReader reader(bytes, compression, layerName);
  Layer layer{.name = layerName, .written = {}};
  while (auto entry = reader.tar.next()) applyEntry(reader.tar, *entry, layer);
  bytes.finish();
}

// Makes the parents of `relative` real directories (creating missing ones) and
// clears what is at `relative` unless it is a directory and one is wanted.
fs::path DirectoryExtractor::prepare(const std::string& relative, Layer& layer) {
  std::error_code error;
  fs::create_directories(target_, error);
  if (error) fail("cannot create '{}': {}", target_.string(), error.message());
  exists_ = true;
  fs::path current = target_;
  std::string currentRelative;
  std::string parent = parentOf(relative);
  size_t start = 0;
  while (!parent.empty() && start <= parent.size()) {
    size_t slash = parent.find('/', start);
    std::string part = parent.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    current /= part;
    currentRelative += (currentRelative.empty() ? "" : "/") + part;
    auto status = fs::symlink_status(current, error);
    if (fs::is_symlink(status))
      fail("refused entry '{}/{}' in layer {}: it would be written through the symbolic link '{}/{}'", directory_,
           relative, layer.name, directory_, currentRelative);
    if (fs::exists(status) && !fs::is_directory(status)) fs::remove(current);
    if (!fs::is_directory(status)) {
      fs::create_directory(current, error);
      if (error) fail("cannot create '{}': {}", current.string(), error.message());
      layer.written.insert(currentRelative);
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return target_ / relative;
}

void DirectoryExtractor::applyEntry(TarReader& tar, const TarMemberHeader& entry, Layer& layer) {
  std::string path = entryPath(entry.path, layer.name);
  if (auto found = whiteoutOf(path)) {
    if (found->ignored) return;
    bool inside = isInside(found->path, directory_);
    if (!inside && !isAncestor(found->path, directory_)) return;
    std::string relative = inside ? relativeTo(found->path, directory_) : std::string();
    if (found->opaque) {
      hideLower(relative, layer);
    } else {
      whiteout(relative, layer);
    }
    return;
  }

  const bool directory = entry.isDirectory();
  if (isAncestor(path, directory_) || path == directory_) {
    if (entry.isSymlink())
      fail("refused entry '{}' in layer {}: it is a symbolic link, but /{} must be a directory inside the image; "
           "ferry does not follow links out of the catalog directory",
           path, layer.name, directory_);
    if (!directory) {
      whiteout("", layer);  // a file replaces the directory or its parent
    } else if (path == directory_) {
      prepare("", layer);
      layer.written.insert("");
    }
    return;
  }
  if (!isInside(path, directory_)) return;
  std::string relative = relativeTo(path, directory_);

  if (entry.isHardLink()) {
    const std::string& hardlink = entry.linkTarget;
    std::string linked = entryPath(hardlink, layer.name);
    if (!isInside(linked, directory_) || linked == directory_)
      fail("refused hard link '{}' -> '{}' in layer {}: it points outside /{}", path, hardlink, layer.name, directory_);
    std::string linkedRelative = relativeTo(linked, directory_);
    // The target must be a regular file reached through real directories only.
    fs::path source = target_;
    std::error_code error;
    for (const auto& part : fs::path(linkedRelative)) {
      source /= part;
      if (fs::is_symlink(fs::symlink_status(source, error)))
        fail("refused hard link '{}' -> '{}' in layer {}: its target goes through a symbolic link", path, hardlink,
             layer.name);
    }
    if (!fs::is_regular_file(fs::symlink_status(source, error)))
      fail("refused hard link '{}' -> '{}' in layer {}: its target is not a regular file extracted before it", path,
           hardlink, layer.name);
    auto destination = prepare(relative, layer);
    if (destination == source) return;
    fs::remove_all(destination, error);
    fs::copy_file(source, destination, error);
    if (error) fail("cannot copy '{}' to '{}': {}", source.string(), destination.string(), error.message());
    fs::permissions(destination, fs::perms(0644), error);
    layer.written.insert(relative);
    return;
  }

  std::error_code error;
  if (entry.isDirectory()) {
    auto destination = prepare(relative, layer);
    auto status = fs::symlink_status(destination, error);
    if (fs::exists(status) && !fs::is_directory(status)) fs::remove(destination);
    if (!fs::is_directory(status)) fs::create_directory(destination, error);
    if (error) fail("cannot create '{}': {}", destination.string(), error.message());
    layer.written.insert(relative);
    return;
  } else if (entry.isFile()) {
    // The tar header declares the size: refuse before inflating anything.
    auto declared = entry.size;
    if (declared < 0 || static_cast<uint64_t>(declared) > maxBytes_ - std::min(extractedBytes_, maxBytes_))
      fail("refused '{}' in layer {}: {} bytes would take the catalog directory /{} past {}, ferry's limit for "
           "an extracted catalog (see docs/limits.md)",
           path, layer.name, declared, directory_, limitText(maxBytes_));
    extractedBytes_ += static_cast<uint64_t>(declared);
    auto destination = prepare(relative, layer);
    fs::remove_all(destination, error);
    int fd = ::open(destination.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) fail("cannot create '{}': {}", destination.string(), std::strerror(errno));
    struct Close {
      int fd;
      ~Close() { ::close(fd); }
    } closer{fd};
    std::vector<char> buffer(1 << 16);
    int64_t offset = 0;
    while (size_t got = tar.readData(buffer.data(), buffer.size())) {
      const char* data = buffer.data();
      while (got > 0) {
        auto written = ::pwrite(fd, data, got, offset);
        if (written < 0) fail("cannot write '{}': {}", destination.string(), std::strerror(errno));
        data += written;
        got -= static_cast<size_t>(written);
        offset += written;
      }
    }
    layer.written.insert(relative);
    return;
  } else if (entry.isSymlink()) {
    const std::string& target = entry.linkTarget;
    if (target.empty()) fail("refused symbolic link '{}' in layer {}: it has no target", path, layer.name);
    auto resolved = resolveLink(path, target);
    if (!resolved || !isInside(*resolved, directory_))
      fail("refused symbolic link '{}' -> '{}' in layer {}: it points outside /{}", path, target, layer.name,
           directory_);
    // Written relative to the link's own (real) directory, so it cannot leave the extracted tree.
    auto linkTarget = (fs::path("/") / relativeTo(*resolved, directory_))
                          .lexically_normal()
                          .lexically_relative(fs::path("/" + relative).parent_path());
    if (linkTarget.empty()) linkTarget = ".";
    auto destination = prepare(relative, layer);
    fs::remove_all(destination, error);
    fs::create_symlink(linkTarget, destination, error);
    if (error) fail("cannot create link '{}': {}", destination.string(), error.message());
    layer.written.insert(relative);
    return;
  } else {
    fail("refused entry '{}' in layer {}: only regular files, directories and links may be in the catalog "
         "directory /{}",
         path, layer.name, directory_);
  }
}

// Removes `relative` as the layers below left it (see the header on whiteouts).
void DirectoryExtractor::whiteout(const std::string& relative, Layer& layer) {
  if (relative.empty()) {
    hideLower("", layer);
    if (!layer.written.contains("") && !layer.hasWrittenBelow("")) exists_ = false;
    return;
  }
  if (layer.written.contains(relative)) return;  // the same layer's entry stays
  // Only through real directories: a whiteout below a link names nothing that was extracted.
  fs::path current = target_;
  std::error_code error;
  for (const auto& part : fs::path(parentOf(relative))) {
    current /= part;
    if (!fs::is_directory(fs::symlink_status(current, error))) return;
  }
  if (layer.hasWrittenBelow(relative)) {
    hideLower(relative, layer);
  } else {
    fs::remove_all(target_ / relative, error);
    if (error) fail("cannot remove '{}': {}", (target_ / relative).string(), error.message());
  }
}

// Removes what the layers below put under the directory `relative`, keeping this layer's entries.
void DirectoryExtractor::hideLower(const std::string& relative, Layer& layer) {
  fs::path directory = target_ / relative;
  std::error_code error;
  if (!fs::is_directory(fs::symlink_status(directory, error))) return;
  std::vector<fs::path> children;
  for (const auto& child : fs::directory_iterator(directory)) children.push_back(child.path());
  for (const auto& child : children) {
    std::string childRelative = (relative.empty() ? "" : relative + "/") + child.filename().string();
    bool kept = layer.written.contains(childRelative) || layer.hasWrittenBelow(childRelative);
    if (!kept) {
      fs::remove_all(child, error);
      if (error) fail("cannot remove '{}': {}", child.string(), error.message());
    } else if (fs::is_directory(fs::symlink_status(child, error))) {
      hideLower(childRelative, layer);
    }
  }
}

std::string directoryContentKey(const fs::path& root) {
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    auto relative = entry.path().lexically_relative(root).generic_string();
    if (entry.is_symlink()) {
      items.emplace_back(relative, "link " + fs::read_symlink(entry.path()).generic_string());
    } else if (entry.is_regular_file()) {
      items.emplace_back(relative, "file " + hashFile(entry.path()).str());
    }
  }
  std::sort(items.begin(), items.end());
  Hasher hasher;
  for (const auto& [path, what] : items) {
    hasher.update(path);
    hasher.update(std::string_view("\0", 1));
    hasher.update(what);
    hasher.update("\n");
  }
  return std::string(hasher.finish().hex());
}

}  // namespace ferry
