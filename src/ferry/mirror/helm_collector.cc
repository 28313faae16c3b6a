// mirror.helm: charts from HTTP chart repositories, oci:// repositories and
// local folders or .tgz files; the images found in them; the charts
// themselves as OCI charts. docs/helm.md describes the rules.
#include <fstream>
#include <set>

#include <fmt/ranges.h>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/base/strings.h"
#include "ferry/chart/chart_archive.h"
#include "ferry/chart/helm_binary.h"
#include "ferry/chart/images.h"
#include "ferry/chart/oci_chart.h"
#include "ferry/chart/repository_client.h"
#include "ferry/layout/oci_layout.h"
#include "ferry/mirror/collectors.h"
#include "ferry/registry/registry_repository.h"

namespace ferry::mirror {
namespace {

// A repository path component made of a configuration name: lowercase, [a-z0-9._-].
std::string pathComponent(std::string_view name) {
  std::string out;
  for (char c : name) {
    auto l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (std::isalnum(static_cast<unsigned char>(l)) || l == '.' || l == '_' || l == '-') ? l : '-';
  }
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.front()))) out.erase(out.begin());
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.back()))) out.pop_back();
  return out.empty() ? "chart" : out;
}

struct ChartJob {
  std::string label;                    // "repository podinfo chart podinfo 6.5.0"
  std::string owner;                    // repository or local entry name
  std::string origin;                   // where the chart came from (URL, oci:// reference, path)
  std::vector<std::string> imagePaths;
  std::optional<ImageReference> ociSource;  // a chart read from an oci:// repository travels as it is
  std::vector<Platform> platforms;          // the chart's `platforms`: its images carry only those
};

class HelmPlanner {
 public:
  HelmPlanner(const PlanningContext& context, PlanBuilder& plan, const HelmCollectorOptions& options)
      : context_(context), plan_(plan), options_(options) {
    helm_ = chart::findHelm(options.helmBinary);
    if (!helm_.empty()) context.log.note(fmt::format("helm charts: rendering with {} (helm template)", helm_.string()));
    else
      context.log.note("helm charts: no helm binary (PATH or --helm): images are found by ferry's static rules "
                       "(docs/helm.md)");
  }

  void repository(const config::HelmRepository& repository) {
    if (repository.url.starts_with("oci://")) return ociRepository(repository);
    std::optional<chart::RepositoryClient> client;
    chart::RepositoryIndex index;
    try {
      client.emplace(repository.url, options_.source);
      index = client->index();
    } catch (const Error& e) {
      fail(repository, e.what());
      return;
    }
    std::vector<std::pair<const chart::ChartVersion*, const config::HelmChart*>> chosen;
    if (repository.charts.empty()) {
      for (const auto& [name, versions] : index.entries)
        for (const auto& version : versions)
          if (!version.library()) chosen.push_back({&version, nullptr});
      context_.log.warn(fmt::format(
          "{}: helm repository {} lists no charts, so every version of every chart but library charts is mirrored, "
          "as oc-mirror does: {} chart versions; list charts[] to take fewer",
          repository.where.str(), repository.name, chosen.size()));
    }
    for (const auto& wanted : repository.charts) {
      auto it = index.entries.find(wanted.name);
      if (it == index.entries.end() || it->second.empty()) {
        fail(repository, fmt::format("{}: chart {} is not in the repository index {}", wanted.where.str(), wanted.name,
                                     chart::indexUrlOf(repository.url)));
        continue;
      }
      const chart::ChartVersion* version =
          wanted.version.empty() ? chart::newestRelease(it->second) : chart::findVersion(it->second, wanted.version);
      if (!version) {
        std::vector<std::string> listed;
        for (const auto& v : it->second) listed.push_back(v.version);
        fail(repository, fmt::format("{}: chart {} has {} in the index (it lists {})", wanted.where.str(), wanted.name,
                                     wanted.version.empty() ? "no version that is not a pre-release"
                                                            : "no version " + wanted.version,
                                     fmt::join(listed, ", ")));
        continue;
      }
      chosen.push_back({version, &wanted});
    }
    for (const auto& [version, wanted] : chosen) {
      ChartJob job{.label = fmt::format("chart {} {} of repository {}", version->name, version->version, repository.name),
                   .owner = repository.name,
                   .origin = chart::chartUrlOf(repository.url, version->urls.front()),
                   .imagePaths = wanted ? wanted->imagePaths : std::vector<std::string>{},
                   .ociSource = std::nullopt,
                   .platforms = wanted ? wanted->platforms : std::vector<Platform>{}};
      try {
        auto tgz = client->fetchChart(*version);
        chartArrived(job, tgz);
      } catch (const std::exception& e) {
        context_.log.error(kExitHelm, fmt::format("{}: {}: {}", repository.where.str(), job.label, e.what()));
      }
    }
  }

  void local(const config::HelmChart& entry) {
    ChartJob job{.label = fmt::format("local chart {} ({})", entry.name, entry.path),
                 .owner = entry.name,
                 .origin = entry.path,
                 .imagePaths = entry.imagePaths,
                 .ociSource = std::nullopt,
                 .platforms = entry.platforms};
    try {
      std::filesystem::path path = entry.path;
      std::string tgz;
      if (std::filesystem::is_directory(path)) {
        auto files = chart::readChartDirectory(path);
        auto loaded = chart::loadChart(files, path.string());
        tgz = chart::packChartArchive(files, loaded.name);
      } else {
        if (!std::filesystem::exists(path)) ferry::fail(ErrorKind::NotFound, "{}: no such file or folder", path.string());
        if (static_cast<int64_t>(std::filesystem::file_size(path)) > chart::kMaxChartArchiveBytes)
          ferry::fail(ErrorKind::Limit, "{}: larger than {}, ferry's limit for a chart (see docs/limits.md)",
                      path.string(), limitText(chart::kMaxChartArchiveBytes));
        tgz = readFile(path);
      }
      chartArrived(job, tgz);
    } catch (const std::exception& e) {
      context_.log.error(kExitHelm, fmt::format("{}: {}: {}", entry.where.str(), job.label, e.what()));
    }
  }

  // Lines for working-dir/helm/images.txt.
  const std::vector<std::string>& report() const { return report_; }

 private:
  void fail(const config::HelmRepository& repository, const std::string& what) {
    context_.log.error(kExitHelm, fmt::format("{}: helm repository {}: {}", repository.where.str(), repository.name, what));
  }

  void ociRepository(const config::HelmRepository& repository) {
    if (repository.charts.empty()) {
      fail(repository, fmt::format("{} is an OCI registry, which has no index to list its charts: list charts[] with "
                                   "name and version",
                                   repository.url));
      return;
    }
    auto base = repository.url.substr(6);
    while (!base.empty() && base.back() == '/') base.pop_back();
    for (const auto& wanted : repository.charts) {
      ChartJob job{.label = fmt::format("chart {} {} of repository {}", wanted.name, wanted.version, repository.name),
                   .owner = repository.name,
                   .origin = fmt::format("oci://{}/{}:{}", base, wanted.name, chart::ociTagOf(wanted.version)),
                   .imagePaths = wanted.imagePaths,
                   .ociSource = std::nullopt,
                   .platforms = wanted.platforms};
      try {
        auto version = wanted.version.empty() ? newestTag(base + "/" + wanted.name) : wanted.version;
        if (wanted.version.empty()) {
          job.label = fmt::format("chart {} {} of repository {}", wanted.name, version, repository.name);
          job.origin = fmt::format("oci://{}/{}:{}", base, wanted.name, chart::ociTagOf(version));
        }
        auto ref = ImageReference::parse(fmt::format("{}/{}:{}", base, wanted.name, chart::ociTagOf(version)));
        job.ociSource = ref;
        auto source = context_.reader.open(ref);
        auto tgz = chart::readOciChart(*source, *ref.tag, job.origin);
        chartArrived(job, tgz);
      } catch (const std::exception& e) {
        context_.log.error(kExitHelm, fmt::format("{}: {}: {}", repository.where.str(), job.label, e.what()));
      }
    }
  }

  // The newest tag of an OCI chart repository that is a release version ('_' read as '+', as helm writes it).
  std::string newestTag(const std::string& repositoryText) {
    auto ref = ImageReference::parse(repositoryText);
    auto client = std::make_shared<RegistryClient>(ref.registry, ref.apiHost(), options_.source);
    RegistryRepository repository(client, ref.repository);
    std::vector<chart::ChartVersion> versions;
    for (auto tag : repository.listTags()) {
      for (auto& c : tag)
        if (c == '_') c = '+';
      versions.push_back({.name = ref.repository, .version = tag});
    }
    auto newest = chart::newestRelease(versions);
    if (!newest)
      ferry::fail(ErrorKind::NotFound, "oci://{} has no tag that is a release version (of {} tags); give version",
                  repositoryText, versions.size());
    return newest->version;
  }

  void chartArrived(const ChartJob& job, const std::string& tgz) {
    auto files = chart::readChartArchive(tgz, job.label);
    auto loaded = chart::loadChart(files, job.label);
    auto chartsDir = context_.workspace.root / "helm" / "charts";
    std::filesystem::create_directories(chartsDir);
    auto tgzFile = chartsDir / fmt::format("{}-{}.tgz", pathComponent(loaded.name), chart::ociTagOf(loaded.version));
    writeFileAtomically(tgzFile, tgz);

    auto found = chart::findImagesInChart(loaded, job.imagePaths);
    if (!helm_.empty()) {
      try {
        auto rendered = chart::renderWithHelm(helm_, tgzFile);
        found.merge(chart::findImagesInManifests(rendered, job.imagePaths, "helm template"));
      } catch (const Error& e) {
        context_.log.warn(fmt::format("{}: {}; its images are those the static rules find", job.label, e.what()));
      }
    }
    for (const auto& note : found.notes) context_.log.note(fmt::format("{}: {}", job.label, note));
    for (const auto& line : found.withoutTag)
      context_.log.warn(fmt::format("{}: image {} has no tag or digest, so it is not mirrored; pin it in the chart's "
                                    "values or list it in additionalImages",
                                    job.label, line));
    auto who = fmt::format("chart {} {}", loaded.name, loaded.version);
    for (const auto& image : found.images) {
      PlannedImage planned;
      planned.kind = ImageKind::HelmImage;
      try {
        planned.source = ImageReference::parse(image.reference);
      } catch (const Error& e) {
        context_.log.error(kExitHelm, fmt::format("{}: image '{}': {}", job.label, image.reference, e.what()));
        continue;
      }
      planned.platforms = platformChoiceFor(job.platforms, planned.source);
      for (const auto& where : image.foundIn) planned.foundIn.push_back(who + ": " + where);
      report_.push_back(fmt::format("{}\t{}", image.reference, fmt::join(planned.foundIn, "; ")));
      plan_.addImage(std::move(planned));
    }
    context_.log.note(fmt::format("{}: {} images", job.label, found.images.size()));

    // The chart itself.
    PlannedImage chartImage;
    chartImage.kind = ImageKind::HelmChart;
    chartImage.foundIn = {loaded.name, loaded.version, job.origin};
    if (job.ociSource) {
      chartImage.source = *job.ociSource;
    } else {
      auto layoutDir = context_.workspace.root / "helm" / "oci" /
                       fmt::format("helm-{}-{}", pathComponent(job.owner), pathComponent(loaded.name));
      auto layout = OciLayout::create(layoutDir);
      chart::writeOciChart(*layout, tgz, loaded);
      chartImage.source = ImageReference::parse(fmt::format("oci:{}:{}", layoutDir.string(), chart::ociTagOf(loaded.version)));
      chartImage.naming.targetRepo = pathComponent(job.owner) + "/" + pathComponent(loaded.name);
    }
    plan_.addImage(std::move(chartImage));
  }

  const PlanningContext& context_;
  PlanBuilder& plan_;
  const HelmCollectorOptions& options_;
  std::filesystem::path helm_;
  std::vector<std::string> report_;
};

}  // namespace

bool isHelmKind(ImageKind kind) { return kind == ImageKind::HelmChart || kind == ImageKind::HelmImage; }

namespace {

std::string withoutV(std::string_view version) {
  if (!version.empty() && (version.front() == 'v' || version.front() == 'V')) version.remove_prefix(1);
  return std::string(version);
}

bool chartWanted(const std::vector<config::HelmChart>& charts, const std::string& name, const std::string& version) {
  if (charts.empty()) return true;
  for (const auto& chart : charts)
    if (chart.name == name && (chart.version.empty() || withoutV(chart.version) == withoutV(version))) return true;
  return false;
}

// Whether the configuration asks for a planned chart ({name, version, origin} in foundIn).
bool chartAsked(const PlannedImage& image, const config::HelmConfig& helm) {
  if (image.foundIn.size() < 3) return false;
  const auto& name = image.foundIn[0];
  const auto& version = image.foundIn[1];
  const auto& origin = image.foundIn[2];
  auto owner = image.naming.targetRepo ? image.naming.targetRepo->substr(0, image.naming.targetRepo->find('/')) : "";
  for (const auto& repository : helm.repositories) {
    bool from = false;
    if (repository.url.starts_with("oci://")) {
      auto base = repository.url;
      while (!base.empty() && base.back() == '/') base.pop_back();
      from = origin.starts_with(base + "/");
    } else {
      from = !owner.empty() && owner == pathComponent(repository.name);
    }
    if (from && chartWanted(repository.charts, name, version)) return true;
  }
  for (const auto& local : helm.local)
    if (!owner.empty() && owner == pathComponent(local.name)) return true;
  return false;
}

}  // namespace

void narrowHelmContent(Plan& plan, const config::ImageSetConfig& config, RunLog& log) {
  if (!config.mirror.helm) return;
  std::set<std::string> charts;  // "chart NAME VERSION: ", the prefix of their images' foundIn
  size_t leftOut = 0;
  for (const auto& image : plan.images)
    if (image.kind == ImageKind::HelmChart && chartAsked(image, *config.mirror.helm))
      charts.insert(fmt::format("chart {} {}: ", image.foundIn[0], image.foundIn[1]));
  std::vector<PlannedImage> kept;
  for (auto& image : plan.images) {
    bool keep = !isHelmKind(image.kind);
    if (image.kind == ImageKind::HelmChart)
      keep = image.foundIn.size() >= 2 && charts.count(fmt::format("chart {} {}: ", image.foundIn[0], image.foundIn[1]));
    if (image.kind == ImageKind::HelmImage)
      for (const auto& where : image.foundIn)
        for (const auto& prefix : charts) keep = keep || where.starts_with(prefix);
    if (keep)
      kept.push_back(std::move(image));
    else
      ++leftOut;
  }
  plan.images = std::move(kept);
  if (leftOut)
    log.note(fmt::format("mirror.helm: {} charts and chart images of the archive are not asked for by the "
                         "configuration and stay out",
                         leftOut));
}

void HelmCollector::check(const config::ImageSetConfig& config) const {
  if (!config.mirror.helm) return;
  auto checkChart = [](const config::HelmChart& chart) {
    for (const auto& path : chart.imagePaths) {
      try {
        chart::checkJsonPath(path);
      } catch (const Error& e) {
        throw Error(ErrorKind::InvalidInput, fmt::format("{}: {}", chart.where.str(), e.what()));
      }
    }
  };
  for (const auto& repository : config.mirror.helm->repositories) {
    if (!repository.url.starts_with("http://") && !repository.url.starts_with("https://") &&
        !repository.url.starts_with("oci://"))
      fail("{}: helm repository {}: url '{}' must start with https://, http:// or oci://", repository.where.str(),
           repository.name, repository.url);
    for (const auto& chart : repository.charts) checkChart(chart);
  }
  for (const auto& chart : config.mirror.helm->local) checkChart(chart);
}

void HelmCollector::collect(const PlanningContext& context, PlanBuilder& plan) {
  if (!context.config.mirror.helm) return;
  const auto& helm = *context.config.mirror.helm;
  if (helm.repositories.empty() && helm.local.empty()) return;
  HelmPlanner planner(context, plan, options_);
  for (const auto& repository : helm.repositories) planner.repository(repository);
  for (const auto& local : helm.local) planner.local(local);
  std::string text;
  for (const auto& line : planner.report()) text += line + "\n";
  std::filesystem::create_directories(context.workspace.root / "helm");
  writeFileAtomically(context.workspace.root / "helm" / "images.txt", text);
}

}  // namespace ferry::mirror
