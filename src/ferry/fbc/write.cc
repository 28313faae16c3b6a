#include "ferry/fbc/write.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/fbc/json_text.h"

namespace ferry::catalog {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::ordered_json;

std::string indented(const Json& object) {
  std::string out;
  appendIndentedJson(out, object.dump(-1, ' ', false, Json::error_handler_t::replace));
  return out;
}

Json parseObject(const std::string& json, std::string_view what) {
  Json object = Json::parse(json, nullptr, false);
  if (!object.is_object()) fail("cannot write {}: its JSON text is not an object", what);
  return object;
}

// Sets field `name` of `object` to `value`: in the place of the first key that
// matches it case-insensitively (others dropped, as Go would have decoded just
// one), or after the key `after` when there is none.
void replaceField(Json& object, std::string_view name, Json value, std::string_view after) {
  bool present = false;
  for (auto it = object.begin(); it != object.end(); ++it) present = present || keyMatches(it.key(), name);
  Json result = Json::object();
  bool placed = false;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (keyMatches(it.key(), name)) {
      if (!placed) result[std::string(name)] = std::move(value);
      placed = true;
      continue;
    }
    result[it.key()] = std::move(it.value());
    if (!present && !placed && keyMatches(it.key(), after)) {
      result[std::string(name)] = std::move(value);
      placed = true;
    }
  }
  if (!placed) result[std::string(name)] = std::move(value);
  object = std::move(result);
}

Json skeleton(std::string_view schema, std::string_view name, std::string_view package) {
  Json object = Json::object();
  object["schema"] = schema;
  if (!name.empty()) object["name"] = name;
  if (!package.empty()) object["package"] = package;
  return object;
}

std::string indentedText(std::string_view json) {
  std::string out;
  appendIndentedJson(out, json);
  return out;
}

// The value of `name` as Go would decode it into a struct field (case-insensitive, last wins), or null.
const Json* lastField(const Json& object, std::string_view name) {
  const Json* found = nullptr;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (keyMatches(it.key(), name)) found = &it.value();
  }
  return found;
}

std::string stringField(const Json& object, std::string_view name) {
  const Json* value = lastField(object, name);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

std::vector<std::string> stringsField(const Json& object, std::string_view name) {
  std::vector<std::string> strings;
  const Json* value = lastField(object, name);
  if (value == nullptr || !value->is_array()) return strings;
  for (const auto& item : *value) strings.push_back(item.is_string() ? item.get<std::string>() : std::string());
  return strings;
}

// A channel's entries as JSON. An entry that is unchanged from one of the
// `original` entries (same name, replaces, skips, skipRange) is that original
// object, so fields ferry does not know about and key order survive.
Json entriesJson(const std::vector<ChannelEntry>& entries, const Json& original) {
  std::map<std::string, const Json*> originalByName;
  for (const auto& item : original) {
    if (item.is_object()) originalByName.emplace(stringField(item, "name"), &item);
  }
  Json result = Json::array();
  for (const auto& entry : entries) {
    auto found = originalByName.find(entry.name);
    if (found != originalByName.end()) {
      const Json& item = *found->second;
      if (stringField(item, "replaces") == entry.replaces && stringsField(item, "skips") == entry.skips &&
          stringField(item, "skipRange") == entry.skipRange) {
        result.push_back(item);
        continue;
      }
    }
    Json item{{"name", entry.name}};
    if (!entry.replaces.empty()) item["replaces"] = entry.replaces;
    if (!entry.skips.empty()) item["skips"] = entry.skips;
    if (!entry.skipRange.empty()) item["skipRange"] = entry.skipRange;
    result.push_back(std::move(item));
  }
  return result;
}

// Deprecation entries as JSON, reusing unchanged `original` entries as entriesJson does.
Json deprecationEntriesJson(const std::vector<DeprecationEntry>& entries, const Json& original) {
  Json result = Json::array();
  for (const auto& entry : entries) {
    const Json* reused = nullptr;
    for (const auto& item : original) {
      if (!item.is_object()) continue;
      const Json* reference = lastField(item, "reference");
      if (reference == nullptr || !reference->is_object()) continue;
      if (stringField(*reference, "schema") == entry.schema && stringField(*reference, "name") == entry.name &&
          stringField(item, "message") == entry.message) {
        reused = &item;
        break;
      }
    }
    if (reused != nullptr) {
      result.push_back(*reused);
      continue;
    }
    Json reference{{"schema", entry.schema}};
    if (!entry.name.empty()) reference["name"] = entry.name;
    result.push_back(Json{{"reference", std::move(reference)}, {"message", entry.message}});
  }
  return result;
}

std::string bundleJson(const Bundle& bundle) {
  if (!bundle.json.empty()) return indentedText(bundle.json);
  // A bundle made in code, not read: its typed fields are all there is.
  Json object = skeleton("olm.bundle", bundle.name, bundle.package);
  object["image"] = bundle.image;
  Json properties = Json::array();
  auto add = [&](std::string_view type, Json value) {
    properties.push_back(Json{{"type", type}, {"value", std::move(value)}});
  };
  for (const auto& api : bundle.providedApis) {
    add("olm.gvk", Json{{"group", api.group}, {"kind", api.kind}, {"version", api.version}});
  }
  for (const auto& api : bundle.requiredApis) {
    add("olm.gvk.required", Json{{"group", api.group}, {"kind", api.kind}, {"version", api.version}});
  }
  if (bundle.packagePropertyCount > 0) {
    Json value{{"packageName", bundle.packageProperty}, {"version", bundle.version}};
    if (!bundle.release.empty()) value["release"] = bundle.release;
    add("olm.package", std::move(value));
  }
  for (const auto& required : bundle.requiredPackages) {
    add("olm.package.required", Json{{"packageName", required.packageName}, {"versionRange", required.versionRange}});
  }
  if (!properties.empty()) object["properties"] = std::move(properties);
  if (!bundle.relatedImages.empty()) {
    Json images = Json::array();
    for (const auto& image : bundle.relatedImages) images.push_back(Json{{"name", image.name}, {"image", image.image}});
    object["relatedImages"] = std::move(images);
  }
  return indented(object);
}

std::string otherJson(const OtherObject& other) {
  if (!other.json.empty()) return indentedText(other.json);
  return indented(skeleton(other.schema, other.name, other.package));
}

bool isSafePathElement(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

// The objects of one package (or of the catalog itself: package ""), in the order opm writes them.
struct PackageObjects {
  std::vector<const Package*> packages;
  std::vector<const Channel*> channels;
  std::vector<const Bundle*> bundles;
  std::vector<const OtherObject*> others;
  std::vector<const Deprecation*> deprecations;

  std::string render() {
    auto byName = [](const auto* a, const auto* b) { return a->name < b->name; };
    std::stable_sort(packages.begin(), packages.end(), byName);
    std::stable_sort(channels.begin(), channels.end(), byName);
    std::stable_sort(bundles.begin(), bundles.end(), byName);
    std::stable_sort(others.begin(), others.end(), [](const auto* a, const auto* b) { return a->schema < b->schema; });
    size_t size = 0;
    for (const auto* bundle : bundles) size += bundle->json.size() + bundle->json.size() / 4;
    std::string out;
    out.reserve(size);
    auto add = [&](const std::string& text) {
      out += text;
      out += '\n';
    };
    for (const auto* package : packages) add(packageJson(*package));
    for (const auto* channel : channels) add(channelJson(*channel));
    for (const auto* bundle : bundles) {
      if (bundle->json.empty()) {
        add(bundleJson(*bundle));
      } else {
        appendIndentedJson(out, bundle->json);  // straight into the file's text: bundles are most of it
        out += '\n';
      }
    }
    for (const auto* other : others) add(otherJson(*other));
    for (const auto* deprecation : deprecations) add(deprecationJson(*deprecation));
    return out;
  }
};

}  // namespace

std::string channelJson(const Channel& channel) {
  if (channel.json.empty()) {
    Json object = skeleton("olm.channel", channel.name, channel.package);
    object["entries"] = entriesJson(channel.entries, Json::array());
    return indented(object);
  }
  Json object = parseObject(channel.json, fmt::format("channel \"{}\"", channel.name));
  const Json* original = lastField(object, "entries");
  Json empty = Json::array();
  Json entries = entriesJson(channel.entries, original != nullptr && original->is_array() ? *original : empty);
  if (original != nullptr && *original == entries) return indentedText(channel.json);
  replaceField(object, "entries", std::move(entries), "package");
  return indented(object);
}

std::string packageJson(const Package& package) {
  if (package.json.empty()) {
    Json object = skeleton("olm.package", package.name, "");
    object["defaultChannel"] = package.defaultChannel;
    return indented(object);
  }
  Json object = parseObject(package.json, fmt::format("package \"{}\"", package.name));
  const Json* original = lastField(object, "defaultChannel");
  if (original != nullptr && *original == package.defaultChannel) return indentedText(package.json);
  replaceField(object, "defaultChannel", package.defaultChannel, "name");
  return indented(object);
}

std::string deprecationJson(const Deprecation& deprecation) {
  if (deprecation.json.empty()) {
    Json object = skeleton("olm.deprecations", "", deprecation.package);
    object["entries"] = deprecationEntriesJson(deprecation.entries, Json::array());
    return indented(object);
  }
  Json object = parseObject(deprecation.json, fmt::format("deprecations of package \"{}\"", deprecation.package));
  const Json* original = lastField(object, "entries");
  Json empty = Json::array();
  Json entries =
      deprecationEntriesJson(deprecation.entries, original != nullptr && original->is_array() ? *original : empty);
  if (original != nullptr && *original == entries) return indentedText(deprecation.json);
  replaceField(object, "entries", std::move(entries), "package");
  return indented(object);
}

void writeCatalog(const Catalog& catalog, const fs::path& root) {
  std::error_code error;
  if (fs::exists(root, error)) {
    if (!fs::is_directory(root, error)) fail("cannot write the catalog to '{}': it is not a directory", root.string());
    if (!fs::is_empty(root, error)) {
      fail("cannot write the catalog to '{}': the directory is not empty; give a new or empty directory",
           root.string());
    }
  } else if (!fs::create_directories(root, error) && error) {
    fail("cannot create catalog directory '{}': {}", root.string(), error.message());
  }

  std::map<std::string_view, PackageObjects> groups;
  for (const auto& object : catalog.packages) groups[object.name].packages.push_back(&object);
  for (const auto& object : catalog.channels) groups[object.package].channels.push_back(&object);
  for (const auto& object : catalog.bundles) groups[object.package].bundles.push_back(&object);
  for (const auto& object : catalog.others) groups[object.package].others.push_back(&object);
  for (const auto& object : catalog.deprecations) groups[object.package].deprecations.push_back(&object);

  for (auto& [package, objects] : groups) {
    fs::path file = root / "catalog.json";
    if (!package.empty()) {
      if (!isSafePathElement(package)) {
        fail("cannot write package \"{}\": its name cannot be a directory name (it must be one path element)",
             package);
      }
      fs::path directory = root / std::string(package);
      fs::create_directory(directory, error);
      if (error) fail("cannot create '{}': {}", directory.string(), error.message());
      file = directory / "catalog.json";
    }
    writeFileAtomically(file, objects.render());
  }
}

}  // namespace ferry::catalog
