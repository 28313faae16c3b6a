#include "ferry/mirror/plan.h"

#include <nlohmann/json.hpp>

#include "ferry/base/error.h"

namespace ferry::mirror {
namespace {

using nlohmann::ordered_json;

ordered_json namingToJson(const NamingOptions& naming) {
  ordered_json json = ordered_json::object();
  if (naming.targetRepo) json["targetRepo"] = *naming.targetRepo;
  if (naming.targetCatalog) json["targetCatalog"] = *naming.targetCatalog;
  if (naming.targetTag) json["targetTag"] = *naming.targetTag;
  return json;
}

NamingOptions namingFromJson(const nlohmann::json& json) {
  NamingOptions naming;
  if (json.contains("targetRepo")) naming.targetRepo = json["targetRepo"].get<std::string>();
  if (json.contains("targetCatalog")) naming.targetCatalog = json["targetCatalog"].get<std::string>();
  if (json.contains("targetTag")) naming.targetTag = json["targetTag"].get<std::string>();
  return naming;
}

ImageKind kindFromName(const std::string& name, const std::string& where) {
  for (auto kind : {ImageKind::Catalog, ImageKind::Bundle, ImageKind::RelatedImage, ImageKind::Additional})
    if (name == kindName(kind)) return kind;
  fail("{}: unknown image kind '{}'", where, name);
}

}  // namespace

const char* kindName(ImageKind kind) {
  switch (kind) {
    case ImageKind::Catalog: return "catalog";
    case ImageKind::Bundle: return "bundle";
    case ImageKind::RelatedImage: return "related-image";
    case ImageKind::Additional: return "additional-image";
  }
  return "image";
}

std::string archiveName(const ImageReference& source) {
  if (source.transport == Transport::Layout) return "oci/" + source.layoutPath.lexically_normal().filename().string();
  return source.registry + "/" + source.repository;
}

std::string planToJson(const Plan& plan, const std::string& runId) {
  ordered_json json;
  json["formatVersion"] = 1;
  json["runId"] = runId;
  json["images"] = ordered_json::array();
  for (const auto& image : plan.images) {
    ordered_json entry;
    entry["kind"] = kindName(image.kind);
    entry["source"] = image.source.str();
    entry["naming"] = namingToJson(image.naming);
    ordered_json neededBy = ordered_json::array();
    for (const auto& [catalog, package] : image.neededBy) neededBy.push_back({{"catalog", catalog}, {"package", package}});
    entry["neededBy"] = neededBy;
    json["images"].push_back(entry);
  }
  json["catalogs"] = ordered_json::array();
  for (const auto& catalog : plan.catalogs) {
    ordered_json entry;
    entry["name"] = catalog.name;
    entry["source"] = catalog.source.str();
    entry["naming"] = namingToJson(catalog.naming);
    entry["rebuilt"] = catalog.rebuilt;
    entry["sourceDigest"] = catalog.sourceDigest;
    entry["packages"] = catalog.packages;
    entry["catalogSourceTemplate"] = catalog.catalogSourceTemplate;
    json["catalogs"].push_back(entry);
  }
  json["blocked"] = plan.blocked;
  return json.dump(2) + "\n";
}

Plan planFromJson(const std::string& text, const std::string& where) {
  Plan plan;
  try {
    auto json = nlohmann::json::parse(text);
    if (json.value("formatVersion", 0) != 1)
      fail("{}: plan format version {} is not one this ferry reads (1); use the ferry that wrote the archive", where,
           json.value("formatVersion", 0));
    for (const auto& entry : json.at("images")) {
      PlannedImage image;
      image.kind = kindFromName(entry.at("kind").get<std::string>(), where);
      image.source = ImageReference::parse(entry.at("source").get<std::string>());
      image.naming = namingFromJson(entry.at("naming"));
      for (const auto& need : entry.at("neededBy"))
        image.neededBy.emplace(need.at("catalog").get<int>(), need.at("package").get<std::string>());
      plan.images.push_back(std::move(image));
    }
    for (const auto& entry : json.at("catalogs")) {
      PlannedCatalog catalog;
      catalog.name = entry.at("name").get<std::string>();
      catalog.source = ImageReference::parse(entry.at("source").get<std::string>());
      catalog.naming = namingFromJson(entry.at("naming"));
      catalog.naming.isCatalog = true;
      catalog.rebuilt = entry.at("rebuilt").get<bool>();
      catalog.sourceDigest = entry.at("sourceDigest").get<std::string>();
      for (const auto& package : entry.at("packages")) catalog.packages.insert(package.get<std::string>());
      catalog.catalogSourceTemplate = entry.value("catalogSourceTemplate", "");
      plan.catalogs.push_back(std::move(catalog));
    }
    for (const auto& blocked : json.value("blocked", nlohmann::json::array())) plan.blocked.push_back(blocked);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: the plan is malformed ({})", where, e.what());
  }
  return plan;
}

}  // namespace ferry::mirror
