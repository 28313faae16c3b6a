#include "ferry/config/yaml_fields.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <tuple>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ferry/base/error.h"

namespace ferry::config {
namespace {

constexpr size_t kMaxErrorsShown = 30;

// What a scalar is under the YAML 1.2 core schema, plus YAML 1.1's extra
// booleans, which a reader of an older YAML library would take for booleans.
enum class ScalarKind { String, Null, Bool, Int, Float, Yaml11Bool };

ScalarKind classify(const YAML::Node& node) {
  if (node.IsNull()) return ScalarKind::Null;
  const std::string& tag = node.Tag();
  if (tag == "!") return ScalarKind::String;  // quoted or block scalar
  if (tag != "?") {
    if (tag == "tag:yaml.org,2002:bool") return ScalarKind::Bool;
    if (tag == "tag:yaml.org,2002:int") return ScalarKind::Int;
    if (tag == "tag:yaml.org,2002:float") return ScalarKind::Float;
    return ScalarKind::String;
  }
  const std::string& text = node.Scalar();
  static const std::regex boolean("true|True|TRUE|false|False|FALSE");
  static const std::regex integer("[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+");
  static const std::regex floating(
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.nan|\\.NaN|\\.NAN");
  static const std::regex yaml11("y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF");
  if (std::regex_match(text, boolean)) return ScalarKind::Bool;
  if (std::regex_match(text, integer)) return ScalarKind::Int;
  if (std::regex_match(text, floating)) return ScalarKind::Float;
  if (std::regex_match(text, yaml11)) return ScalarKind::Yaml11Bool;
  return ScalarKind::String;
}

// How a node looks, for "expected X, found Y".
std::string describe(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  if (node.IsNull()) return "nothing";
  switch (classify(node)) {
    case ScalarKind::Bool: return fmt::format("the boolean {}", node.Scalar());
    case ScalarKind::Int: return fmt::format("the number {}", node.Scalar());
    case ScalarKind::Float: return fmt::format("the number {}", node.Scalar());
    default: return fmt::format("the string \"{}\"", node.Scalar());
  }
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

SourceLocation ErrorList::at(const YAML::Node& node, const SourceLocation& fallback) const {
  if (!node.IsDefined() || node.IsNull() || node.Mark().is_null()) {
    if (fallback.line > 0) return fallback;
    return SourceLocation{file_, 0, 0};
  }
  return SourceLocation{file_, node.Mark().line + 1, node.Mark().column + 1};
}

ErrorList::Entry ErrorList::format(const SourceLocation& where, std::string_view path, std::string_view what,
                                   std::string_view fix) {
  std::string text = where.str() + ": ";
  if (!path.empty()) text += fmt::format("{}: ", path);
  text += what;
  if (!fix.empty()) text += fmt::format("; {}", fix);
  return Entry{where.line, where.column, std::move(text)};
}

void ErrorList::add(const SourceLocation& where, std::string_view path, std::string_view what,
                    std::string_view fix) {
  errors_.push_back(format(where, path, what, fix));
}

void ErrorList::warn(const SourceLocation& where, std::string_view path, std::string_view what,
                     std::string_view fix) {
  warnings_.push_back(format(where, path, what, fix));
}

void ErrorList::throwIfAny() const {
  if (errors_.empty()) return;
  std::vector<Entry> sorted = errors_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  std::string message;
  for (size_t i = 0; i < sorted.size() && i < kMaxErrorsShown; ++i) {
    if (i > 0) message += '\n';
    message += sorted[i].text;
  }
  if (sorted.size() > kMaxErrorsShown)
    message += fmt::format("\n{}: ... and {} more errors", file_, sorted.size() - kMaxErrorsShown);
  throw Error(ErrorKind::InvalidInput, message);
}

std::vector<std::string> ErrorList::warnings() const {
  std::vector<Entry> sorted = warnings_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  std::vector<std::string> out;
  for (auto& entry : sorted) out.push_back(std::move(entry.text));
  return out;
}

std::string childPath(std::string_view parent, std::string_view name) {
  if (parent.empty()) return std::string(name);
  return fmt::format("{}.{}", parent, name);
}

std::string itemPath(std::string_view parent, size_t index) { return fmt::format("{}[{}]", parent, index); }

std::optional<std::string> readString(const YAML::Node& node, const std::string& path, const SourceLocation& at,
                                      ErrorList& errors) {
  if (!node.IsDefined() || node.IsNull()) return std::nullopt;
  if (!node.IsScalar()) {
    errors.add(at, path, fmt::format("expected a string, found {}", describe(node)));
    return std::nullopt;
  }
  switch (classify(node)) {
    case ScalarKind::Bool:
    case ScalarKind::Int:
    case ScalarKind::Float:
      errors.add(at, path, fmt::format("expected a string, found {}", describe(node)),
                 fmt::format("quote it: \"{}\"", node.Scalar()));
      return std::nullopt;
    default: return node.Scalar();
  }
}

std::optional<bool> readBool(const YAML::Node& node, const std::string& path, const SourceLocation& at,
                             ErrorList& errors) {
  if (!node.IsDefined() || node.IsNull()) return std::nullopt;
  if (!node.IsScalar()) {
    errors.add(at, path, fmt::format("expected true or false, found {}", describe(node)));
    return std::nullopt;
  }
  const std::string& text = node.Scalar();
  switch (classify(node)) {
    case ScalarKind::Bool: return lowercase(text) == "true";
    case ScalarKind::Yaml11Bool: {
      bool meant = lowercase(text) == "y" || lowercase(text) == "yes" || lowercase(text) == "on";
      errors.add(at, path, fmt::format("expected true or false, found \"{}\"", text),
                 fmt::format("write {} (YAML 1.1 spellings such as yes/no/on/off are not accepted)", meant));
      return std::nullopt;
    }
    default:
      if (node.Tag() == "!" && (lowercase(text) == "true" || lowercase(text) == "false")) {
        errors.add(at, path, fmt::format("expected true or false, found the string \"{}\"", text),
                   "remove the quotes");
      } else {
        errors.add(at, path, fmt::format("expected true or false, found {}", describe(node)));
      }
      return std::nullopt;
  }
}

std::optional<int64_t> readInteger(const YAML::Node& node, const std::string& path, const SourceLocation& at,
                                   ErrorList& errors) {
  if (!node.IsDefined() || node.IsNull()) return std::nullopt;
  if (!node.IsScalar()) {
    errors.add(at, path, fmt::format("expected a whole number, found {}", describe(node)));
    return std::nullopt;
  }
  const std::string& text = node.Scalar();
  ScalarKind kind = classify(node);
  if (kind == ScalarKind::Int) {
    std::string_view digits = text;
    int base = 10;
    if (digits.starts_with("+")) digits.remove_prefix(1);
    if (digits.starts_with("0x")) digits.remove_prefix(2), base = 16;
    else if (digits.starts_with("0o")) digits.remove_prefix(2), base = 8;
    int64_t value = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    if (error == std::errc() && end == digits.data() + digits.size()) return value;
    errors.add(at, path, fmt::format("the number {} is too large", text));
    return std::nullopt;
  }
  if (node.Tag() == "!" && std::regex_match(text, std::regex("[-+]?[0-9]+"))) {
    errors.add(at, path, fmt::format("expected a whole number, found the string \"{}\"", text), "remove the quotes");
  } else {
    errors.add(at, path, fmt::format("expected a whole number, found {}", describe(node)));
  }
  return std::nullopt;
}

FieldReader::FieldReader(const YAML::Node& node, std::string path, const SourceLocation& where, ApiVersion version,
                         std::vector<FieldSpec> fields, ErrorList& errors)
    : path_(std::move(path)), where_(where), version_(version), fields_(std::move(fields)), errors_(errors) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    errors_.add(errors_.at(node, where_), path_,
                fmt::format("expected a mapping (key: value lines), found {}", describe(node)));
    valid_ = false;
    return;
  }
  for (auto pair : node) {
    SourceLocation keyAt = errors_.at(pair.first, where_);
    if (!pair.first.IsScalar()) {
      errors_.add(keyAt, path_, fmt::format("a key must be a field name, found {}", describe(pair.first)));
      continue;
    }
    std::string key = pair.first.Scalar();
    auto spec = std::find_if(fields_.begin(), fields_.end(), [&](const FieldSpec& f) { return f.name == key; });
    if (spec == fields_.end() && version_ == ApiVersion::V1Alpha2) {
      // oc-mirror v1 decodes with Go's encoding/json, which matches keys ignoring
      // case; its own docs write "additionalimages". Read such a key as the field.
      spec = std::find_if(fields_.begin(), fields_.end(),
                          [&](const FieldSpec& f) { return lowercase(f.name) == lowercase(key); });
      if (spec != fields_.end()) {
        errors_.warn(keyAt, path_, fmt::format("key \"{}\" read as \"{}\"", key, spec->name),
                     fmt::format("write {} (oc-mirror v1 matches keys ignoring case; v2alpha1 does not)", spec->name));
        key = std::string(spec->name);
      }
    }
    if (const Entry* first = find(key)) {
      errors_.add(keyAt, path_,
                  fmt::format("field \"{}\" is given twice (first at line {})", key,
                              errors_.at(first->keyNode, where_).line),
                  "keep one");
      continue;
    }
    checkDeclared(spec == fields_.end() ? nullptr : &*spec, key, keyAt);
    entries_.push_back(Entry{key, pair.first, pair.second});
  }
}

void FieldReader::checkDeclared(const FieldSpec* spec, const std::string& key, const SourceLocation& keyAt) const {
  std::vector<std::string_view> accepted;
  for (const auto& field : fields_) {
    bool inVersion = field.versions == FieldVersions::Both ||
                     (field.versions == FieldVersions::V1Only && version_ == ApiVersion::V1Alpha2) ||
                     (field.versions == FieldVersions::V2Only && version_ == ApiVersion::V2Alpha1);
    if (inVersion) accepted.push_back(field.name);
  }
  if (spec == nullptr) {
    if (auto suggestion = nearestName(key, accepted)) {
      suggested_.push_back(*suggestion);
      errors_.add(keyAt, path_, fmt::format("unknown field \"{}\"", key),
                  fmt::format("did you mean \"{}\"?", *suggestion));
    } else {
      errors_.add(keyAt, path_, fmt::format("unknown field \"{}\"", key),
                  fmt::format("the fields here are: {}", fmt::join(accepted, ", ")));
    }
    return;
  }
  if (std::find(accepted.begin(), accepted.end(), spec->name) != accepted.end()) return;
  if (spec->versions == FieldVersions::None) {
    errors_.add(keyAt, path_, fmt::format("field \"{}\" is not accepted", key), spec->note);
    return;
  }
  ApiVersion owner = spec->versions == FieldVersions::V1Only ? ApiVersion::V1Alpha2 : ApiVersion::V2Alpha1;
  std::string fix = !spec->note.empty() ? std::string(spec->note)
                                        : fmt::format("remove it, or set apiVersion: {}", apiVersionName(owner));
  errors_.add(keyAt, path_, fmt::format("field \"{}\" exists only in {}", key, apiVersionName(owner)), fix);
}

const FieldReader::Entry* FieldReader::find(std::string_view name) const {
  for (const auto& entry : entries_)
    if (entry.key == name) return &entry;
  return nullptr;
}

bool FieldReader::has(std::string_view name) const {
  const Entry* entry = find(name);
  return entry != nullptr && !entry->value.IsNull();
}

bool FieldReader::empty() const {
  for (const auto& entry : entries_)
    if (!entry.value.IsNull()) return false;
  return true;
}

YAML::Node FieldReader::value(std::string_view name) const {
  const Entry* entry = find(name);
  return entry != nullptr ? entry->value : YAML::Node(YAML::NodeType::Undefined);
}

SourceLocation FieldReader::at(std::string_view name) const {
  const Entry* entry = find(name);
  if (entry == nullptr) return where_;
  return errors_.at(entry->value, errors_.at(entry->keyNode, where_));
}

SourceLocation FieldReader::keyAt(std::string_view name) const {
  const Entry* entry = find(name);
  if (entry == nullptr) return where_;
  return errors_.at(entry->keyNode, where_);
}

std::optional<std::string> FieldReader::string(std::string_view name) const {
  if (!has(name)) return std::nullopt;
  return readString(value(name), path(name), at(name), errors_);
}

std::string FieldReader::requiredString(std::string_view name, std::string_view example) const {
  if (!valid_) return {};
  if (!has(name)) {
    if (std::find(suggested_.begin(), suggested_.end(), name) != suggested_.end()) return {};
    errors_.add(where_, path_, fmt::format("required field \"{}\" is missing", name),
                fmt::format("add {}: {}", name, example));
    return {};
  }
  auto text = string(name);
  if (!text) return {};
  if (text->empty()) errors_.add(at(name), path(name), "must not be empty", fmt::format("e.g. {}: {}", name, example));
  return *text;
}

std::optional<bool> FieldReader::boolean(std::string_view name) const {
  if (!has(name)) return std::nullopt;
  return readBool(value(name), path(name), at(name), errors_);
}

std::optional<int64_t> FieldReader::integer(std::string_view name) const {
  if (!has(name)) return std::nullopt;
  return readInteger(value(name), path(name), at(name), errors_);
}

std::vector<std::string> FieldReader::stringList(std::string_view name) const {
  std::vector<std::string> out;
  forEach(name, [&](const YAML::Node& item, const std::string& itemPath, const SourceLocation& itemAt) {
    if (auto text = readString(item, itemPath, itemAt, errors_)) out.push_back(*text);
  });
  return out;
}

void FieldReader::forEach(std::string_view name,
                          const std::function<void(const YAML::Node&, const std::string&, const SourceLocation&)>&
                              each) const {
  if (!has(name)) return;
  YAML::Node list = value(name);
  if (!list.IsSequence()) {
    errors_.add(at(name), path(name), fmt::format("expected a list, found {}", describe(list)),
                "write one item per line, each starting with \"- \"");
    return;
  }
  SourceLocation listAt = at(name);
  size_t index = 0;
  for (const YAML::Node& item : list) {
    each(item, itemPath(path(name), index), errors_.at(item, listAt));
    ++index;
  }
}

}  // namespace ferry::config
