#include "ferry/chart/repository_index.h"

#include <yaml-cpp/yaml.h>

#include "ferry/base/error.h"
#include "ferry/base/yaml_bounds.h"
#include "ferry/fbc/semver.h"
#include "ferry/http/http_client.h"

namespace ferry::chart {
namespace {

YamlLimits indexLimits() {
  // Real indexes are large (tens of MB, millions of nodes for the big public repositories), but plain.
  return {.kind = "a chart repository index",
          .maxBytes = static_cast<size_t>(kMaxIndexBytes),
          .maxDepth = 64,
          .maxAliases = 1000,
          .maxNodes = 50'000'000,
          .maxDocuments = 1};
}

std::string scalar(const YAML::Node& node, const char* key) {
  auto value = node[key];
  if (!value || !value.IsScalar()) return {};
  return value.as<std::string>();
}

std::optional<catalog::Version> versionOf(std::string_view text) {
  if (!text.empty() && (text.front() == 'v' || text.front() == 'V')) text.remove_prefix(1);
  return catalog::Version::tryParse(text);
}

RepositoryIndex readEntries(const YAML::Node& entries, const std::string& where) {
  RepositoryIndex index;
  if (entries.IsNull()) return index;
  if (!entries.IsMap()) fail(ErrorKind::InvalidInput, "{}: 'entries' must be a mapping of chart names", where);
  for (const auto& entry : entries) {
    auto chartName = entry.first.as<std::string>();
    auto& versions = index.entries[chartName];
    if (!entry.second.IsSequence())
      fail(ErrorKind::InvalidInput, "{}: entries.{} must be a list of chart versions", where, chartName);
    size_t n = 0;
    for (const auto& item : entry.second) {
      auto at = fmt::format("{}: entries.{}[{}]", where, chartName, n++);
      if (!item.IsMap()) fail(ErrorKind::InvalidInput, "{} must be a mapping", at);
      ChartVersion version;
      version.name = scalar(item, "name");
      if (version.name.empty()) version.name = chartName;
      version.version = scalar(item, "version");
      version.appVersion = scalar(item, "appVersion");
      version.type = scalar(item, "type");
      if (version.version.empty()) fail(ErrorKind::InvalidInput, "{} has no version", at);
      if (item["removed"] && item["removed"].IsScalar() && item["removed"].as<std::string>() == "true") continue;
      if (auto urls = item["urls"]; urls && urls.IsSequence())
        for (const auto& url : urls)
          if (url.IsScalar() && !url.as<std::string>().empty()) version.urls.push_back(url.as<std::string>());
      if (version.urls.empty())
        fail(ErrorKind::InvalidInput, "{} ({} {}) has no urls: the index does not say where the chart is", at,
             version.name, version.version);
      if (auto digest = scalar(item, "digest"); !digest.empty()) {
        if (digest.find(':') == std::string::npos) digest = "sha256:" + digest;
        version.digest = Digest::tryParse(digest);
        if (!version.digest)
          fail(ErrorKind::InvalidInput, "{} ({} {}): digest '{}' is not a sha256 digest", at, version.name,
               version.version, digest);
      }
      versions.push_back(std::move(version));
    }
  }
  return index;
}

}  // namespace

RepositoryIndex parseRepositoryIndex(std::string_view text, const std::string& where) {
  YAML::Node root;
  try {
    root = loadYamlDocument(text, where, indexLimits());
  } catch (const YAML::Exception& e) {
    fail(ErrorKind::InvalidInput, "{}: not a chart repository index: {}", where, e.what());
  }
  if (!root.IsMap() || !root["entries"])
    fail(ErrorKind::InvalidInput, "{}: not a chart repository index: it has no 'entries' (is the URL the repository's?)",
         where);
  try {
    return readEntries(root["entries"], where);
  } catch (const YAML::Exception& e) {
    // A key or value of an unexpected shape (a mapping as a chart name): yaml-cpp's conversions throw.
    fail(ErrorKind::InvalidInput, "{}: not a chart repository index: {}", where, e.what());
  }
}


std::string indexUrlOf(const std::string& repositoryUrl) {
  auto base = repositoryUrl;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/index.yaml";
}

std::string chartUrlOf(const std::string& repositoryUrl, const std::string& url) {
  if (url.find("://") != std::string::npos) return url;
  // Relative to the repository's folder, as helm resolves it (the repository URL taken as a folder).
  auto base = repositoryUrl;
  if (base.empty() || base.back() != '/') base += '/';
  return resolveUrl(base, url);
}

bool isPreRelease(std::string_view version) {
  auto parsed = versionOf(version);
  return parsed && !parsed->preRelease.empty();
}

int compareVersions(std::string_view a, std::string_view b) {
  auto va = versionOf(a), vb = versionOf(b);
  if (va && vb) {
    if (int c = va->compare(*vb)) return c;
    return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
  }
  if (va) return 1;
  if (vb) return -1;
  return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
}

const ChartVersion* newestRelease(const std::vector<ChartVersion>& versions) {
  const ChartVersion* best = nullptr;
  for (const auto& version : versions) {
    if (!versionOf(version.version) || isPreRelease(version.version)) continue;
    if (!best || compareVersions(version.version, best->version) > 0) best = &version;
  }
  return best;
}

const ChartVersion* findVersion(const std::vector<ChartVersion>& versions, std::string_view version) {
  auto strip = [](std::string_view v) {
    if (!v.empty() && (v.front() == 'v' || v.front() == 'V')) v.remove_prefix(1);
    return v;
  };
  for (const auto& candidate : versions)
    if (candidate.version == version) return &candidate;
  for (const auto& candidate : versions)
    if (strip(candidate.version) == strip(version)) return &candidate;
  return nullptr;
}

std::string ociTagOf(std::string_view version) {
  std::string tag(version);
  for (auto& c : tag)
    if (c == '+') c = '_';
  return tag;
}

}  // namespace ferry::chart
