#include "ferry/catalog/catalog_image.h"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/imagefs/layer_extract.h"
#include "ferry/fbc/load.h"
#include "ferry/oci/media_types.h"

namespace ferry::catalog {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// An image manifest of the graph with the platform its index entry gives, if any.
struct FoundImage {
  const ImageGraph* node;
  std::optional<Platform> described;
};

void collectImages(const ImageGraph& node, const Descriptor* descriptor, std::set<Digest>& seen,
                   std::vector<FoundImage>& out) {
  if (node.manifest.isIndex) {
    for (size_t i = 0; i < node.children.size(); ++i)
      collectImages(node.children[i], &node.manifest.manifests[i], seen, out);
    return;
  }
  if (!seen.insert(node.raw.digest).second) return;
  std::optional<Platform> described;
  if (descriptor && descriptor->platform && !descriptor->platform->os.empty() &&
      !descriptor->platform->architecture.empty())
    described = descriptor->platform;
  out.push_back(FoundImage{&node, described});
}

std::optional<std::string> labelOf(const json& config, const char* name) {
  auto section = config.find("config");
  if (section == config.end() || !section->is_object()) return std::nullopt;
  auto labels = section->find("Labels");
  if (labels == section->end() || !labels->is_object()) return std::nullopt;
  auto value = labels->find(name);
  if (value == labels->end() || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

// Removes a directory when extraction into it did not finish.
struct RemoveUnlessKept {
  fs::path path;
  bool kept = false;
  ~RemoveUnlessKept() {
    if (kept) return;
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

class Reader {
 public:
  Reader(ImageSource& source, const ImageReference& reference, const fs::path& work, CatalogImage& image,
         const std::vector<Platform>& only)
      : source_(source), name_(reference.str()), work_(work), image_(image), only_(only) {}

  // Finds the platform images and their catalog directories.
  void findPlatforms(const std::vector<FoundImage>& found) {
    for (const auto& [node, described] : found) {
      if (described && !described->isReal()) continue;  // attestations: they describe an image, not a platform
      if (!node->manifest.config || node->manifest.mediaType == media::kOciArtifactManifest) continue;
      std::string bytes = readSmallBlob(source_, *node->manifest.config);
      json config = json::parse(bytes, nullptr, false);
      if (config.is_discarded() || !config.is_object())
        fail("the config {} of {}@{} is not a JSON object", node->manifest.config->digest.str(), name_,
             node->raw.digest.str());
      auto label = labelOf(config, kConfigsLabel);

      Platform fromConfig = ImageConfig::parse(bytes).platform;
      Platform platform;
      if (described) {
        platform = *described;
      } else if (fromConfig.isReal()) {
        platform = fromConfig;
      } else if (label) {
        platform = Platform{.os = "linux", .architecture = "amd64"};
        image_.warnings.push_back(fmt::format(
            "{}@{} has no platform in its index entry or its config; treating it as linux/amd64", name_,
            node->raw.digest.str()));
      } else {
        continue;  // no platform and no catalog: not one of the catalog's images
      }

      if (!only_.empty()) {
        bool wanted = false;
        for (const auto& chosen : only_) wanted = wanted || chosen.sameAs(platform);
        offered_.insert(platform.str());
        if (!wanted) continue;
      }
      std::string where = fmt::format("{}@{} ({})", name_, node->raw.digest.str(), platform.str());
      if (!label) {
        if (labelOf(config, kSqliteLabel))
          fail("{} is a SQLite-based operator catalog (label {}); ferry supports only File-Based Catalogs: use a "
               "catalog built for OpenShift 4.11 or later, or convert it with `opm migrate`",
               where, kSqliteLabel);
        fail("{} is not an operator catalog image (no label {} in its config); check the catalog reference", where,
             kConfigsLabel);
      }
      std::string directory;
      try {
        directory = imageDirectoryPath(*label);
      } catch (const Error& e) {
        fail("{}: label {}: {}", where, kConfigsLabel, e.what());
      }
      image_.platforms.push_back(PlatformCatalog{.platform = platform,
                                                 .manifestDigest = node->raw.digest,
                                                 .configDigest = node->manifest.config->digest,
                                                 .configsDir = "/" + directory,
                                                 .variant = 0});
      nodes_.push_back(node);
    }
    if (image_.platforms.empty() && !only_.empty()) {
      std::string wanted, has;
      for (const auto& chosen : only_) wanted += (wanted.empty() ? "" : ", ") + chosen.str();
      for (const auto& name : offered_) has += (has.empty() ? "" : ", ") + name;
      fail("{} has none of the chosen platforms ({}); it has: {}; change operators[].platforms", name_, wanted,
           has.empty() ? "none" : has);
    }
    if (image_.platforms.empty())
      fail("{} holds no image with a platform; it is not an operator catalog image", name_);
  }

  void findVariants() {
    for (size_t index = 0; index < image_.platforms.size(); ++index) {
      auto& platform = image_.platforms[index];
      std::string directory = platform.configsDir.substr(1);
      std::string where = fmt::format("{}@{} ({})", name_, platform.manifestDigest.str(), platform.platform.str());

      // The layers that decide the directory's content, and a key for them.
      std::vector<const Descriptor*> touching;
      std::string sequence = directory;
      for (const auto& layer : nodes_[index]->manifest.layers) {
        std::string key = directory + " " + layer.digest.str();
        auto known = touches_.find(key);
        if (known == touches_.end()) {
          std::string layerName = fmt::format("{} of {}", layer.digest.str(), where);
          auto compression = compressionOf(layer, layerName);
          BlobStream stream(source_, layer, where);
          BlobLayerBytes bytes(stream);
          known = touches_.emplace(key, layerTouchesDirectory(bytes, compression, directory, layerName)).first;
        }
        if (known->second) {
          touching.push_back(&layer);
          sequence += " " + layer.digest.str();
        }
      }
      if (touching.empty())
        fail("{} has nothing in {}, the directory its label {} names", where, platform.configsDir, kConfigsLabel);

      auto same = bySequence_.find(sequence);
      size_t variant = same != bySequence_.end() ? same->second : extract(directory, touching, where);
      bySequence_.emplace(sequence, variant);
      platform.variant = variant;
      image_.variants[variant].platforms.push_back(index);
    }
  }

  void loadVariants() {
    for (auto& variant : image_.variants) {
      try {
        variant.catalog = loadCatalog(variant.directory);
      } catch (const Error& e) {
        std::string platforms;
        for (size_t index : variant.platforms)
          platforms += (platforms.empty() ? "" : ", ") + image_.platforms[index].platform.str();
        fail("the catalog of {} ({}) does not load: {}", name_, platforms, e.what());
      }
    }
  }

 private:
  static LayerCompression compressionOf(const Descriptor& layer, const std::string& layerName) {
    try {
      return layerCompression(layer.mediaType);
    } catch (const Error& e) {
      fail("layer {}: {}", layerName, e.what());
    }
  }

  // Extracts the directory from `layers` and returns its variant, a new one
  // unless another platform's extraction has the same content.
  size_t extract(const std::string& directory, const std::vector<const Descriptor*>& layers, const std::string& where) {
    std::error_code error;
    fs::create_directories(work_, error);
    if (error) fail("cannot create '{}': {}", work_.string(), error.message());
    RemoveUnlessKept staging{uniqueTemporaryPath(work_, ".extract")};
    DirectoryExtractor extractor(directory, staging.path);
    for (const auto* layer : layers) {
      std::string layerName = fmt::format("{} of {}", layer->digest.str(), where);
      auto compression = compressionOf(*layer, layerName);
      BlobStream stream(source_, *layer, where);
      BlobLayerBytes bytes(stream);
      extractor.apply(bytes, compression, layerName);
    }
    ++image_.extractions;
    if (!extractor.directoryExists())
      fail("{} has no directory /{} once its layers are applied (its label {} names it)", where, directory,
           kConfigsLabel);

    std::string key = directoryContentKey(staging.path);
    if (auto same = byContent_.find(key); same != byContent_.end()) return same->second;
    // Directories are named by content and made by one rename, so one already
    // there (another catalog's, an earlier run's) is used as it is, unless it was changed since.
    fs::path final = work_ / key;
    auto alreadyThere = [&] { return fs::is_directory(final) && directoryContentKey(final) == key; };
    if (!alreadyThere()) {
      fs::remove_all(final, error);
      fs::rename(staging.path, final, error);
      if (error && !alreadyThere())
        fail("cannot move the extracted catalog to '{}': {}", final.string(), error.message());
      staging.kept = !error;
    }
    image_.variants.push_back(CatalogVariant{.contentKey = key, .directory = final, .catalog = {}, .platforms = {}});
    byContent_.emplace(key, image_.variants.size() - 1);
    return image_.variants.size() - 1;
  }

  ImageSource& source_;
  std::string name_;
  fs::path work_;
  CatalogImage& image_;
  const std::vector<Platform>& only_;
  std::set<std::string> offered_;             // every platform seen (for the message when none is chosen)
  std::vector<const ImageGraph*> nodes_;      // the image manifest of each platform
  std::map<std::string, bool> touches_;       // "<directory> <layer digest>": the layer touches the directory
  std::map<std::string, size_t> bySequence_;  // "<directory> <touching layers...>": its variant
  std::map<std::string, size_t> byContent_;   // content key: its variant
};

}  // namespace

CatalogImage readCatalogImage(ImageSource& source, const ImageReference& reference, const fs::path& work,
                              const std::vector<Platform>& only) {
  CatalogImage image{.reference = reference.str(),
                     .graph = fetchImageGraph(source, reference.manifestReference()),
                     .platforms = {},
                     .variants = {},
                     .extractions = 0,
                     .warnings = {}};

  std::vector<FoundImage> found;
  std::set<Digest> seen;
  collectImages(image.graph, nullptr, seen, found);

  // A single-image catalog is read as it is, whatever the selection (as `ferry copy --platform` copies one).
  static const std::vector<Platform> kEveryPlatform;
  Reader reader(source, reference, work, image, image.graph.manifest.isIndex ? only : kEveryPlatform);
  reader.findPlatforms(found);
  reader.findVariants();
  reader.loadVariants();
  return image;
}

}  // namespace ferry::catalog
