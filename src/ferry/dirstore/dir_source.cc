#include "ferry/dirstore/dir_source.h"

#include <fstream>
#include <vector>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry {

DirSource::DirSource(std::filesystem::path directory) : directory_(std::move(directory)) {
  if (!std::filesystem::is_directory(directory_))
    fail("dir:{} does not exist (or is not a directory)", directory_.string());
  auto versionFile = directory_ / "version";
  if (!std::filesystem::exists(versionFile) || std::filesystem::file_size(versionFile) > 256)
    fail("'{}' is not a skopeo dir: image: it has no version file (for an OCI layout use oci:{})", directory_.string(),
         directory_.string());
  auto version = readFile(versionFile);
  while (!version.empty() && (version.back() == '\n' || version.back() == '\r')) version.pop_back();
  if (version != "Directory Transport Version: 1.1" && version != "Directory Transport Version: 1.0")
    fail("'{}' says '{}'; ferry reads dir: images of version 1.0 and 1.1", versionFile.string(), version);
  if (!std::filesystem::exists(directory_ / "manifest.json"))
    fail("dir:{} has no manifest.json; the image is incomplete", directory_.string());
}

std::string DirSource::describe() const { return "dir:" + directory_.string(); }

std::filesystem::path DirSource::blobPath(const Digest& digest) const {
  // skopeo names sha256 blobs by their hex alone, blobs of other algorithms "ALGORITHM-HEX".
  if (digest.algorithm() == "sha256") return directory_ / std::string(digest.hex());
  return directory_ / (std::string(digest.algorithm()) + "-" + std::string(digest.hex()));
}

RawManifest DirSource::readManifest(const std::filesystem::path& file) const {
  std::error_code error;
  auto size = std::filesystem::file_size(file, error);
  if (error) fail("{} has no manifest '{}'", describe(), file.filename().string());
  if (size > static_cast<uintmax_t>(kLargestManifest))
    fail("manifest '{}' is {} bytes; ferry reads manifests of at most 8 MiB", file.string(), size);
  auto raw = RawManifest::of(readFile(file), "");
  raw.mediaType = Manifest::parse(raw.bytes, "").mediaType;
  return raw;
}

RawManifest DirSource::getManifest(const std::string& reference) {
  auto top = readManifest(directory_ / "manifest.json");
  auto digest = Digest::tryParse(reference);
  if (!digest || top.digest == *digest) return top;
  auto instance = readManifest(directory_ / (std::string(digest->hex()) + ".manifest.json"));
  if (instance.digest != *digest)
    fail("manifest {} in {} does not match its digest; the directory is damaged", digest->str(), describe());
  return instance;
}

void DirSource::readBlob(const Descriptor& blob, BlobWriter& out) {
  std::ifstream in(blobPath(blob.digest), std::ios::binary);
  if (!in) fail("{} has no blob {}", describe(), blob.digest.str());
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0 && !out.write(buffer.data(), static_cast<size_t>(in.gcount()))) return;
  }
}

std::optional<std::filesystem::path> DirSource::blobFile(const Descriptor& blob) {
  auto path = blobPath(blob.digest);
  if (!std::filesystem::exists(path)) fail("{} has no blob {}", describe(), blob.digest.str());
  return path;
}

}  // namespace ferry
