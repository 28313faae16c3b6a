// Writing an image layer whose bytes depend only on what is put in it.
//
// The tar (tar_writer.h) is PAX (ustar headers, extended headers only where ustar cannot hold
// a name), every entry owned by 0:0 with no user or group names, directories
// 0755 and files 0644, and one fixed modification time; addTree adds a
// directory's content in sorted order. The gzip stream carries no file name and
// a zero time. So the same content gives the same blob and the same digest on
// every run (for one zlib build), and a re-run pushes nothing new.
//
// The tar is hashed as it is written (the diff_id an image config lists) and the
// compressed bytes as they reach the file (the blob digest); nothing is held in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "ferry/digest/digest.h"

namespace ferry {

struct WrittenLayer {
  std::filesystem::path file;  // the compressed blob
  Digest digest;               // of the blob
  Digest diffId;               // of the uncompressed tar
  int64_t size = 0;            // of the blob
};

class LayerWriter {
 public:
  // Writes to `file` (created or truncated). The file is removed unless finish() succeeds.
  explicit LayerWriter(std::filesystem::path file);
  ~LayerWriter();
  LayerWriter(const LayerWriter&) = delete;
  LayerWriter& operator=(const LayerWriter&) = delete;

  // Paths are relative to the image root ("configs/pkg/catalog.json"), without a leading slash.
  void addDirectory(std::string_view path);
  void addFile(std::string_view path, std::string_view content);
  void addFileFrom(std::string_view path, const std::filesystem::path& source);
  // `path` removed from the layers below: writes PARENT/.wh.NAME.
  void addWhiteout(std::string_view path);
  // `directory` itself as `at`, then everything in it, sorted by path. Only
  // regular files and directories are accepted (throws Error otherwise).
  void addTree(std::string_view at, const std::filesystem::path& directory);

  WrittenLayer finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The fixed time every entry carries: the Unix epoch.
inline constexpr int64_t kLayerEntryTime = 0;

}  // namespace ferry
