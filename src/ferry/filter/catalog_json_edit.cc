#include "ferry/filter/catalog_json_edit.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string_view>

#include "ferry/base/error.h"

namespace ferry::catalog {
namespace {

// Keeps the members in the order they were read.
using Json = nlohmann::ordered_json;

bool sameKey(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The member called `key`: spelt exactly so, else in any case (opm reads
// JSON with Go's decoder, which matches field names case-insensitively).
Json* member(Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto exact = object.find(key);
  if (exact != object.end()) return &*exact;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (sameKey(it.key(), key)) return &it.value();
  }
  return nullptr;
}

std::string stringMember(Json& object, std::string_view key) {
  Json* value = member(object, key);
  return value && value->is_string() ? value->get<std::string>() : std::string();
}

Json parse(const std::string& text, const std::string& origin) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    fail("cannot rewrite the catalog object {}: its JSON does not parse: {}", origin, e.what());
  }
}

std::string compact(const Json& json) { return json.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json entryJson(const ChannelEntry& entry) {
  Json json = {{"name", entry.name}};
  if (!entry.replaces.empty()) json["replaces"] = entry.replaces;
  if (!entry.skips.empty()) json["skips"] = entry.skips;
  if (!entry.skipRange.empty()) json["skipRange"] = entry.skipRange;
  return json;
}

}  // namespace

std::string channelWithEntries(const Channel& channel, const std::set<std::string>& kept) {
  if (channel.json.empty()) {
    Json json = {{"schema", "olm.channel"}, {"name", channel.name}, {"package", channel.package}};
    json["entries"] = Json::array();
    for (const auto& entry : channel.entries) {
      if (kept.count(entry.name)) json["entries"].push_back(entryJson(entry));
    }
    return compact(json);
  }
  Json json = parse(channel.json, channel.origin);
  Json* entries = member(json, "entries");
  if (!entries || !entries->is_array()) {
    fail("cannot rewrite channel \"{}\" of package \"{}\" ({}): it has no `entries` list", channel.name,
         channel.package, channel.origin);
  }
  Json keptEntries = Json::array();
  for (auto& entry : *entries) {
    if (kept.count(stringMember(entry, "name"))) keptEntries.push_back(entry);
  }
  *entries = std::move(keptEntries);
  return compact(json);
}

std::string packageWithDefaultChannel(const Package& package, const std::string& defaultChannel) {
  if (package.json.empty()) {
    return compact(Json{{"schema", "olm.package"}, {"name", package.name}, {"defaultChannel", defaultChannel}});
  }
  Json json = parse(package.json, package.origin);
  if (Json* existing = member(json, "defaultChannel")) {
    *existing = defaultChannel;
  } else {
    json["defaultChannel"] = defaultChannel;
  }
  return compact(json);
}

std::string deprecationWithEntries(
    const Deprecation& deprecation,
    const std::function<bool(const std::string& schema, const std::string& name)>& keep) {
  if (deprecation.json.empty()) {
    Json json = {{"schema", "olm.deprecations"}, {"package", deprecation.package}};
    json["entries"] = Json::array();
    for (const auto& entry : deprecation.entries) {
      if (!keep(entry.schema, entry.name)) continue;
      Json reference = {{"schema", entry.schema}};
      if (!entry.name.empty()) reference["name"] = entry.name;
      json["entries"].push_back(Json{{"reference", reference}, {"message", entry.message}});
    }
    return compact(json);
  }
  Json json = parse(deprecation.json, deprecation.origin);
  Json* entries = member(json, "entries");
  if (!entries || !entries->is_array()) {
    fail("cannot rewrite the deprecations of package \"{}\" ({}): it has no `entries` list", deprecation.package,
         deprecation.origin);
  }
  Json keptEntries = Json::array();
  for (auto& entry : *entries) {
    Json* reference = member(entry, "reference");
    if (!reference) continue;
    if (keep(stringMember(*reference, "schema"), stringMember(*reference, "name"))) keptEntries.push_back(entry);
  }
  *entries = std::move(keptEntries);
  return compact(json);
}

}  // namespace ferry::catalog
