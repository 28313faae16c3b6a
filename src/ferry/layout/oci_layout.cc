#include "ferry/layout/oci_layout.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/oci/media_types.h"

namespace ferry {
namespace {

using nlohmann::json;

constexpr std::string_view kLayoutFile = R"({"imageLayoutVersion":"1.0.0"})";

json readIndex(const std::filesystem::path& directory) {
  auto path = directory / "index.json";
  auto document = json::parse(readFile(path), nullptr, false);
  if (document.is_discarded() || !document.is_object())
    fail("'{}' is not valid JSON; the OCI layout at '{}' is damaged", path.string(), directory.string());
  if (!document.contains("manifests") || document["manifests"].is_null()) document["manifests"] = json::array();
  if (!document["manifests"].is_array()) fail("'{}': field 'manifests' must be an array", path.string());
  return document;
}

// Whether an index.json ref.name names `tag`: the bare tag, or a full reference ending in ":tag".
bool refNameMatches(const std::string& refName, const std::string& tag) {
  if (refName == tag) return true;
  return refName.size() > tag.size() + 1 && refName.ends_with(":" + tag) &&
         refName.find('/', refName.size() - tag.size() - 1) == std::string::npos;
}

std::string refNameOf(const Descriptor& entry) {
  auto name = entry.annotations.find(std::string(kRefNameAnnotation));
  return name == entry.annotations.end() ? std::string() : name->second;
}

}  // namespace

std::shared_ptr<OciLayout> OciLayout::open(const std::filesystem::path& directory) {
  if (!std::filesystem::is_directory(directory))
    fail("OCI layout '{}' does not exist (or is not a directory)", directory.string());
  if (!std::filesystem::exists(directory / "oci-layout") || !std::filesystem::exists(directory / "index.json"))
    fail("'{}' is not an OCI image layout: it has no oci-layout and index.json files", directory.string());
  return std::shared_ptr<OciLayout>(new OciLayout(directory));
}

std::shared_ptr<OciLayout> OciLayout::create(const std::filesystem::path& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory / "blobs", error);
  if (error) fail("cannot create OCI layout '{}': {}", directory.string(), error.message());
  FileLock lock(directory);
  if (!std::filesystem::exists(directory / "oci-layout")) writeFileAtomically(directory / "oci-layout", kLayoutFile);
  if (!std::filesystem::exists(directory / "index.json"))
    writeFileAtomically(directory / "index.json",
                        json{{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", json::array()}}.dump());
  return std::shared_ptr<OciLayout>(new OciLayout(directory));
}

std::string OciLayout::describe() const { return "oci:" + directory_.string(); }
std::string OciLayout::blobScope() const { return describe(); }

std::filesystem::path OciLayout::pathOf(const Digest& digest) const { return directory_ / "blobs" / digest.blobPath(); }

std::vector<Descriptor> OciLayout::entries() const {
  auto document = readIndex(directory_);
  std::string bytes = document.dump();
  try {
    return Manifest::parse(bytes, media::kOciIndex).manifests;
  } catch (const Error& e) {
    fail("'{}': {}", (directory_ / "index.json").string(), e.what());
  }
}

std::optional<Descriptor> OciLayout::findEntry(const std::string& reference) const {
  return findLayoutEntry(entries(), reference);
}

std::optional<Descriptor> findLayoutEntry(const std::vector<Descriptor>& all, const std::string& reference) {
  if (auto digest = Digest::tryParse(reference)) {
    for (const auto& entry : all)
      if (entry.digest == *digest) return entry;
    return std::nullopt;
  }
  for (const auto& entry : all)
    if (refNameMatches(refNameOf(entry), reference)) return entry;
  // "latest" is what a reference without a tag asks for; a layout holding one image answers it.
  if (reference == "latest" && all.size() == 1) return all.front();
  return std::nullopt;
}

std::string layoutRefNames(const std::vector<Descriptor>& entries) {
  std::string names;
  for (const auto& known : entries)
    if (!refNameOf(known).empty()) names += (names.empty() ? "" : ", ") + refNameOf(known);
  return names.empty() ? "no tagged images" : names;
}

RawManifest OciLayout::getManifest(const std::string& reference) {
  auto entry = findEntry(reference);
  auto digest = Digest::tryParse(reference);
  if (!entry && !digest)
    fail("cannot find image '{}' in OCI layout '{}'; it holds: {}", reference, directory_.string(),
         layoutRefNames(entries()));
  Digest wanted = entry ? entry->digest : *digest;
  auto path = pathOf(wanted);
  if (!std::filesystem::exists(path))
    fail("OCI layout '{}' lists {} but has no blob for it", directory_.string(), wanted.str());
  if (std::filesystem::file_size(path) > 8u << 20)
    fail("manifest {} in '{}' is larger than 8 MiB, which ferry refuses", wanted.str(), directory_.string());
  std::string bytes = readFile(path);
  Hasher hasher(wanted.algorithm());
  hasher.update(bytes);
  if (hasher.finish() != wanted)
    fail("manifest {} in OCI layout '{}' does not match its digest; the layout is damaged", wanted.str(),
         directory_.string());
  auto raw = RawManifest::of(std::move(bytes), entry ? entry->mediaType : std::string());
  raw.digest = wanted;
  raw.mediaType = Manifest::parse(raw.bytes, raw.mediaType).mediaType;
  return raw;
}

void OciLayout::readBlob(const Descriptor& blob, BlobWriter& out) {
  std::ifstream in(pathOf(blob.digest), std::ios::binary);
  if (!in) fail("OCI layout '{}' has no blob {}", directory_.string(), blob.digest.str());
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0 && !out.write(buffer.data(), static_cast<size_t>(in.gcount()))) return;
  }
}

std::optional<std::filesystem::path> OciLayout::blobFile(const Descriptor& blob) {
  auto path = pathOf(blob.digest);
  if (!std::filesystem::exists(path)) fail("OCI layout '{}' has no blob {}", directory_.string(), blob.digest.str());
  return path;
}

std::optional<Digest> OciLayout::manifestDigest(const std::string& reference) {
  std::optional<Digest> found = Digest::tryParse(reference);
  if (!found) {
    // Only an exact tag counts at a destination; the one-image rule of findEntry is for reading.
    for (const auto& entry : entries())
      if (refNameMatches(refNameOf(entry), reference)) found = entry.digest;
  }
  if (found && std::filesystem::exists(pathOf(*found))) return found;
  return std::nullopt;
}

bool OciLayout::reuseBlob(const Descriptor& blob, const std::optional<std::string>&) {
  std::error_code error;
  auto size = std::filesystem::file_size(pathOf(blob.digest), error);
  return !error && static_cast<int64_t>(size) == blob.size;
}

std::optional<std::filesystem::path> OciLayout::stagingDirectory() { return directory_ / "blobs"; }

void OciLayout::putBlob(const Descriptor& blob, const std::filesystem::path& file) {
  auto target = pathOf(blob.digest);
  std::error_code error;
  std::filesystem::create_directories(target.parent_path(), error);
  if (error) fail("cannot create '{}': {}", target.parent_path().string(), error.message());
  std::filesystem::path staged = file;
  bool moved = file.parent_path() == directory_ / "blobs";
  if (!moved) {
    staged = uniqueTemporaryPath(directory_ / "blobs", blob.digest.hex());
    std::filesystem::copy_file(file, staged, error);
    if (error) fail("cannot copy blob {} into '{}': {}", blob.digest.str(), directory_.string(), error.message());
  }
  std::filesystem::rename(staged, target, error);
  if (error) {
    std::filesystem::remove(staged);
    fail("cannot store blob {} in '{}': {}", blob.digest.str(), directory_.string(), error.message());
  }
}

void OciLayout::putManifest(const RawManifest& manifest, const std::optional<std::string>& tag, bool root) {
  auto target = pathOf(manifest.digest);
  if (!std::filesystem::exists(target)) {
    std::filesystem::create_directories(target.parent_path());
    writeFileAtomically(target, manifest.bytes);
  }
  if (!root) return;

  std::lock_guard threadLock(indexMutex_);
  FileLock processLock(directory_);
  auto document = readIndex(directory_);
  json entry{{"mediaType", manifest.mediaType}, {"digest", manifest.digest.str()}, {"size", manifest.bytes.size()}};
  if (tag) entry["annotations"] = json{{std::string(kRefNameAnnotation), *tag}};
  json kept = json::array();
  for (const auto& existing : document["manifests"]) {
    std::string name;
    if (existing.contains("annotations") && existing["annotations"].is_object())
      name = existing["annotations"].value(std::string(kRefNameAnnotation), "");
    bool sameTag = tag && refNameMatches(name, *tag);
    bool sameUntagged = !tag && name.empty() && existing.value("digest", "") == manifest.digest.str();
    if (!sameTag && !sameUntagged) kept.push_back(existing);
  }
  kept.push_back(entry);
  document["manifests"] = kept;
  writeFileAtomically(directory_ / "index.json", document.dump());
}

std::vector<std::string> OciLayout::listTags() {
  std::vector<std::string> tags;
  for (const auto& entry : entries()) {
    std::string name = refNameOf(entry);
    if (name.empty()) continue;
    // A full reference ("host/repo:tag") names its tag after the last ':' that follows the last '/'.
    auto colon = name.rfind(':');
    if (colon != std::string::npos && name.find('/', colon) == std::string::npos &&
        name.find('/') != std::string::npos)
      name = name.substr(colon + 1);
    if (std::find(tags.begin(), tags.end(), name) == tags.end()) tags.push_back(name);
  }
  return tags;
}

void OciLayout::deleteManifest(const Digest& digest) {
  std::lock_guard threadLock(indexMutex_);
  FileLock processLock(directory_);
  auto document = readIndex(directory_);
  json kept = json::array();
  for (const auto& existing : document["manifests"])
    if (existing.value("digest", "") != digest.str()) kept.push_back(existing);
  if (kept.size() == document["manifests"].size())
    fail(ErrorKind::NotFound, "cannot delete {} from OCI layout '{}': index.json lists no such image", digest.str(),
         directory_.string());
  document["manifests"] = kept;
  writeFileAtomically(directory_ / "index.json", document.dump());
}

}  // namespace ferry
