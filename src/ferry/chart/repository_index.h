// A Helm chart repository's index.yaml (helm's repo.IndexFile) and the choice
// of chart versions from it, as oc-mirror makes it:
//
//   https://charts.example.com/stable   + index.yaml   → https://charts.example.com/stable/index.yaml
//   https://charts.example.com/stable/  + index.yaml   → the same (a trailing slash is not doubled)
//   urls: [podinfo-6.5.0.tgz]                           → https://charts.example.com/stable/podinfo-6.5.0.tgz
//   urls: [https://cdn.example.com/podinfo-6.5.0.tgz]   → kept as it is
//
// A chart asked for without a version takes its newest version that is not a
// pre-release (semver precedence, a leading "v" allowed); a repository listed
// without charts takes every version of every chart but library charts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/digest/digest.h"

namespace ferry::chart {

// index.yaml is refused above this size (docs/limits.md).
inline constexpr int64_t kMaxIndexBytes = int64_t{128} << 20;

struct ChartVersion {
  std::string name;
  std::string version;
  std::string appVersion;
  std::string type;               // "application" (or empty) or "library"
  std::vector<std::string> urls;  // as the index lists them (relative or absolute)
  std::optional<Digest> digest;   // sha256 of the .tgz
  bool library() const { return type == "library"; }
};

struct RepositoryIndex {
  std::map<std::string, std::vector<ChartVersion>> entries;  // chart name → its versions, as listed
};

// Throws Error (kind InvalidInput) naming `where` and the entry when the text is
// not an index (no `entries`, an entry without name/version/urls, a bad digest).
RepositoryIndex parseRepositoryIndex(std::string_view text, const std::string& where);

// `repositoryUrl` + "/index.yaml", with or without a trailing slash on the URL.
std::string indexUrlOf(const std::string& repositoryUrl);
// A chart URL of the index resolved against the repository URL.
std::string chartUrlOf(const std::string& repositoryUrl, const std::string& url);

// Whether `version` is a semver pre-release ("1.2.0-rc.1"); unreadable versions are not.
bool isPreRelease(std::string_view version);
// Semver precedence of two chart versions (a leading "v" ignored); unreadable ones sort first, by text.
int compareVersions(std::string_view a, std::string_view b);

// The newest non-pre-release version, or nullptr when there is none.
const ChartVersion* newestRelease(const std::vector<ChartVersion>& versions);
// The version named exactly (a leading "v" on either side ignored), or nullptr.
const ChartVersion* findVersion(const std::vector<ChartVersion>& versions, std::string_view version);

// The tag an OCI chart of `version` has: '+' is not allowed in tags, helm writes '_'.
std::string ociTagOf(std::string_view version);

}  // namespace ferry::chart
