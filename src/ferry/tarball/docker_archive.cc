#include "ferry/tarball/docker_archive.h"

#include <nlohmann/json.hpp>

#include "ferry/imagefs/tar_writer.h"
#include "ferry/base/error.h"
#include "ferry/oci/media_types.h"
#include "ferry/ref/reference.h"

namespace ferry {
namespace {

using nlohmann::json;

// The layer media type skopeo gives docker-archive layers (see the header).
constexpr std::string_view kArchiveLayerType = media::kDockerLayerGzip;

std::string normalisedRepoTag(const std::string& repoTag) {
  try {
    auto ref = ImageReference::parse(repoTag);
    return ref.registry + "/" + ref.repository + ":" + ref.tag.value_or("latest");
  } catch (const Error&) {
    return repoTag;  // an odd name is kept as written; it can still be chosen by @N
  }
}

bool compressed(std::string_view head) {
  return head.starts_with("\x1f\x8b") || head.starts_with("\x28\xb5\x2f\xfd");
}

std::string descriptorJson(std::string_view mediaType, int64_t size, const Digest& digest) {
  return fmt::format(R"({{"mediaType":"{}","size":{},"digest":"{}"}})", mediaType, size, digest.str());
}

}  // namespace

DockerArchiveSource::DockerArchiveSource(const std::filesystem::path& file) : tar_(file, "docker-archive") {
  if (!tar_.find("manifest.json"))
    fail("{} is not a docker-archive: it has no manifest.json (is it an oci-archive? use oci-archive:{})",
         tar_.describe(), file.string());
  auto document = json::parse(tar_.read("manifest.json", kLargestDocument), nullptr, false);
  if (document.is_discarded() || !document.is_array() || document.empty())
    fail("{}: manifest.json must be a non-empty JSON array of images", tar_.describe());
  for (size_t i = 0; i < document.size(); ++i) {
    const auto& entry = document[i];
    auto where = fmt::format("{}: manifest.json image {}", tar_.describe(), i);
    if (!entry.is_object() || !entry.contains("Config") || !entry["Config"].is_string())
      fail("{}: field 'Config' must be a string", where);
    if (!entry.contains("Layers") || !entry["Layers"].is_array()) fail("{}: field 'Layers' must be an array", where);
    Image image;
    image.config = entry["Config"].get<std::string>();
    for (const auto& layer : entry["Layers"]) {
      if (!layer.is_string()) fail("{}: every entry of 'Layers' must be a string", where);
      image.layers.push_back(layer.get<std::string>());
    }
    if (entry.contains("RepoTags") && entry["RepoTags"].is_array())
      for (const auto& tag : entry["RepoTags"])
        if (tag.is_string()) image.repoTags.push_back(normalisedRepoTag(tag.get<std::string>()));
    images_.push_back(std::move(image));
  }
}

std::string DockerArchiveSource::describe() const { return "docker-archive:" + tar_.path().string(); }

std::vector<std::vector<std::string>> DockerArchiveSource::repoTags() const {
  std::vector<std::vector<std::string>> all;
  for (const auto& image : images_) all.push_back(image.repoTags);
  return all;
}

size_t DockerArchiveSource::pick(const std::string& reference) {
  auto known = [&] {
    std::string names;
    for (size_t i = 0; i < images_.size(); ++i) {
      std::string tags;
      for (const auto& tag : images_[i].repoTags) tags += (tags.empty() ? "" : " ") + tag;
      names += fmt::format("{}@{} ({})", names.empty() ? "" : ", ", i, tags.empty() ? "untagged" : tags);
    }
    return names;
  };
  if (reference.starts_with("@")) {
    size_t index = std::stoul(reference.substr(1));
    if (index >= images_.size())
      fail("{} has {} image(s); there is no {}. It holds: {}", tar_.describe(), images_.size(), reference, known());
    return index;
  }
  if (reference == "latest" && images_.size() == 1) return 0;
  auto wanted = reference == "latest" ? std::string() : reference;
  for (size_t i = 0; i < images_.size(); ++i)
    for (const auto& tag : images_[i].repoTags)
      if (tag == wanted) return i;
  if (wanted.empty())
    fail("{} holds {} images; name one: docker-archive:{}:NAME:TAG or :@N. It holds: {}", tar_.describe(),
         images_.size(), tar_.path().string(), known());
  fail("{} has no image '{}'; it holds: {}", tar_.describe(), reference, known());
}

RawManifest DockerArchiveSource::manifestOf(size_t index) {
  // Called with mutex_ held.
  if (auto made = made_.find(index); made != made_.end()) return made->second;
  const auto& image = images_[index];
  const auto& configMember = tar_.member(image.config);
  auto config = tar_.read(image.config, kLargestDocument);
  auto configDigest = Digest::sha256Of(config);
  auto document = json::parse(config, nullptr, false);
  if (document.is_discarded() || !document.is_object())
    fail("{}: the config '{}' is not a JSON object", tar_.describe(), image.config);
  json diffIds = document.contains("rootfs") && document["rootfs"].is_object() ? document["rootfs"].value("diff_ids", json())
                                                                                : json();
  if (!diffIds.is_array() || diffIds.size() != image.layers.size())
    fail("{}: the config '{}' lists {} rootfs.diff_ids for {} layers in manifest.json; the archive is damaged",
         tar_.describe(), image.config, diffIds.is_array() ? diffIds.size() : 0, image.layers.size());

  std::string layers;
  std::vector<std::pair<Digest, const TarMember*>> found{{configDigest, &configMember}};
  for (size_t i = 0; i < image.layers.size(); ++i) {
    const auto& member = tar_.member(image.layers[i]);
    std::optional<Digest> digest;
    if (compressed(tar_.head(member, 4))) {
      struct Hashing : BlobWriter {
        Hasher hasher;
        bool write(const char* data, size_t size) override {
          hasher.update(data, size);
          return true;
        }
        void restart() override { hasher.reset(); }
      } hashing;
      tar_.stream(member, hashing);
      digest = hashing.hasher.finish();
    } else {
      digest = diffIds[i].is_string() ? Digest::tryParse(diffIds[i].get<std::string>()) : std::nullopt;
      if (!digest) fail("{}: rootfs.diff_ids[{}] of '{}' is not a digest", tar_.describe(), i, image.config);
    }
    layers += (i == 0 ? "" : ",") + descriptorJson(kArchiveLayerType, member.size, *digest);
    found.emplace_back(*digest, &member);
  }
  std::string bytes = fmt::format(R"({{"schemaVersion":2,"mediaType":"{}","config":{},"layers":[{}]}})",
                                  media::kDockerManifest,
                                  descriptorJson(media::kDockerConfig, configMember.size, configDigest), layers);
  for (const auto& [digest, member] : found) blobs_[digest] = member;
  auto raw = RawManifest::of(std::move(bytes), std::string(media::kDockerManifest));
  made_.emplace(index, raw);
  return raw;
}

RawManifest DockerArchiveSource::getManifest(const std::string& reference) {
  std::lock_guard lock(mutex_);
  if (auto digest = Digest::tryParse(reference)) {
    for (size_t i = 0; i < images_.size(); ++i)
      if (auto made = manifestOf(i); made.digest == *digest) return made;
    fail("{} has no image whose manifest is {}", tar_.describe(), reference);
  }
  return manifestOf(pick(reference));
}

void DockerArchiveSource::readBlob(const Descriptor& blob, BlobWriter& out) {
  const TarMember* member = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (auto found = blobs_.find(blob.digest); found != blobs_.end()) member = found->second;
  }
  if (!member) fail("{} has no blob {} (read its manifest first)", tar_.describe(), blob.digest.str());
  tar_.stream(*member, out);
}

DockerArchiveSink::DockerArchiveSink(std::filesystem::path file, std::optional<std::string> repoTag)
    : file_(std::move(file)), repoTag_(std::move(repoTag)) {
  partial_ = file_;
  partial_ += ".partial";
  if (std::filesystem::is_directory(file_))
    fail("docker-archive '{}' is a directory; a docker-archive is one tar file", file_.string());
  std::error_code ignored;
  if (file_.has_parent_path()) std::filesystem::create_directories(file_.parent_path(), ignored);
  tar_ = std::make_unique<TarWriter>(partial_, 0);
}

DockerArchiveSink::~DockerArchiveSink() {
  if (committed_) return;
  tar_.reset();
  std::error_code ignored;
  std::filesystem::remove(partial_, ignored);
}

std::string DockerArchiveSink::describe() const { return "docker-archive:" + file_.string(); }

bool DockerArchiveSink::reuseBlob(const Descriptor& blob, const std::optional<std::string>&) {
  std::lock_guard lock(mutex_);
  return written_.contains(blob.digest);
}

namespace {
std::string dockerArchiveMember(const Descriptor& blob) {
  bool config = blob.mediaType == media::kDockerConfig || blob.mediaType == media::kOciConfig;
  return std::string(blob.digest.hex()) + (config ? ".json" : ".tar");
}
}  // namespace

void DockerArchiveSink::writeBlob(const Descriptor& blob, const BlobProducer& produce) {
  auto member = dockerArchiveMember(blob);
  {
    std::lock_guard lock(mutex_);
    if (written_.contains(blob.digest)) return;
  }
  streamMember(*tar_, mutex_, member, blob, produce);
  std::lock_guard lock(mutex_);
  written_[blob.digest] = member;
}

void DockerArchiveSink::putBlob(const Descriptor& blob, const std::filesystem::path& file) {
  std::lock_guard lock(mutex_);
  if (written_.contains(blob.digest)) return;
  auto member = dockerArchiveMember(blob);
  tar_->addFile(member, file, blob.size);
  written_[blob.digest] = member;
}

void DockerArchiveSink::putBlobBytes(const Descriptor& blob, std::string bytes) {
  std::lock_guard lock(mutex_);
  if (written_.contains(blob.digest)) return;
  auto member = dockerArchiveMember(blob);
  tar_->add(member, bytes);
  written_[blob.digest] = member;
}

void DockerArchiveSink::putManifest(const RawManifest& manifest, const std::optional<std::string>& tag, bool root) {
  auto parsed = Manifest::parse(manifest.bytes, manifest.mediaType);
  if (parsed.isIndex)
    fail("{} holds one single-platform image, and {} is an index of {} manifests; choose one with --platform OS/ARCH",
         describe(), manifest.digest.str(), parsed.manifests.size());
  if (!parsed.config) fail("{}: manifest {} has no config; only container images go in a docker-archive", describe(),
                           manifest.digest.str());
  std::lock_guard lock(mutex_);
  if (image_ && *image_ != manifest.digest)
    fail("{} holds one single-platform image and this copy brings more (a multi-platform index?); choose one with "
         "--platform OS/ARCH, or write every platform to oci-archive:",
         describe());
  auto memberOf = [&](const Descriptor& blob) {
    auto found = written_.find(blob.digest);
    if (found == written_.end()) fail("{}: blob {} was not written before its manifest", describe(), blob.digest.str());
    return found->second;
  };
  config_ = memberOf(*parsed.config);
  layers_.clear();
  for (const auto& layer : parsed.layers) layers_.push_back(memberOf(layer));
  image_ = manifest.digest;
}

void DockerArchiveSink::commit() {
  std::lock_guard lock(mutex_);
  if (committed_) return;
  if (!image_) fail("{}: no image was written, so the archive was not created", describe());
  json repoTags = json::array();
  if (repoTag_) repoTags.push_back(*repoTag_);
  json entry{{"Config", config_}, {"RepoTags", repoTags}, {"Layers", layers_}};
  tar_->add("manifest.json", json::array({entry}).dump());
  tar_->close();
  std::error_code error;
  std::filesystem::rename(partial_, file_, error);
  if (error) fail("cannot move '{}' into place as '{}': {}", partial_.string(), file_.string(), error.message());
  committed_ = true;
}

}  // namespace ferry
