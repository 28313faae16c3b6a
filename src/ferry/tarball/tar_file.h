// A tar file read in place: its members are listed from their headers and read
// with pread at their offsets, so nothing is ever extracted and nothing is
// written anywhere (a tar cannot place a file outside its target because it is
// never unpacked). Symbolic and hard links between members, which `docker save`
// and skopeo's docker-archive: write, are resolved inside the tar.
//
// Limits: at most kMaxMembers members, link chains of at most kMaxLinkDepth,
// small members (JSON documents) of at most the size the caller passes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "ferry/imagefs/tar_reader.h"
#include "ferry/transport/image_store.h"

namespace ferry {

class TarFile {
 public:
  static constexpr size_t kMaxMembers = 200000;
  static constexpr int kMaxLinkDepth = 8;

  // Opens and lists `path`; `kind` ("oci-archive", "docker-archive") is used in messages.
  TarFile(std::filesystem::path path, std::string kind);
  ~TarFile();
  TarFile(const TarFile&) = delete;
  TarFile& operator=(const TarFile&) = delete;

  // The regular file a member path names after following links, or nullptr.
  const TarMember* find(const std::string& memberPath) const;
  // Like find, but throws Error naming the archive when there is no such file.
  const TarMember& member(const std::string& memberPath) const;
  // A whole member, refused when larger than `limit` bytes (the limit is named in the message).
  std::string read(const std::string& memberPath, int64_t limit) const;
  // Streams a member's bytes to `out` in 1 MiB pieces.
  void stream(const TarMember& member, BlobWriter& out) const;
  // The first bytes of a member (at most `count`), to recognise compression.
  std::string head(const TarMember& member, int64_t count) const;

  const std::filesystem::path& path() const { return path_; }
  // "oci-archive '/x.tar'", for messages.
  std::string describe() const;

 private:
  const TarMember* resolve(const std::string& memberPath, int depth) const;

  std::filesystem::path path_;
  std::string kind_;
  int fd_ = -1;
  std::map<std::string, TarMember> members_;
};

}  // namespace ferry
