#include "ferry/catalog/rebuild.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/imagefs/layer_extract.h"
#include "ferry/imagefs/layer_writer.h"
#include "ferry/oci/media_types.h"
#include "ferry/transport/graph_rebuild.h"

namespace ferry::catalog {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

constexpr const char* kEpoch = "1970-01-01T00:00:00Z";
constexpr const char* kCreatedBy = "ferry: filtered catalog";
// Where `opm generate dockerfile` builds the cache; whited out even when no --cache-dir names it.
constexpr const char* kDefaultCacheDir = "tmp/cache";

// opm serve's flags that take a value in the next argument (when not written --flag=value).
const std::set<std::string> kServeValueFlags = {"--port", "-p", "--termination-log", "-t", "--pprof-addr",
                                                "--cache-dir"};
const std::set<std::string> kServeCacheFlags = {"--cache-dir", "--cache-only", "--cache-enforce-integrity"};

std::string flagName(const std::string& argument) { return argument.substr(0, argument.find('=')); }

bool isInsideOrEqual(const std::string& path, const std::string& directory) {
  return path == directory ||
         (path.size() > directory.size() && path.starts_with(directory) && path[directory.size()] == '/');
}

std::vector<std::string> stringList(const ordered_json& section, const char* name) {
  std::vector<std::string> out;
  auto it = section.find(name);
  if (it == section.end() || !it->is_array()) return out;
  for (const auto& item : *it)
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

ordered_json platformJson(const Platform& platform) {
  ordered_json out{{"architecture", platform.architecture}, {"os", platform.os}};
  if (!platform.variant.empty()) out["variant"] = platform.variant;
  if (!platform.osVersion.empty()) out["os.version"] = platform.osVersion;
  if (!platform.osFeatures.empty()) out["os.features"] = platform.osFeatures;
  return out;
}

class Rebuilder {
 public:
  Rebuilder(const CatalogImage& image, const std::vector<fs::path>& filteredDirs, ImageSource& original,
            OciLayout& out)
      : image_(image), filteredDirs_(filteredDirs), original_(original), out_(out) {
    for (size_t index = 0; index < image.platforms.size(); ++index)
      platformOf_.emplace(image.platforms[index].manifestDigest, index);
  }

  // The rebuilt top, or nullopt when it holds no platform image of the catalog.
  std::optional<RawManifest> rebuild() {
    return rebuildGraph(
        image_.graph,
        {.image = [this](const ImageGraph& node, const std::optional<Platform>&) -> std::optional<RawManifest> {
           auto platform = platformOf_.find(node.raw.digest);
           if (platform == platformOf_.end()) return std::nullopt;
           return rebuildImage(node, image_.platforms[platform->second]);
         },
         // An index entry that gave no real platform gets the one the catalog image's config says.
         .entry =
             [this](ordered_json& entry, const ImageGraph& child, const std::optional<Platform>& described) {
               if (auto platform = platformOf_.find(child.raw.digest);
                   platform != platformOf_.end() && !(described && described->isReal()))
                 entry["platform"] = platformJson(image_.platforms[platform->second].platform);
             },
         .nothingKept =
             [this](const ImageGraph& index) {
               fail("{}: index {} holds no platform image of the catalog", image_.reference, index.raw.digest.str());
             },
         .stored = [this](const RawManifest& manifest) { out_.putManifest(manifest, std::nullopt, false); }});
  }

  std::vector<std::string> warnings;

 private:
  std::string where(const PlatformCatalog& platform) const {
    return fmt::format("{}@{} ({})", image_.reference, platform.manifestDigest.str(), platform.platform.str());
  }

  RawManifest rebuildImage(const ImageGraph& node, const PlatformCatalog& platform) {
    bool docker = node.manifest.mediaType == media::kDockerManifest;
    std::string_view layerType = docker ? media::kDockerLayerGzip : media::kOciLayerGzip;
    std::string directory = platform.configsDir.substr(1);
    if (platform.variant >= filteredDirs_.size())
      fail("{}: no filtered catalog was given for its variant {}", where(platform), platform.variant);

    auto config = ordered_json::parse(readSmallBlob(original_, *node.manifest.config), nullptr, false);
    if (config.is_discarded() || !config.is_object() || !config.contains("rootfs") || !config["rootfs"].is_object())
      fail("{}: its config is not an image config with a rootfs", where(platform));
    ordered_json& section = config["config"];
    if (!section.is_object()) section = ordered_json::object();
    ContainerCommand command{stringList(section, "Entrypoint"), stringList(section, "Cmd")};

    // The layers.
    std::vector<std::string> removed{directory};
    std::string workingDir;
    if (auto it = section.find("WorkingDir"); it != section.end() && it->is_string()) workingDir = it->get<std::string>();
    auto caches = opmCacheDirectories(command, workingDir);
    caches.push_back(kDefaultCacheDir);
    for (const auto& cache : caches) {
      if (isInsideOrEqual(cache, directory)) continue;  // gone with the configs directory
      if (isInsideOrEqual(directory, cache)) {
        warnings.push_back(fmt::format("{}: the opm cache directory /{} holds the catalog directory; it is "
                                               "not removed, only the catalog in it replaced",
                                               where(platform), cache));
        continue;
      }
      removed.push_back(cache);
    }
    std::sort(removed.begin(), removed.end());
    removed.erase(std::unique(removed.begin(), removed.end()), removed.end());
    auto whiteouts = whiteoutLayer(removed);
    auto catalog = catalogLayer(platform.variant, directory);

    // The config.
    auto& diffIds = config["rootfs"]["diff_ids"];
    if (!diffIds.is_array()) fail("{}: its config has no rootfs.diff_ids list", where(platform));
    diffIds.push_back(whiteouts.diffId.str());
    diffIds.push_back(catalog.diffId.str());
    if (config.contains("history") && config["history"].is_array()) {
      std::string created = config.contains("created") && config["created"].is_string()
                                ? config["created"].get<std::string>()
                                : std::string(kEpoch);
      std::string removedList;
      for (const auto& path : removed) removedList += " /" + path;
      config["history"].push_back(
          {{"created", created}, {"created_by", fmt::format("{}: remove{}", kCreatedBy, removedList)}});
      config["history"].push_back({{"created", created}, {"created_by", kCreatedBy}});
    }
    if (auto serve = serveWithoutCache(command, platform.configsDir)) {
      if (serve->entrypoint != command.entrypoint) section["Entrypoint"] = serve->entrypoint;
      if (serve->cmd != command.cmd) {
        if (serve->cmd.empty()) {
          section["Cmd"] = nullptr;
        } else {
          section["Cmd"] = serve->cmd;
        }
      }
    }
    section["Labels"][kConfigsLabel] = platform.configsDir;
    std::string configBytes = config.dump();
    Descriptor configDescriptor{.mediaType = node.manifest.config->mediaType,
                                .digest = Digest::sha256Of(configBytes),
                                .size = static_cast<int64_t>(configBytes.size())};
    out_.putBlobBytes(configDescriptor, std::move(configBytes));

    // The manifest.
    auto manifest = ordered_json::parse(node.raw.bytes);
    manifest["config"]["digest"] = configDescriptor.digest.str();
    manifest["config"]["size"] = configDescriptor.size;
    for (const auto* layer : {&whiteouts, &catalog})
      manifest["layers"].push_back({{"mediaType", layerType}, {"digest", layer->digest.str()}, {"size", layer->size}});
    return RawManifest::of(manifest.dump(), node.raw.mediaType);
  }

  struct Layer {
    Digest digest;
    Digest diffId;
    int64_t size;
  };

  Layer store(LayerWriter& writer) {
    auto written = writer.finish();
    Descriptor descriptor{.mediaType = std::string(media::kOciLayerGzip), .digest = written.digest, .size = written.size};
    try {
      out_.putBlob(descriptor, written.file);
    } catch (...) {
      std::error_code ignored;
      fs::remove(written.file, ignored);
      throw;
    }
    return Layer{written.digest, written.diffId, written.size};
  }

  fs::path stagingFile() {
    auto directory = out_.stagingDirectory().value_or(out_.directory() / "blobs");
    return uniqueTemporaryPath(directory, "ferry-layer");
  }

  Layer whiteoutLayer(const std::vector<std::string>& removed) {
    std::string key;
    for (const auto& path : removed) key += path + "\n";
    if (auto done = whiteoutLayers_.find(key); done != whiteoutLayers_.end()) return done->second;
    LayerWriter writer(stagingFile());
    for (const auto& path : removed) writer.addWhiteout(path);
    auto layer = store(writer);
    whiteoutLayers_.emplace(key, layer);
    return layer;
  }

  Layer catalogLayer(size_t variant, const std::string& directory) {
    std::string key = std::to_string(variant) + " " + directory;
    if (auto done = catalogLayers_.find(key); done != catalogLayers_.end()) return done->second;
    LayerWriter writer(stagingFile());
    writer.addTree(directory, filteredDirs_[variant]);
    auto layer = store(writer);
    catalogLayers_.emplace(key, layer);
    return layer;
  }

  const CatalogImage& image_;
  const std::vector<fs::path>& filteredDirs_;
  ImageSource& original_;
  OciLayout& out_;
  std::map<Digest, size_t> platformOf_;
  std::map<std::string, Layer> whiteoutLayers_;
  std::map<std::string, Layer> catalogLayers_;
};

}  // namespace

std::vector<std::string> opmCacheDirectories(const ContainerCommand& command, const std::string& workingDir) {
  std::vector<std::string> arguments = command.entrypoint;
  arguments.insert(arguments.end(), command.cmd.begin(), command.cmd.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < arguments.size(); ++i) {
    std::string value;
    if (arguments[i] == "--cache-dir" && i + 1 < arguments.size()) {
      value = arguments[++i];
    } else if (arguments[i].starts_with("--cache-dir=")) {
      value = arguments[i].substr(std::string_view("--cache-dir=").size());
    } else {
      continue;
    }
    if (!value.starts_with('/')) value = (workingDir.empty() ? std::string("/") : workingDir) + "/" + value;
    try {
      out.push_back(imageDirectoryPath(value));
    } catch (const Error&) {
      // The root or a path with "..": nothing ferry would remove.
    }
  }
  return out;
}

std::optional<ContainerCommand> serveWithoutCache(const ContainerCommand& command, const std::string& configsDir) {
  std::vector<std::string> arguments = command.entrypoint;
  arguments.insert(arguments.end(), command.cmd.begin(), command.cmd.end());
  auto serve = std::find(arguments.begin(), arguments.end(), "serve");
  if (serve == arguments.end()) return std::nullopt;
  size_t serveAt = static_cast<size_t>(serve - arguments.begin());

  std::vector<std::string> rewritten(arguments.begin(), serve + 1);
  rewritten.push_back(configsDir);
  bool positionalSeen = false;
  bool onlyPositionals = false;
  for (size_t i = serveAt + 1; i < arguments.size(); ++i) {
    const auto& argument = arguments[i];
    if (!onlyPositionals && argument == "--") {
      onlyPositionals = true;
      continue;
    }
    if (onlyPositionals || !argument.starts_with('-')) {
      if (!positionalSeen) {
        positionalSeen = true;  // the catalog directory: replaced by configsDir
        continue;
      }
      rewritten.push_back(argument);
      continue;
    }
    std::string name = flagName(argument);
    bool takesNext = kServeValueFlags.contains(name) && argument.find('=') == std::string::npos;
    if (kServeCacheFlags.contains(name)) {
      if (takesNext) ++i;
      continue;
    }
    rewritten.push_back(argument);
    if (takesNext && i + 1 < arguments.size()) rewritten.push_back(arguments[++i]);
  }

  ContainerCommand out;
  if (serveAt >= command.entrypoint.size()) {
    out.entrypoint = command.entrypoint;
    out.cmd.assign(rewritten.begin() + static_cast<std::ptrdiff_t>(command.entrypoint.size()), rewritten.end());
  } else {
    out.entrypoint = rewritten;
  }
  return out;
}

RebuiltCatalog rebuildCatalogImage(const CatalogImage& image, const std::vector<fs::path>& filteredDirs,
                                   ImageSource& original, OciLayout& out, const RebuildOptions& options) {
  if (filteredDirs.size() != image.variants.size())
    fail("{}: {} filtered catalogs given for {} catalog variants", image.reference, filteredDirs.size(),
         image.variants.size());
  Rebuilder rebuilder(image, filteredDirs, original, out);
  auto top = rebuilder.rebuild();
  if (!top) fail("{} holds no platform image of the catalog to rebuild", image.reference);
  out.putManifest(*top, options.tag, true);
  return RebuiltCatalog{.top = std::move(*top), .warnings = std::move(rebuilder.warnings)};
}

}  // namespace ferry::catalog
