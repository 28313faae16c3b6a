// Strict reading of YAML configuration files, with positions in every message.
//
// A FieldReader looks at one YAML mapping whose keys are declared up front,
// each with the API versions that accept it. Constructing it reports every key
// that is not declared (suggesting the nearest declared name when one is
// close), a key that only the other API version has, and a key given twice.
// Its typed getters then report values of the wrong type.
//
// Scalars follow the YAML 1.2 core schema: a string field given an unquoted
// number, boolean or null is a type error (the fix is to quote it), and a
// boolean is true or false only — YAML 1.1's yes/no/on/off are refused rather
// than guessed at. A null value (`key:` with nothing after it) means "not set".
//
// Problems are collected in an ErrorList rather than thrown one by one, so a
// user sees every mistake of a file at once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "ferry/base/strings.h"
#include "ferry/config/image_set_config.h"

namespace ferry::config {

// Messages are "file:line:col: path: what; fix", sorted by position.
class ErrorList {
 public:
  explicit ErrorList(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  // The 1-based position of `node`, or `fallback` when yaml-cpp has none (a null value).
  SourceLocation at(const YAML::Node& node, const SourceLocation& fallback = {}) const;

  void add(const SourceLocation& where, std::string_view path, std::string_view what, std::string_view fix = {});
  void warn(const SourceLocation& where, std::string_view path, std::string_view what, std::string_view fix = {});

  bool empty() const { return errors_.empty(); }
  // Throws one ferry::Error holding every error, one per line.
  void throwIfAny() const;
  std::vector<std::string> warnings() const;

 private:
  struct Entry {
    int line = 0;
    int column = 0;
    std::string text;
  };
  static Entry format(const SourceLocation& where, std::string_view path, std::string_view what,
                      std::string_view fix);

  std::string file_;
  std::vector<Entry> errors_;
  std::vector<Entry> warnings_;
};

// Which API versions accept a field. `None` is for fields no supported version
// has (kept so the message can say where they went).
enum class FieldVersions { Both, V1Only, V2Only, None };

struct FieldSpec {
  std::string_view name;
  FieldVersions versions = FieldVersions::Both;
  std::string_view note = {};  // for None: what happened to the field and what to use
};

// "path.name", or "name" at the top level.
std::string childPath(std::string_view parent, std::string_view name);
// "path[index]".
std::string itemPath(std::string_view parent, size_t index);

// The nearest of `candidates` to `name` when it is close enough to be a likely typo (base/strings.h).
using ferry::nearestName;

class FieldReader {
 public:
  // `where` is the mapping's own position (used for a missing or null mapping).
  FieldReader(const YAML::Node& node, std::string path, const SourceLocation& where, ApiVersion version,
              std::vector<FieldSpec> fields, ErrorList& errors);

  // The node was a mapping (a null node reads as an empty mapping).
  bool valid() const { return valid_; }
  // The key is present with a non-null value.
  bool has(std::string_view name) const;
  // True when the mapping has no key with a non-null value.
  bool empty() const;
  YAML::Node value(std::string_view name) const;
  // Where the value is; where its key is when the value is null or absent (then the mapping's position).
  SourceLocation at(std::string_view name) const;
  // Where the key is (the mapping's position when absent).
  SourceLocation keyAt(std::string_view name) const;
  std::string path(std::string_view name) const { return childPath(path_, name); }
  const std::string& path() const { return path_; }
  const SourceLocation& where() const { return where_; }

  std::optional<std::string> string(std::string_view name) const;
  // Reports a missing key or empty string with `example` as the fix.
  std::string requiredString(std::string_view name, std::string_view example) const;
  std::optional<bool> boolean(std::string_view name) const;
  std::optional<int64_t> integer(std::string_view name) const;
  std::vector<std::string> stringList(std::string_view name) const;
  // Calls `each` for every item of a list field (nothing when absent or not a list).
  void forEach(std::string_view name,
               const std::function<void(const YAML::Node& item, const std::string& itemPath,
                                        const SourceLocation& itemAt)>& each) const;

 private:
  struct Entry {
    std::string key;
    YAML::Node keyNode;
    YAML::Node value;
  };
  const Entry* find(std::string_view name) const;
  void checkDeclared(const FieldSpec* spec, const std::string& key, const SourceLocation& keyAt) const;

  std::string path_;
  SourceLocation where_;
  ApiVersion version_;
  std::vector<FieldSpec> fields_;
  ErrorList& errors_;
  bool valid_ = true;
  std::vector<Entry> entries_;
  // Declared names offered as "did you mean": a missing required one was most likely misspelt, said once.
  mutable std::vector<std::string> suggested_;
};

// Typed reads of a single node (used for list items and by FieldReader).
std::optional<std::string> readString(const YAML::Node& node, const std::string& path, const SourceLocation& at,
                                      ErrorList& errors);
std::optional<bool> readBool(const YAML::Node& node, const std::string& path, const SourceLocation& at,
                             ErrorList& errors);
std::optional<int64_t> readInteger(const YAML::Node& node, const std::string& path, const SourceLocation& at,
                                   ErrorList& errors);

}  // namespace ferry::config
