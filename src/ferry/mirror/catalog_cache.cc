#include "ferry/mirror/catalog_cache.h"

#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/base/log.h"
#include "ferry/base/files.h"
#include "ferry/fbc/load.h"

namespace ferry::mirror {
namespace {

constexpr const char* kRecord = "catalog-image.json";

void writeRecord(const catalog::CatalogImage& image, const std::filesystem::path& work) {
  nlohmann::ordered_json json;
  json["topDigest"] = image.graph.raw.digest.str();
  for (const auto& platform : image.platforms) {
    json["platforms"].push_back({{"platform", platform.platform.str()},
                                 {"manifestDigest", platform.manifestDigest.str()},
                                 {"configDigest", platform.configDigest.str()},
                                 {"configsDir", platform.configsDir},
                                 {"variant", platform.variant}});
  }
  for (const auto& variant : image.variants) {
    json["variants"].push_back({{"contentKey", variant.contentKey},
                                {"directory", std::filesystem::relative(variant.directory, work).string()},
                                {"platforms", variant.platforms}});
  }
  json["warnings"] = image.warnings;
  writeFileAtomically(work / kRecord, json.dump(2));
}

std::optional<catalog::CatalogImage> readRecord(ImageSource& source, const ImageReference& reference,
                                                const RawManifest& top, const std::filesystem::path& work) {
  std::error_code error;
  if (!std::filesystem::exists(work / kRecord, error)) return std::nullopt;
  try {
    auto json = nlohmann::json::parse(readFile(work / kRecord));
    if (json.at("topDigest").get<std::string>() != top.digest.str()) return std::nullopt;
    catalog::CatalogImage image{.reference = reference.str(), .graph = fetchImageGraph(source, top)};
    for (const auto& entry : json.at("platforms")) {
      image.platforms.push_back({.platform = Platform::parse(entry.at("platform").get<std::string>()),
                                 .manifestDigest = Digest::parse(entry.at("manifestDigest").get<std::string>()),
                                 .configDigest = Digest::parse(entry.at("configDigest").get<std::string>()),
                                 .configsDir = entry.at("configsDir").get<std::string>(),
                                 .variant = entry.at("variant").get<size_t>()});
    }
    for (const auto& entry : json.at("variants")) {
      auto relative = std::filesystem::path(entry.at("directory").get<std::string>()).lexically_normal();
      if (relative.is_absolute() || relative.string().rfind("..", 0) == 0) return std::nullopt;
      catalog::CatalogVariant variant;
      variant.contentKey = entry.at("contentKey").get<std::string>();
      variant.directory = work / relative;
      variant.platforms = entry.at("platforms").get<std::vector<size_t>>();
      variant.catalog = catalog::loadCatalog(variant.directory);
      image.variants.push_back(std::move(variant));
    }
    image.warnings = json.value("warnings", std::vector<std::string>{});
    return image;
  } catch (const std::exception&) {
    // A damaged or partial record: read the image again.
    return std::nullopt;
  }
}

}  // namespace

catalog::CatalogImage readCatalogCached(ImageSource& source, const ImageReference& reference, const RawManifest& top,
                                        const std::filesystem::path& work) {
  // Runs that share a --cache-dir may read the same catalog at once: one extracts, the others wait and reuse it.
  std::filesystem::create_directories(work);
  FileLock lock(work);
  if (auto cached = readRecord(source, reference, top, work)) {
    log::debug("catalog {}: reused the extraction in {} (same digest {})", reference.str(), work.string(),
               top.digest.str());
    return std::move(*cached);
  }
  log::debug("catalog {}: extracting {} into {}", reference.str(), top.digest.str(), work.string());
  auto image = catalog::readCatalogImage(source, reference, work);
  writeRecord(image, work);
  return image;
}

}  // namespace ferry::mirror
