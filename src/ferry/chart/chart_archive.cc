#include "ferry/chart/chart_archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

#include <yaml-cpp/yaml.h>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/base/strings.h"
#include "ferry/base/yaml_bounds.h"

namespace ferry::chart {
namespace {

// A member path made relative to the chart folder, or "" for the folder itself; throws when unsafe.
std::string chartRelative(std::string path, const std::string& where) {
  if (path.find('\\') != std::string::npos)
    fail(ErrorKind::InvalidInput, "{}: member '{}' holds '\\', which helm refuses in chart archives", where, path);
  if (path.starts_with("/"))
    fail(ErrorKind::InvalidInput, "{}: member '{}' is an absolute path; a chart archive holds relative paths only",
         where, path);
  while (path.starts_with("./")) path.erase(0, 2);
  std::vector<std::string> parts;
  for (auto& part : splitString(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..")
      fail(ErrorKind::InvalidInput, "{}: member '{}' climbs out of the chart with '..'; refusing the archive", where,
           path);
    parts.push_back(part);
  }
  if (parts.size() <= 1) return {};
  std::string relative;
  for (size_t i = 1; i < parts.size(); ++i) relative += (i > 1 ? "/" : "") + parts[i];
  return relative;
}

// libarchive's words for the last error; it has none for some (a gzip stream cut short), and fmt refuses a null.
std::string errorText(archive* handle) {
  const char* text = archive_error_string(handle);
  return text ? text : "the data ends early or is damaged";
}

YamlLimits chartYamlLimits() {
  return {.kind = "a chart file",
          .maxBytes = static_cast<size_t>(kMaxChartFileBytes),
          .maxDepth = 64,
          .maxAliases = 1000,
          .maxNodes = 1'000'000,
          .maxDocuments = 1};
}

std::string scalar(const YAML::Node& node, const char* key) {
  auto value = node[key];
  return value && value.IsScalar() ? value.as<std::string>() : std::string();
}

}  // namespace

ChartFiles readChartArchive(std::string_view tgz, const std::string& where) {
  if (static_cast<int64_t>(tgz.size()) > kMaxChartArchiveBytes)
    fail(ErrorKind::Limit, "{}: the chart archive is larger than {}, ferry's limit for a chart (see docs/limits.md)",
         where, limitText(kMaxChartArchiveBytes));
  std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(), archive_read_free);
  archive_read_support_filter_gzip(reader.get());
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_memory(reader.get(), tgz.data(), tgz.size()) != ARCHIVE_OK)
    fail(ErrorKind::InvalidInput, "{}: not a chart archive (gzip tar): {}", where, errorText(reader.get()));
  ChartFiles files;
  int64_t total = 0;
  archive_entry* entry = nullptr;
  while (true) {
    int status = archive_read_next_header(reader.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN)
      fail(ErrorKind::InvalidInput, "{}: not a readable chart archive (gzip tar): {}", where,
           errorText(reader.get()));
    const char* name = archive_entry_pathname(entry);
    if (!name) continue;
    auto relative = chartRelative(name, where);
    if (archive_entry_filetype(entry) != AE_IFREG || relative.empty()) continue;
    int64_t size = archive_entry_size(entry);
    if (size > kMaxChartFileBytes)
      fail(ErrorKind::Limit, "{}: file '{}' is larger than {}, the limit for one file of a chart (see docs/limits.md)",
           where, relative, limitText(kMaxChartFileBytes));
    total += size;
    if (total > kMaxChartContentBytes)
      fail(ErrorKind::Limit, "{}: the chart is larger than {} decompressed, the limit for a chart (see docs/limits.md)",
           where, limitText(kMaxChartContentBytes));
    if (files.size() >= kMaxChartFiles)
      fail(ErrorKind::Limit, "{}: the chart has more than {} files, the limit for a chart (see docs/limits.md)", where,
           kMaxChartFiles);
    std::string data(static_cast<size_t>(size), '\0');
    auto read = archive_read_data(reader.get(), data.data(), data.size());
    if (read < 0 || read != size)
      fail(ErrorKind::InvalidInput, "{}: file '{}' is cut short: {}", where, relative,
           read < 0 ? errorText(reader.get()) : "fewer bytes than its header says");
    files[relative] = std::move(data);
  }
  return files;
}

ChartFiles readChartDirectory(const std::filesystem::path& directory) {
  auto where = directory.string();
  if (!std::filesystem::is_directory(directory)) fail(ErrorKind::NotFound, "{}: no such chart directory", where);
  ChartFiles files;
  int64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(directory); it != decltype(it)(); ++it) {
    if (it->is_symlink() || !it->is_regular_file()) continue;
    auto relative = std::filesystem::relative(it->path(), directory).generic_string();
    auto size = static_cast<int64_t>(it->file_size());
    if (size > kMaxChartFileBytes)
      fail(ErrorKind::Limit, "{}: file '{}' is larger than {}, the limit for one file of a chart (see docs/limits.md)",
           where, relative, limitText(kMaxChartFileBytes));
    total += size;
    if (total > kMaxChartContentBytes)
      fail(ErrorKind::Limit, "{}: the chart is larger than {}, the limit for a chart (see docs/limits.md)", where,
           limitText(kMaxChartContentBytes));
    if (files.size() >= kMaxChartFiles)
      fail(ErrorKind::Limit, "{}: the chart has more than {} files, the limit for a chart (see docs/limits.md)", where,
           kMaxChartFiles);
    files[relative] = readFile(it->path());
  }
  return files;
}

std::string packChartArchive(const ChartFiles& files, const std::string& chartName) {
  std::string out;
  std::unique_ptr<archive, decltype(&archive_write_free)> writer(archive_write_new(), archive_write_free);
  archive_write_add_filter_gzip(writer.get());
  archive_write_set_format_pax_restricted(writer.get());
  archive_write_set_options(writer.get(), "gzip:!timestamp");
  auto append = [](archive*, void* data, const void* buffer, size_t size) -> la_ssize_t {
    static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), size);
    return static_cast<la_ssize_t>(size);
  };
  archive_write_set_bytes_in_last_block(writer.get(), 1);
  if (archive_write_open(writer.get(), &out, nullptr, append, nullptr) != ARCHIVE_OK)
    fail("cannot pack chart {}: {}", chartName, errorText(writer.get()));
  for (const auto& [path, data] : files) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), (chartName + "/" + path).c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(data.size()));
    archive_entry_set_mtime(entry.get(), 0, 0);
    if (archive_write_header(writer.get(), entry.get()) != ARCHIVE_OK ||
        archive_write_data(writer.get(), data.data(), data.size()) != static_cast<la_ssize_t>(data.size()))
      fail("cannot pack chart {}: {}", chartName, errorText(writer.get()));
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK)
    fail("cannot pack chart {}: {}", chartName, errorText(writer.get()));
  return out;
}

Chart loadChart(const ChartFiles& files, const std::string& where, int depth) {
  if (depth > kMaxSubchartDepth)
    fail(ErrorKind::Limit, "{}: subcharts nest deeper than {} levels, the limit for a chart (see docs/limits.md)", where,
         kMaxSubchartDepth);
  auto chartYaml = files.find("Chart.yaml");
  if (chartYaml == files.end())
    fail(ErrorKind::InvalidInput, "{}: no Chart.yaml in the chart's folder: not a Helm chart", where);
  Chart chart;
  chart.chartYaml = chartYaml->second;
  YAML::Node meta;
  try {
    meta = loadYamlDocument(chart.chartYaml, where + ": Chart.yaml", chartYamlLimits());
  } catch (const YAML::Exception& e) {
    fail(ErrorKind::InvalidInput, "{}: Chart.yaml is not YAML: {}", where, e.what());
  }
  if (!meta.IsMap()) fail(ErrorKind::InvalidInput, "{}: Chart.yaml is not a mapping", where);
  chart.name = scalar(meta, "name");
  chart.version = scalar(meta, "version");
  chart.appVersion = scalar(meta, "appVersion");
  chart.type = scalar(meta, "type");
  if (chart.name.empty() || chart.version.empty())
    fail(ErrorKind::InvalidInput, "{}: Chart.yaml needs a name and a version", where);
  if (auto values = files.find("values.yaml"); values != files.end()) chart.values = values->second;
  std::map<std::string, ChartFiles> subdirectories;
  for (const auto& [path, text] : files) {
    if (path.starts_with("templates/")) {
      auto base = path.substr(path.rfind('/') + 1);
      if (!base.starts_with("_") && !base.starts_with(".")) chart.templates[path] = text;
      continue;
    }
    if (!path.starts_with("charts/")) continue;
    auto rest = path.substr(7);
    auto slash = rest.find('/');
    if (slash == std::string::npos) {
      if (rest.ends_with(".tgz") && !rest.starts_with(".") && !rest.starts_with("_")) {
        auto sub = loadChart(readChartArchive(text, where + ": " + path), where + ": " + path, depth + 1);
        sub.path = "charts/" + sub.name;
        chart.subcharts.push_back(std::move(sub));
      }
      continue;
    }
    subdirectories[rest.substr(0, slash)][rest.substr(slash + 1)] = text;
  }
  for (const auto& [name, subFiles] : subdirectories) {
    if (name.starts_with(".") || name.starts_with("_") || !subFiles.count("Chart.yaml")) continue;
    auto sub = loadChart(subFiles, where + ": charts/" + name, depth + 1);
    sub.path = "charts/" + name;
    chart.subcharts.push_back(std::move(sub));
  }
  return chart;
}

}  // namespace ferry::chart
