#include "ferry/fbc/read_object.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "ferry/base/error.h"
#include "ferry/fbc/json_text.h"

namespace ferry::catalog {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

std::string_view kindOf(element value) {
  switch (value.type()) {
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: return "a number";
    case element_type::STRING: return "a string";
    case element_type::BOOL: return "a boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

// The start of an object's text for messages: whole if short.
std::string excerpt(std::string_view json) {
  constexpr size_t kMax = 120;
  if (json.size() <= kMax) return std::string(json);
  return std::string(json.substr(0, kMax)) + "...";
}

class ObjectReader {
 public:
  explicit ObjectReader(const std::string& origin) : origin_(origin) {}

  template <typename... Args>
  [[noreturn]] void problem(fmt::format_string<Args...> format, Args&&... args) const {
    fail("{}: {}", origin_, fmt::format(format, std::forward<Args>(args)...));
  }

  // A field as Go's encoding/json finds it for a struct: case-insensitive, the last match wins.
  static std::optional<element> field(object fields, std::string_view name) {
    std::optional<element> found;
    for (auto member : fields) {
      if (keyMatches(member.key, name)) found = member.value;
    }
    return found;
  }

  // A string field; absent or null reads as "".
  std::string text(object fields, std::string_view name, std::string_view where) const {
    auto value = field(fields, name);
    if (!value || value->is_null()) return {};
    std::string_view result;
    if (value->get_string().get(result)) problem("{}{} must be a string, not {}", where, name, kindOf(*value));
    return std::string(result);
  }

  // An array field; absent or null reads as empty.
  std::optional<array> list(object fields, std::string_view name, std::string_view where) const {
    auto value = field(fields, name);
    if (!value || value->is_null()) return std::nullopt;
    array result;
    if (value->get_array().get(result)) problem("{}{} must be a list, not {}", where, name, kindOf(*value));
    return result;
  }

  object asObject(element value, std::string_view what) const {
    object result;
    if (value.get_object().get(result)) problem("{} must be an object, not {}", what, kindOf(value));
    return result;
  }

 private:
  const std::string& origin_;
};

struct Meta {
  std::string schema;
  std::string package;
  std::string name;
};

// opm's Meta: schema, package and name found case-insensitively, each at most once.
Meta readMeta(const ObjectReader& reader, object fields, std::string_view json) {
  constexpr std::string_view kNames[] = {"schema", "package", "name"};
  std::vector<std::string_view> keys[3];
  std::optional<element> values[3];
  for (auto member : fields) {
    for (int i = 0; i < 3; ++i) {
      if (!keyMatches(member.key, kNames[i])) continue;
      if (std::find(keys[i].begin(), keys[i].end(), member.key) == keys[i].end()) keys[i].push_back(member.key);
      values[i] = member.value;  // an exact repeat: the last value wins, as in a Go map
    }
  }
  std::string texts[3];
  for (int i = 0; i < 3; ++i) {
    if (keys[i].size() > 1) {
      std::sort(keys[i].begin(), keys[i].end());
      std::string list;
      for (auto key : keys[i]) list += (list.empty() ? "" : " ") + std::string(key);
      reader.problem("duplicate keys for key \"{}\": [{}]", kNames[i], list);
    }
    if (!values[i]) continue;
    std::string_view text;
    if (values[i]->get_string().get(text)) {
      reader.problem("expected value for key \"{}\" to be a string, got {}", kNames[i], kindOf(*values[i]));
    }
    texts[i] = std::string(text);
  }
  if (texts[0].empty()) reader.problem("object '{}' is missing root schema field", excerpt(json));
  return {std::move(texts[0]), std::move(texts[1]), std::move(texts[2])};
}

Package readPackage(const ObjectReader& reader, object fields, Meta& meta) {
  Package package;
  package.name = std::move(meta.name);
  package.defaultChannel = reader.text(fields, "defaultChannel", fmt::format("olm.package \"{}\": ", package.name));
  return package;
}

Channel readChannel(const ObjectReader& reader, object fields, Meta& meta) {
  Channel channel;
  channel.package = std::move(meta.package);
  channel.name = std::move(meta.name);
  std::string where = fmt::format("olm.channel \"{}\": ", channel.name);
  if (auto entries = reader.list(fields, "entries", where)) {
    channel.entries.reserve(entries->size());
    size_t index = 0;
    for (element item : *entries) {
      std::string at = fmt::format("{}entries[{}].", where, index);
      object entryFields = reader.asObject(item, fmt::format("{}entries[{}]", where, index));
      ChannelEntry entry;
      entry.name = reader.text(entryFields, "name", at);
      entry.replaces = reader.text(entryFields, "replaces", at);
      entry.skipRange = reader.text(entryFields, "skipRange", at);
      if (auto skips = reader.list(entryFields, "skips", at)) {
        size_t skipIndex = 0;
        for (element skip : *skips) {
          std::string_view text;
          if (skip.get_string().get(text)) {
            reader.problem("{}skips[{}] must be a string, not {}", at, skipIndex, kindOf(skip));
          }
          entry.skips.emplace_back(text);
          ++skipIndex;
        }
      }
      channel.entries.push_back(std::move(entry));
      ++index;
    }
  }
  return channel;
}

GroupVersionKind readGvk(const ObjectReader& reader, object value, std::string_view at) {
  return {reader.text(value, "group", at), reader.text(value, "version", at), reader.text(value, "kind", at)};
}

void readProperty(const ObjectReader& reader, element item, const std::string& where, size_t index, Bundle& bundle) {
  std::string at = fmt::format("{}properties[{}]", where, index);
  object property = reader.asObject(item, at);
  auto typeValue = ObjectReader::field(property, "type");
  std::string_view type;
  if (!typeValue || typeValue->get_string().get(type) || type.empty()) {
    reader.problem("{}: property type must be set (a non-empty string)", at);
  }
  auto value = ObjectReader::field(property, "value");
  if (!value) reader.problem("{} ({}): property value must be set", at, type);

  std::string valueAt = fmt::format("{} ({}) value", at, type);
  std::string fieldAt = valueAt + ".";
  if (type == "olm.package") {
    object fields = reader.asObject(*value, valueAt);
    std::string packageName = reader.text(fields, "packageName", fieldAt);
    std::string version = reader.text(fields, "version", fieldAt);
    std::string release = reader.text(fields, "release", fieldAt);
    if (bundle.packagePropertyCount++ == 0) {
      bundle.packageProperty = std::move(packageName);
      bundle.version = std::move(version);
      bundle.release = std::move(release);
    }
  } else if (type == "olm.gvk") {
    bundle.providedApis.push_back(readGvk(reader, reader.asObject(*value, valueAt), fieldAt));
  } else if (type == "olm.gvk.required") {
    bundle.requiredApis.push_back(readGvk(reader, reader.asObject(*value, valueAt), fieldAt));
  } else if (type == "olm.package.required") {
    object fields = reader.asObject(*value, valueAt);
    bundle.requiredPackages.push_back(
        {reader.text(fields, "packageName", fieldAt), reader.text(fields, "versionRange", fieldAt)});
  } else if (type == "olm.bundle.object") {
    object fields = reader.asObject(*value, valueAt);
    reader.text(fields, "data", fieldAt);  // checked to be a string; the payload itself stays in the JSON text
    bundle.hasBundleObjects = true;
  }
}

Bundle readBundle(const ObjectReader& reader, object fields, Meta& meta) {
  Bundle bundle;
  bundle.package = std::move(meta.package);
  bundle.name = std::move(meta.name);
  std::string where = fmt::format("olm.bundle \"{}\": ", bundle.name);
  bundle.image = reader.text(fields, "image", where);
  if (auto properties = reader.list(fields, "properties", where)) {
    size_t index = 0;
    for (element item : *properties) readProperty(reader, item, where, index++, bundle);
  }
  if (auto images = reader.list(fields, "relatedImages", where)) {
    bundle.relatedImages.reserve(images->size());
    size_t index = 0;
    for (element item : *images) {
      std::string at = fmt::format("{}relatedImages[{}]", where, index++);
      object image = reader.asObject(item, at);
      bundle.relatedImages.push_back({reader.text(image, "name", at + "."), reader.text(image, "image", at + ".")});
    }
  }
  return bundle;
}

Deprecation readDeprecation(const ObjectReader& reader, object fields, Meta& meta) {
  Deprecation deprecation;
  deprecation.package = std::move(meta.package);
  std::string where = fmt::format("olm.deprecations for package \"{}\": ", deprecation.package);
  if (auto entries = reader.list(fields, "entries", where)) {
    size_t index = 0;
    for (element item : *entries) {
      std::string at = fmt::format("{}entries[{}]", where, index++);
      object entryFields = reader.asObject(item, at);
      DeprecationEntry entry;
      if (auto reference = ObjectReader::field(entryFields, "reference"); reference && !reference->is_null()) {
        object referenceFields = reader.asObject(*reference, at + ".reference");
        entry.schema = reader.text(referenceFields, "schema", at + ".reference.");
        entry.name = reader.text(referenceFields, "name", at + ".reference.");
      }
      entry.message = reader.text(entryFields, "message", at + ".");
      deprecation.entries.push_back(std::move(entry));
    }
  }
  return deprecation;
}

}  // namespace

void addCatalogObject(element value, std::string json, std::string origin, Catalog& catalog) {
  ObjectReader reader(origin);
  object fields;
  if (value.get_object().get(fields)) reader.problem("expected an object, found {}", kindOf(value));
  Meta meta = readMeta(reader, fields, json);

  auto finish = [&](auto&& typed, auto& list) {
    typed.json = std::move(json);
    typed.origin = std::move(origin);
    list.push_back(std::move(typed));
  };
  if (meta.schema == "olm.package") {
    finish(readPackage(reader, fields, meta), catalog.packages);
  } else if (meta.schema == "olm.channel") {
    finish(readChannel(reader, fields, meta), catalog.channels);
  } else if (meta.schema == "olm.bundle") {
    finish(readBundle(reader, fields, meta), catalog.bundles);
  } else if (meta.schema == "olm.deprecations") {
    finish(readDeprecation(reader, fields, meta), catalog.deprecations);
  } else {
    OtherObject other{std::move(meta.schema), std::move(meta.package), std::move(meta.name), {}, {}};
    finish(other, catalog.others);
  }
}

}  // namespace ferry::catalog
