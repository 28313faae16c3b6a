// Semantic versions (semver 2.0) and version ranges, as OLM reads them.
//
// Versions are parsed strictly: MAJOR.MINOR.PATCH[-pre][+build], no `v`
// prefix, no leading zeros. Ordering follows semver 2.0: build metadata is
// ignored (two versions that differ only in build metadata compare equal).
//
// Ranges use blang/semver's syntax, which skipRange and olm.package.required
// use: comparators <, <=, >, >=, =, ==, !, != (or none for =) joined by spaces
// (and) and `||` (or), with `x` wildcards (1.2.x, 1.x). Pre-releases are not
// excluded: `<2.0.0` matches 2.0.0-rc.1, as in blang.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::catalog {

struct Version {
  uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> preRelease;  // identifiers, in order
  std::vector<std::string> build;

  // Throws ferry::Error saying what is wrong with `text`.
  static Version parse(std::string_view text);
  static std::optional<Version> tryParse(std::string_view text);
  std::string str() const;
  // Semver precedence; build metadata ignored.
  int compare(const Version& other) const;
  bool operator==(const Version& other) const { return compare(other) == 0; }
  auto operator<=>(const Version& other) const { return compare(other) <=> 0; }
};

class VersionRange {
 public:
  // Throws ferry::Error saying what is wrong with `text`.
  static VersionRange parse(std::string_view text);
  bool contains(const Version& version) const;
  const std::string& text() const { return text_; }

  struct Comparator {
    enum class Op { Equal, NotEqual, Less, LessOrEqual, Greater, GreaterOrEqual } op;
    Version version;
  };

 private:
  std::string text_;
  std::vector<std::vector<Comparator>> alternatives_;  // or of ands
};

}  // namespace ferry::catalog
