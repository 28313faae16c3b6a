// A Helm chart's files, read from its .tgz (helm's pkg/chart/loader) or a
// chart directory, and the chart they make: Chart.yaml, values.yaml,
// templates/, and its subcharts under charts/ (each a .tgz or a directory).
//
// A .tgz is a gzip tar whose first path component is the chart's folder; it is
// stripped. Only regular files are read: links and devices are skipped, and a
// member path that is absolute, climbs out with "..", or holds '\' is refused.
// Sizes are bounded as helm bounds them (docs/limits.md): 100 MiB decompressed
// in all, 5 MiB per file, plus at most 10000 files and 10 levels of subcharts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::chart {

inline constexpr int64_t kMaxChartArchiveBytes = int64_t{100} << 20;   // the .tgz itself
inline constexpr int64_t kMaxChartContentBytes = int64_t{100} << 20;   // decompressed, in all
inline constexpr int64_t kMaxChartFileBytes = int64_t{5} << 20;        // one file
inline constexpr size_t kMaxChartFiles = 10000;
inline constexpr int kMaxSubchartDepth = 10;

// Paths relative to the chart's folder ("Chart.yaml", "templates/deploy.yaml") → contents.
using ChartFiles = std::map<std::string, std::string>;

// Throws Error (InvalidInput, or Limit for a bound) naming `where`.
ChartFiles readChartArchive(std::string_view tgz, const std::string& where);
ChartFiles readChartDirectory(const std::filesystem::path& directory);
// The files as a chart .tgz under the folder `chartName` (as `helm package`
// lays it out), reproducibly: sorted, times and owners zeroed.
std::string packChartArchive(const ChartFiles& files, const std::string& chartName);

struct Chart {
  std::string name;
  std::string version;
  std::string appVersion;
  std::string type;         // "application" or "library"
  std::string chartYaml;    // Chart.yaml as written
  std::string values;       // values.yaml ("" when absent)
  std::map<std::string, std::string> templates;  // "templates/x.yaml" → text
  std::string path;         // where in the top chart: "" for it, "charts/redis" for a subchart
  std::vector<Chart> subcharts;
};

// Builds the chart from its files; throws Error naming `where` when Chart.yaml
// is missing or has no name/version, or a subchart cannot be read.
Chart loadChart(const ChartFiles& files, const std::string& where, int depth = 0);

}  // namespace ferry::chart
