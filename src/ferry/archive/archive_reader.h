// Reads an archive (archive_format.h) in place: a directory of parts, or one
// part on its own, as an ImageSource per image name.
//
//   auto archive = ArchiveReader::openVerified("/media/usb/archive");   // or ".../mirror_000002.tar"
//   (open() + verify(): ferry/checksums.sha256 of every part, before anything is read from it)
//   for (const auto& image : archive->images()) ...
//   copier.run({{.source = reference, .destination = ..., .from = archive->source("registry.example/ns/repo")}});
//
// Opening reads only the tar headers (and the small index.json and part.json
// of each part): nothing is extracted, and a blob is later streamed straight
// from its tar with pread. Parts can be loaded alone and in any order; a blob
// the loaded parts do not carry is reported with the part or run that
// shipped it (from part.json). Members are validated on the way in: no
// absolute paths, no "..", no links, and blob names must be valid digests.
//
// Thread-safe once opened.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/archive/archive_format.h"
#include "ferry/imagefs/tar_reader.h"
#include "ferry/transport/image_store.h"

namespace ferry {

struct ArchiveImage {
  std::string name;                // the image name, e.g. "registry.example/ns/repo"
  std::optional<std::string> tag;  // absent for images named by digest
  std::string reference;           // index.json's ref.name: "name:tag" or "name@digest"
  Digest digest;
  std::string mediaType;
  std::string part;  // the part file whose index.json lists it
};

// A blob some loaded part's images need that no loaded part carries.
struct MissingBlob {
  Digest digest;
  int64_t size = 0;
  std::string shippedIn;               // from part.json: "run …, mirror_000002.tar"
  std::vector<std::string> neededBy;   // the loaded parts that list it
};

// How much of an archive is hashed against ferry/checksums.sha256 before it is
// used (docs/archive-format.md, "Checking an archive"). Either way every
// member must be listed and every line must name a member.
enum class ArchiveCheck {
  // Every member, blobs included: a damaged byte anywhere is found before
  // anything is pushed. Reads the archive once more than loading does.
  Full,
  // Members outside blobs/ and blobs up to kQuickCheckBlobSize (manifests,
  // configs); larger blobs are verified against their digest as they stream.
  Quick,
};
constexpr int64_t kQuickCheckBlobSize = int64_t{1} << 20;

class S3Client;

class ArchiveReader : public std::enable_shared_from_this<ArchiveReader> {
 public:
  // A directory (every mirror_NNNNNN.tar in it) or one part file; or
  // "s3://bucket/prefix" (every prefix/mirror_NNNNNN.tar) or "s3://bucket/…/mirror_NNNNNN.tar",
  // read in place with ranged GETs (docs/scale.md). Throws Error
  // for damaged or unsafe parts, naming the part and what is wrong.
  static std::shared_ptr<ArchiveReader> open(const std::filesystem::path& path);
  // open(), then verify(check): what disk-to-mirror and describe read from.
  static std::shared_ptr<ArchiveReader> openVerified(const std::filesystem::path& path,
                                                     ArchiveCheck check = ArchiveCheck::Full);
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The loaded parts' file names, in part-number order.
  std::vector<std::string> partFiles() const;
  // Each loaded part's part.json, in the same order.
  std::vector<PartInfo> partInfos() const;
  // The size in bytes of each loaded part file, in the same order.
  std::vector<int64_t> partSizes() const;

  // Every image listed by a loaded part's index.json (a name listed by
  // several parts counts once, from the highest-numbered part).
  std::vector<ArchiveImage> images() const;
  // The images named `name` ("registry.example/ns/repo", no tag): getManifest
  // takes a tag or a digest (any manifest the loaded parts carry).
  std::shared_ptr<ImageSource> source(const std::string& name);

  // Blobs the loaded parts reference but do not carry.
  std::vector<MissingBlob> missingBlobs() const;
  // Whether a loaded part carries the blob, and its size there.
  std::optional<int64_t> blobSize(const Digest& digest) const;
  // Every distinct blob the loaded parts carry, with its size.
  std::map<Digest, int64_t> carriedBlobs() const;

  // Checks the members of every loaded part against its ferry/checksums.sha256
  // (all of them, or as `check` says). Returns one sentence per problem, each
  // naming the part and the member (empty when all is well).
  std::vector<std::string> checksumProblems(ArchiveCheck check = ArchiveCheck::Full) const;
  // The same, throwing an Error that lists the problems.
  void verify(ArchiveCheck check = ArchiveCheck::Full) const;

  // A ferry/ file the caller added when writing ("plan.json"), from the first
  // loaded part that has it.
  std::optional<std::string> file(const std::string& name) const;
  // The same file from every loaded part that has it, each distinct text once,
  // in part order (parts of several runs carry each run's plan.json).
  std::vector<std::string> files(const std::string& name) const;

  // For the source views.
  RawManifest manifest(const std::string& name, const std::string& reference) const;
  void readBlob(const Descriptor& blob, BlobWriter& out) const;

 private:
  struct Part {
    std::filesystem::path path;
    std::string file;
    int fd = -1;
    std::string key;  // in S3: the object's key (fd unused)
    int64_t size = 0;
    std::map<std::string, TarMember> members;
    PartInfo info;
    std::vector<Descriptor> entries;  // index.json
  };
  struct Located {
    size_t part;
    TarMember member;
  };

  explicit ArchiveReader(std::filesystem::path path) : path_(std::move(path)) {}
  void load(const std::filesystem::path& file);
  void loadS3(const std::string& key, int64_t size);
  void loadMembers(Part& part, std::vector<TarMember> members);
  std::string readPart(const Part& part, int64_t offset, int64_t size) const;
  void streamPart(const Part& part, int64_t offset, int64_t size,
                  const std::function<bool(const char*, size_t)>& consume) const;
  std::optional<Located> find(const Digest& digest) const;
  std::string whereShipped(const Digest& digest) const;

  std::filesystem::path path_;
  std::vector<Part> parts_;
  std::shared_ptr<S3Client> s3_;
  std::map<Digest, Located> blobs_;
};

}  // namespace ferry
