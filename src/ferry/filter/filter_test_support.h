// Helpers for the filter and dependency tests: catalogs written as JSON text
// (loaded with the real loader, so the tests also cover how properties are
// read), and views of a result that tests compare with exact expectations.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ferry/fbc/fbc_test_data.h"
#include "ferry/fbc/fbc.h"
#include "ferry/fbc/load.h"

namespace ferry::catalog::test_support {

using Json = nlohmann::ordered_json;

struct EntrySpec {
  std::string name;
  std::string replaces;
  std::vector<std::string> skips;
  std::string skipRange;
};

inline std::string packageObject(const std::string& name, const std::string& defaultChannel) {
  return Json{{"schema", "olm.package"}, {"name", name}, {"defaultChannel", defaultChannel}}.dump() + "\n";
}

inline std::string channelObject(const std::string& package, const std::string& name,
                                 const std::vector<EntrySpec>& entries) {
  Json json = {{"schema", "olm.channel"}, {"package", package}, {"name", name}, {"entries", Json::array()}};
  for (const auto& entry : entries) {
    Json object = {{"name", entry.name}};
    if (!entry.replaces.empty()) object["replaces"] = entry.replaces;
    if (!entry.skips.empty()) object["skips"] = entry.skips;
    if (!entry.skipRange.empty()) object["skipRange"] = entry.skipRange;
    json["entries"].push_back(object);
  }
  return json.dump() + "\n";
}

inline Json providesApi(const std::string& group, const std::string& version, const std::string& kind) {
  return {{"type", "olm.gvk"}, {"value", {{"group", group}, {"version", version}, {"kind", kind}}}};
}

inline Json requiresApi(const std::string& group, const std::string& version, const std::string& kind) {
  return {{"type", "olm.gvk.required"}, {"value", {{"group", group}, {"version", version}, {"kind", kind}}}};
}

inline Json requiresPackage(const std::string& package, const std::string& versionRange) {
  return {{"type", "olm.package.required"}, {"value", {{"packageName", package}, {"versionRange", versionRange}}}};
}

// A bundle named `name` with image quay.io/test/<name> and one related image.
inline std::string bundleObject(const std::string& package, const std::string& name, const std::string& version,
                                const std::vector<Json>& properties = {}) {
  Json json = {{"schema", "olm.bundle"},
               {"package", package},
               {"name", name},
               {"image", "quay.io/test/" + name + ":bundle"}};
  json["properties"] = Json::array();
  json["properties"].push_back({{"type", "olm.package"}, {"value", {{"packageName", package}, {"version", version}}}});
  for (const auto& property : properties) json["properties"].push_back(property);
  json["relatedImages"] = Json::array({Json{{"name", "operator"}, {"image", "quay.io/test/" + name + ":operator"}}});
  return json.dump() + "\n";
}

// references: (schema, name) pairs; name empty for the package itself.
inline std::string deprecationObject(const std::string& package,
                                     const std::vector<std::pair<std::string, std::string>>& references) {
  Json json = {{"schema", "olm.deprecations"}, {"package", package}, {"entries", Json::array()}};
  for (const auto& [schema, name] : references) {
    Json reference = {{"schema", schema}};
    if (!name.empty()) reference["name"] = name;
    json["entries"].push_back({{"reference", reference}, {"message", schema + " " + name + " is deprecated"}});
  }
  return json.dump() + "\n";
}

inline Catalog catalogFrom(const std::string& text) {
  Catalog catalog;
  loadCatalogText(text, "test-catalog.json", catalog);
  return catalog;
}

// "package/channel" → the names of its entries.
inline std::map<std::string, std::set<std::string>> channelEntries(const Catalog& catalog) {
  std::map<std::string, std::set<std::string>> entries;
  for (const auto& channel : catalog.channels) {
    auto& names = entries[channel.package + "/" + channel.name];
    for (const auto& entry : channel.entries) names.insert(entry.name);
  }
  return entries;
}

// "package" → the names of its bundles.
inline std::map<std::string, std::set<std::string>> bundleNames(const Catalog& catalog) {
  std::map<std::string, std::set<std::string>> names;
  for (const auto& bundle : catalog.bundles) names[bundle.package].insert(bundle.name);
  return names;
}

inline std::map<std::string, std::string> defaultChannels(const Catalog& catalog) {
  std::map<std::string, std::string> defaults;
  for (const auto& package : catalog.packages) defaults[package.name] = package.defaultChannel;
  return defaults;
}

// "package" → its deprecation references as "schema name".
inline std::map<std::string, std::set<std::string>> deprecationReferences(const Catalog& catalog) {
  std::map<std::string, std::set<std::string>> references;
  for (const auto& deprecation : catalog.deprecations) {
    auto& names = references[deprecation.package];
    for (const auto& entry : deprecation.entries) names.insert(entry.schema + " " + entry.name);
  }
  return references;
}

inline std::set<std::string> otherNames(const Catalog& catalog) {
  std::set<std::string> names;
  for (const auto& other : catalog.others) names.insert(other.schema + " " + other.package + "/" + other.name);
  return names;
}

// The objects' `json` must say what their typed fields say: loading the texts
// again gives the same channels, defaults, bundles and deprecations.
inline void expectJsonMatchesFields(const Catalog& catalog) {
  std::string text;
  auto add = [&](const std::string& json) { text += json + "\n"; };
  for (const auto& object : catalog.packages) add(object.json);
  for (const auto& object : catalog.channels) add(object.json);
  for (const auto& object : catalog.bundles) add(object.json);
  for (const auto& object : catalog.deprecations) add(object.json);
  for (const auto& object : catalog.others) add(object.json);
  Catalog reloaded = catalogFrom(text);
  EXPECT_EQ(channelEntries(reloaded), channelEntries(catalog));
  EXPECT_EQ(defaultChannels(reloaded), defaultChannels(catalog));
  EXPECT_EQ(bundleNames(reloaded), bundleNames(catalog));
  EXPECT_EQ(deprecationReferences(reloaded), deprecationReferences(catalog));
  EXPECT_EQ(otherNames(reloaded), otherNames(catalog));
}

// A folder of the shared FBC data (see fbc_test_data.h), if it is there.
inline std::optional<std::filesystem::path> fbcData(const std::string& relative) {
  auto path = fbcDataDirectory() / relative;
  if (!std::filesystem::exists(path)) return std::nullopt;
  return path;
}

inline bool containsText(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& line : lines) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace ferry::catalog::test_support
