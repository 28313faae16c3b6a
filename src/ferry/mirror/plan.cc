#include "ferry/mirror/plan.h"

#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/oci/platform.h"

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
  for (auto kind : {ImageKind::Catalog, ImageKind::Bundle, ImageKind::RelatedImage, ImageKind::Additional,
                    ImageKind::Release, ImageKind::ReleaseComponent, ImageKind::HelmChart, ImageKind::HelmImage, ImageKind::GraphImage})
    if (name == kindName(kind)) return kind;
  fail("{}: unknown image kind '{}'", where, name);
}

// A reference that is set (a default one, never named, is left out of the document).
bool isSet(const ImageReference& reference) {
  return !reference.registry.empty() || !reference.layoutPath.empty();
}

void putReference(ordered_json& json, const char* key, const ImageReference& reference) {
  if (isSet(reference)) json[key] = reference.str();
}

ImageReference referenceFrom(const nlohmann::json& json, const char* key) {
  if (!json.contains(key)) return {};
  return ImageReference::parse(json.at(key).get<std::string>());
}

std::optional<Digest> digestFrom(const nlohmann::json& json, const char* key) {
  auto text = json.value(key, std::string());
  if (text.empty()) return std::nullopt;
  return Digest::parse(text);
}

}  // namespace

void PlatformChoice::merge(const PlatformChoice& other) {
  if (everyPlatform()) return;
  if (other.everyPlatform()) {
    platforms.clear();
    return;
  }
  for (const auto& wanted : other.platforms) {
    bool known = false;
    for (const auto& have : platforms) known = known || Platform::parse(have).sameAs(Platform::parse(wanted));
    if (!known) platforms.push_back(wanted);
  }
  sparse = sparse || other.sparse;
}

const char* kindName(ImageKind kind) {
  switch (kind) {
    case ImageKind::Catalog: return "catalog";
    case ImageKind::Bundle: return "bundle";
    case ImageKind::RelatedImage: return "related-image";
    case ImageKind::Additional: return "additional-image";
    case ImageKind::Release: return "release";
    case ImageKind::ReleaseComponent: return "release-component";
    case ImageKind::HelmChart: return "helm-chart";
    case ImageKind::HelmImage: return "helm-image";
    case ImageKind::GraphImage: return "graph-image";
  }
  return "image";
}

std::string archiveName(const ImageReference& source) {
  if (source.transport == Transport::Layout) return "oci/" + source.layoutPath.lexically_normal().filename().string();
  return source.registry + "/" + source.repository;
}

std::string archiveReference(const ImageReference& source) {
  auto name = archiveName(source);
  return source.tag ? name + ":" + *source.tag : name + "@" + source.digest->str();
}

std::set<PackageOwner> CopyResults::failedOperators(const Plan& plan) const {
  std::set<PackageOwner> failed;
  for (size_t i = 0; i < images.size() && i < plan.images.size(); ++i)
    if (!images[i].ok) failed.insert(plan.images[i].neededBy.begin(), plan.images[i].neededBy.end());
  for (size_t c = 0; c < plan.catalogs.size(); ++c)
    for (const auto& package : plan.catalogs[c].unplannablePackages) failed.insert({static_cast<int>(c), package});
  return failed;
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
    putReference(entry, "destination", image.destination);
    entry["naming"] = namingToJson(image.naming);
    if (!image.platforms.everyPlatform()) {
      entry["platforms"] = image.platforms.platforms;
      entry["sparse"] = image.platforms.sparse;
    }
    ordered_json neededBy = ordered_json::array();
    for (const auto& owner : image.neededBy) neededBy.push_back({{"catalog", owner.catalog}, {"package", owner.package}});
    entry["neededBy"] = neededBy;
    if (!image.foundIn.empty()) entry["foundIn"] = image.foundIn;
    json["images"].push_back(entry);
  }
  json["catalogs"] = ordered_json::array();
  for (const auto& catalog : plan.catalogs) {
    ordered_json entry;
    entry["name"] = catalog.name;
    entry["source"] = catalog.source.str();
    putReference(entry, "destination", catalog.destination);
    entry["naming"] = namingToJson(catalog.naming);
    entry["rebuilt"] = catalog.rebuilt;
    entry["sourceDigest"] = catalog.sourceDigest ? catalog.sourceDigest->str() : "";
    entry["packages"] = catalog.packages;
    entry["notes"] = catalog.notes;
    entry["catalogSourceTemplate"] = catalog.catalogSourceTemplate;
    if (!catalog.platforms.everyPlatform()) entry["platforms"] = catalog.platforms.platforms;
    entry["archiveTag"] = catalog.archiveTag;
    entry["planningFailed"] = catalog.planningFailed;
    entry["unplannablePackages"] = catalog.unplannablePackages;
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
      image.destination = referenceFrom(entry, "destination");
      image.naming = namingFromJson(entry.at("naming"));
      if (entry.contains("platforms")) {
        image.platforms.platforms = entry.at("platforms").get<std::vector<std::string>>();
        image.platforms.sparse = entry.value("sparse", false);
      }
      for (const auto& need : entry.at("neededBy"))
        image.neededBy.insert({need.at("catalog").get<int>(), need.at("package").get<std::string>()});
      if (entry.contains("foundIn")) image.foundIn = entry.at("foundIn").get<std::vector<std::string>>();
      plan.images.push_back(std::move(image));
    }
    for (const auto& entry : json.at("catalogs")) {
      PlannedCatalog catalog;
      catalog.name = entry.at("name").get<std::string>();
      catalog.source = ImageReference::parse(entry.at("source").get<std::string>());
      catalog.destination = referenceFrom(entry, "destination");
      catalog.naming = namingFromJson(entry.at("naming"));
      catalog.naming.isCatalog = true;
      catalog.rebuilt = entry.at("rebuilt").get<bool>();
      catalog.sourceDigest = digestFrom(entry, "sourceDigest");
      for (const auto& package : entry.at("packages")) catalog.packages.insert(package.get<std::string>());
      for (const auto& note : entry.value("notes", nlohmann::json::array())) catalog.notes.push_back(note);
      catalog.catalogSourceTemplate = entry.value("catalogSourceTemplate", "");
      if (entry.contains("platforms")) catalog.platforms.platforms = entry.at("platforms").get<std::vector<std::string>>();
      // Archives written before archiveTag existed list a catalog under its source tag.
      catalog.archiveTag = entry.value("archiveTag", catalog.source.tag.value_or(""));
      catalog.planningFailed = entry.value("planningFailed", false);
      for (const auto& package : entry.value("unplannablePackages", nlohmann::json::array()))
        catalog.unplannablePackages.insert(package.get<std::string>());
      plan.catalogs.push_back(std::move(catalog));
    }
    for (const auto& blocked : json.value("blocked", nlohmann::json::array())) plan.blocked.push_back(blocked);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: the plan is malformed ({})", where, e.what());
  }
  return plan;
}

std::string copyResultsToJson(const CopyResults& results) {
  ordered_json json;
  json["formatVersion"] = 1;
  json["images"] = ordered_json::array();
  for (const auto& outcome : results.images) {
    ordered_json entry;
    entry["ok"] = outcome.ok;
    entry["alreadyPresent"] = outcome.alreadyPresent;
    entry["digest"] = outcome.digest ? outcome.digest->str() : "";
    entry["error"] = outcome.error;
    entry["warnings"] = outcome.warnings;
    if (!outcome.platforms.empty()) entry["platforms"] = outcome.platforms;
    if (outcome.sparse) entry["sparse"] = true;
    if (outcome.wholeFallback) entry["wholeFallback"] = true;
    json["images"].push_back(entry);
  }
  return json.dump(2) + "\n";
}

CopyResults copyResultsFromJson(const std::string& text, const std::string& where) {
  CopyResults results;
  try {
    auto json = nlohmann::json::parse(text);
    if (json.value("formatVersion", 0) != 1)
      fail("{}: copy results format version {} is not one this ferry reads (1)", where, json.value("formatVersion", 0));
    for (const auto& entry : json.at("images")) {
      ImageOutcome outcome;
      outcome.ok = entry.at("ok").get<bool>();
      outcome.alreadyPresent = entry.at("alreadyPresent").get<bool>();
      outcome.digest = digestFrom(entry, "digest");
      outcome.error = entry.at("error").get<std::string>();
      outcome.warnings = entry.at("warnings").get<std::vector<std::string>>();
      outcome.platforms = entry.value("platforms", std::vector<std::string>{});
      outcome.sparse = entry.value("sparse", false);
      outcome.wholeFallback = entry.value("wholeFallback", false);
      results.images.push_back(std::move(outcome));
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}: the copy results are malformed ({})", where, e.what());
  }
  return results;
}

}  // namespace ferry::mirror
