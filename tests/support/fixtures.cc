#include "support/fixtures.h"

#include <algorithm>

#include "ferry/base/error.h"
#include "ferry/base/strings.h"
#include "ferry/base/files.h"
#include "support/layer.h"
#include "support/random.h"

namespace ferry::testing {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kRefName = "org.opencontainers.image.ref.name";
constexpr const char* kCreated = "2024-01-01T00:00:00Z";

// Small layers for the shapes: enough files and bytes to be real, quick to make.
constexpr uint64_t kShapeBaseSize = 48 * 1024;
constexpr uint64_t kShapeLayerMin = 8 * 1024;
constexpr uint64_t kShapeLayerMax = 24 * 1024;
constexpr int kShapeGzipLevel = 6;

void addDistinct(std::vector<Digest>& list, const Digest& digest) {
  if (std::find(list.begin(), list.end(), digest) == list.end()) list.push_back(digest);
}

}  // namespace

// A blob written to the layout, with what the image that contains it reaches.
struct FixtureBuilder::Built {
  Json descriptor;  // mediaType, digest, size
  std::vector<Digest> blobs;
  std::vector<Digest> manifests;
  std::optional<Digest> diffId;  // layers only

  Digest digest() const { return Digest::parse(descriptor["digest"].get<std::string>()); }
};

std::string Platform::str() const { return os + "/" + architecture + (variant.empty() ? "" : "/" + variant); }

Platform Platform::parse(std::string_view text) {
  auto parts = ferry::splitString(text, '/');
  bool valid = (parts.size() == 2 || parts.size() == 3) &&
               std::none_of(parts.begin(), parts.end(), [](const auto& part) { return part.empty(); });
  if (!valid) fail("invalid platform '{}': expected os/architecture[/variant], e.g. linux/arm64/v8", text);
  return Platform{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
}

nlohmann::ordered_json Platform::toJson() const {
  Json json = {{"architecture", architecture}, {"os", os}};
  if (!variant.empty()) json["variant"] = variant;
  return json;
}

const std::vector<Platform>& fivePlatforms() {
  static const std::vector<Platform> platforms = {
      {"linux", "amd64", ""}, {"linux", "arm64", "v8"}, {"linux", "arm", "v7"},
      {"linux", "s390x", ""}, {"linux", "ppc64le", ""},
  };
  return platforms;
}

std::optional<LayerCache::Entry> LayerCache::find(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void LayerCache::add(const std::string& key, Entry entry) {
  std::lock_guard lock(mutex_);
  entries_.insert_or_assign(key, std::move(entry));
}

FixtureBuilder::FixtureBuilder(std::filesystem::path layoutDir, uint64_t seed, std::shared_ptr<LayerCache> cache)
    : layoutDir_(std::move(layoutDir)), seed_(seed), cache_(cache ? std::move(cache) : std::make_shared<LayerCache>()) {
  std::filesystem::create_directories(layoutDir_ / "blobs" / "sha256");
  if (!std::filesystem::exists(layoutDir_ / "oci-layout")) {
    writeFileAtomically(layoutDir_ / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  }
  auto indexPath = layoutDir_ / "index.json";
  if (std::filesystem::exists(indexPath)) {
    auto index = Json::parse(readFile(indexPath), nullptr, false);
    if (index.is_discarded() || !index.contains("manifests")) {
      fail("cannot add fixtures to '{}': its index.json is not an OCI index", layoutDir_.string());
    }
    for (auto& entry : index["manifests"]) entries_.push_back(entry);
  }
}

nlohmann::ordered_json FixtureBuilder::writeBlob(std::string_view bytes, std::string_view mediaType) {
  auto digest = Digest::sha256Of(bytes);
  auto path = layoutDir_ / "blobs" / digest.blobPath();
  if (!std::filesystem::exists(path)) writeFileAtomically(path, bytes);
  return Json{{"mediaType", mediaType}, {"digest", digest.str()}, {"size", bytes.size()}};
}

void FixtureBuilder::setTag(const std::string& tag, nlohmann::ordered_json descriptor) {
  descriptor["annotations"][kRefName] = tag;
  std::erase_if(entries_, [&](const Json& entry) {
    return entry.contains("annotations") && entry["annotations"].value(kRefName, "") == tag;
  });
  entries_.push_back(std::move(descriptor));
  writeIndexJson();
}

void FixtureBuilder::writeIndexJson() const {
  Json index = {{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", entries_}};
  writeFileAtomically(layoutDir_ / "index.json", index.dump(2) + "\n");
}

FixtureBuilder::Built FixtureBuilder::layer(uint64_t seed, uint64_t size, int gzipLevel, std::string_view mediaType) {
  // The blob bytes depend on these three only; the media type is just the descriptor's.
  auto key = fmt::format("{:016x}/{}/{}", seed, size, gzipLevel);
  auto describe = [&](const LayerCache::Entry& entry) {
    return Built{Json{{"mediaType", mediaType}, {"digest", entry.digest.str()}, {"size", entry.size}},
                 {entry.digest},
                 {},
                 entry.diffId};
  };
  if (auto entry = cache_->find(key)) {
    auto target = layoutDir_ / "blobs" / entry->digest.blobPath();
    if (std::filesystem::exists(target)) return describe(*entry);
    if (std::filesystem::exists(entry->path)) {
      std::error_code linkError;
      std::filesystem::create_hard_link(entry->path, target, linkError);
      if (linkError) std::filesystem::copy_file(entry->path, target);
      return describe(*entry);
    }
    // The first copy is gone with its layout: make the layer again below.
  }
  auto blob = makeTarLayer(seed, size, gzipLevel);
  auto path = layoutDir_ / "blobs" / blob.digest.blobPath();
  if (!std::filesystem::exists(path)) writeFileAtomically(path, blob.compressed);
  LayerCache::Entry entry{blob.digest, blob.diffId, static_cast<int64_t>(blob.compressed.size()), path};
  cache_->add(key, entry);
  return describe(entry);
}

FixtureBuilder::Built FixtureBuilder::platformImage(const std::string& label, const Platform& platform, bool docker,
                                                    const std::vector<Built>& layers) {
  Json diffIds = Json::array();
  Json history = Json::array();
  Json layerDescriptors = Json::array();
  for (size_t i = 0; i < layers.size(); ++i) {
    diffIds.push_back(layers[i].diffId->str());
    history.push_back(
        {{"created", kCreated}, {"created_by", "ferry fixture " + label + " layer " + std::to_string(i)}});
    layerDescriptors.push_back(layers[i].descriptor);
  }
  Json config = {{"architecture", platform.architecture}, {"os", platform.os}};
  if (!platform.variant.empty()) config["variant"] = platform.variant;
  config["created"] = kCreated;
  config["config"] = {{"Cmd", {"/bin/sh"}}};
  config["rootfs"] = {{"type", "layers"}, {"diff_ids", diffIds}};
  config["history"] = history;
  auto configDescriptor = writeBlob(config.dump(), docker ? media::kDockerConfig : media::kOciConfig);

  auto mediaType = docker ? media::kDockerManifest : media::kOciManifest;
  Json manifest = {
      {"schemaVersion", 2}, {"mediaType", mediaType}, {"config", configDescriptor}, {"layers", layerDescriptors}};
  Built built{writeBlob(manifest.dump(3), mediaType), {}, {}, std::nullopt};
  built.manifests.push_back(built.digest());
  addDistinct(built.blobs, Digest::parse(configDescriptor["digest"].get<std::string>()));
  for (const auto& layer : layers) addDistinct(built.blobs, layer.digest());
  return built;
}

FixtureBuilder::Built FixtureBuilder::imageIndex(const std::vector<std::pair<Built, nlohmann::ordered_json>>& children,
                                                 bool docker) {
  Json manifests = Json::array();
  for (const auto& [child, extra] : children) {
    Json descriptor = child.descriptor;
    for (const auto& [key, value] : extra.items()) descriptor[key] = value;
    manifests.push_back(descriptor);
  }
  auto mediaType = docker ? media::kDockerManifestList : media::kOciIndex;
  Json index = {{"schemaVersion", 2}, {"mediaType", mediaType}, {"manifests", manifests}};
  Built built{writeBlob(index.dump(3), mediaType), {}, {}, std::nullopt};
  built.manifests.push_back(built.digest());
  for (const auto& [child, extra] : children) {
    for (const auto& digest : child.manifests) addDistinct(built.manifests, digest);
    for (const auto& digest : child.blobs) addDistinct(built.blobs, digest);
  }
  return built;
}

FixtureImage FixtureBuilder::finish(const std::string& tag, const Built& top) {
  setTag(tag, top.descriptor);
  return FixtureImage{tag,          top.descriptor["mediaType"].get<std::string>(),
                      top.digest(), top.descriptor["size"].get<int64_t>(),
                      top.blobs,    top.manifests};
}

// The small-layer spec of the shapes: `ownLayers` layers per platform image, above
// one base layer shared by every platform image unless sharedBaseLabel is empty.
ImageSpec FixtureBuilder::shapeSpec(std::vector<Platform> platforms, bool docker, int ownLayers,
                                    const std::string& sharedBaseLabel) const {
  ImageSpec spec;
  spec.platforms = std::move(platforms);
  spec.format = docker ? "docker" : "oci";
  if (!sharedBaseLabel.empty()) {
    spec.sharedLayers = {SharedLayer{deriveSeed(seed_, sharedBaseLabel + "/base"), kShapeBaseSize, false}};
  }
  spec.ownLayers = ownLayers;
  spec.ownLayerMinSize = kShapeLayerMin;
  spec.ownLayerMaxSize = kShapeLayerMax;
  spec.gzipLevel = kShapeGzipLevel;
  return spec;
}

FixtureImage FixtureBuilder::singleArchDocker(const std::string& tag) { return image(tag, shapeSpec({}, true, 2, "")); }
FixtureImage FixtureBuilder::singleArchOci(const std::string& tag) { return image(tag, shapeSpec({}, false, 2, "")); }

FixtureImage FixtureBuilder::dockerManifestList(const std::string& tag) {
  return image(tag, shapeSpec(fivePlatforms(), true, 1, tag));
}

FixtureImage FixtureBuilder::ociIndex(const std::string& tag) {
  return image(tag, shapeSpec(fivePlatforms(), false, 1, tag));
}

FixtureImage FixtureBuilder::indexWithAttestation(const std::string& tag) {
  auto children =
      platformImages(tag, shapeSpec({Platform{"linux", "amd64", ""}, Platform{"linux", "arm64", "v8"}}, false, 1, tag));

  // What buildx attaches for provenance/SBOM: a manifest with an in-toto statement
  // about the amd64 image, hidden from platform selection by platform unknown/unknown.
  auto subject = children[0].first.digest();
  Json statement = {
      {"_type", "https://in-toto.io/Statement/v0.1"},
      {"predicateType", "https://spdx.dev/Document"},
      {"subject",
       {{{"name", "pkg:docker/ferry-fixture/" + tag}, {"digest", {{"sha256", std::string(subject.hex())}}}}}},
      {"predicate", {{"spdxVersion", "SPDX-2.3"}, {"name", "ferry fixture " + tag}}}};
  auto statementBytes = statement.dump();
  auto statementLayer = writeBlob(statementBytes, media::kInTotoLayer);
  statementLayer["annotations"] = {{"in-toto.io/predicate-type", "https://spdx.dev/Document"}};

  Json config = {{"architecture", "unknown"},
                 {"os", "unknown"},
                 {"config", Json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", {Digest::sha256Of(statementBytes).str()}}}}};
  auto configDescriptor = writeBlob(config.dump(), media::kOciConfig);
  Json manifest = {{"schemaVersion", 2},
                   {"mediaType", media::kOciManifest},
                   {"config", configDescriptor},
                   {"layers", {statementLayer}}};
  Built attestation{writeBlob(manifest.dump(3), media::kOciManifest), {}, {}, std::nullopt};
  attestation.manifests.push_back(attestation.digest());
  attestation.blobs = {Digest::parse(configDescriptor["digest"].get<std::string>()),
                       Digest::parse(statementLayer["digest"].get<std::string>())};
  children.emplace_back(
      attestation,
      Json{{"platform", {{"architecture", "unknown"}, {"os", "unknown"}}},
           {"annotations",
            {{"vnd.docker.reference.digest", subject.str()}, {"vnd.docker.reference.type", "attestation-manifest"}}}});
  return finish(tag, imageIndex(children, false));
}

FixtureImage FixtureBuilder::nestedIndex(const std::string& tag) {
  auto inner = [&](const std::string& name, std::vector<Platform> platforms) {
    auto label = tag + "/" + name;
    return imageIndex(platformImages(label, shapeSpec(std::move(platforms), false, 1, label)), false);
  };
  auto first = inner("inner-a", {Platform{"linux", "amd64", ""}, Platform{"linux", "arm64", "v8"}});
  auto second = inner("inner-b", {Platform{"linux", "s390x", ""}, Platform{"linux", "ppc64le", ""}});
  return finish(tag, imageIndex({{first, Json::object()}, {second, Json::object()}}, false));
}

std::vector<std::pair<FixtureBuilder::Built, nlohmann::ordered_json>> FixtureBuilder::platformImages(
    const std::string& label, const ImageSpec& spec) {
  if (spec.format != "oci" && spec.format != "docker") {
    fail("invalid fixture image format '{}' for '{}': use \"oci\" or \"docker\"", spec.format, label);
  }
  bool docker = spec.format == "docker";
  auto layerType = docker ? media::kDockerLayerGzip : media::kOciLayerGzip;
  auto platforms = spec.platforms.empty() ? std::vector<Platform>{Platform{}} : spec.platforms;

  std::vector<std::pair<Built, Json>> children;
  for (const auto& platform : platforms) {
    auto imageLabel = label + "/" + platform.str();
    std::vector<Built> layers;
    for (const auto& shared : spec.sharedLayers) {
      auto seed = shared.perPlatform ? deriveSeed(shared.seed, platform.str()) : shared.seed;
      layers.push_back(layer(seed, shared.size, spec.gzipLevel, layerType));
    }
    for (int i = 0; i < spec.ownLayers; ++i) {
      auto seed = deriveSeed(seed_, imageLabel + "/layer" + std::to_string(i));
      auto size = Random(seed).between(spec.ownLayerMinSize, spec.ownLayerMaxSize);
      layers.push_back(layer(seed, size, spec.gzipLevel, layerType));
    }
    children.emplace_back(platformImage(imageLabel, platform, docker, layers), Json{{"platform", platform.toJson()}});
  }
  return children;
}

FixtureImage FixtureBuilder::image(const std::string& tag, const ImageSpec& spec) {
  auto children = platformImages(tag, spec);
  if (spec.platforms.empty() || (spec.single && children.size() == 1)) return finish(tag, children.front().first);
  return finish(tag, imageIndex(children, spec.format == "docker"));
}

std::vector<FixtureImage> FixtureBuilder::allShapes() {
  return {singleArchDocker("docker-single"),   singleArchOci("oci-single"),
          dockerManifestList("docker-list"),   ociIndex("oci-index"),
          indexWithAttestation("attestation"), nestedIndex("nested")};
}

std::string readBlob(const std::filesystem::path& layoutDir, const Digest& digest) {
  auto path = layoutDir / "blobs" / digest.blobPath();
  if (!std::filesystem::exists(path)) {
    fail("blob {} is not in the OCI layout '{}' (no {})", digest.str(), layoutDir.string(), path.string());
  }
  return readFile(path);
}

FixtureImage layoutIndexPointingToIndexBlob(const std::filesystem::path& layoutDir, uint64_t seed,
                                            const std::string& tag) {
  if (std::filesystem::exists(layoutDir / "index.json")) {
    fail("cannot make a one-descriptor layout in '{}': it already has an index.json", layoutDir.string());
  }
  return FixtureBuilder(layoutDir, seed).ociIndex(tag);
}

}  // namespace ferry::testing
