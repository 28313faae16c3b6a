#include "ferry/mirror/run_record.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/mirror/naming.h"

namespace ferry::mirror {
namespace {

using nlohmann::ordered_json;

ImageKind kindFrom(const std::string& name, const std::string& where) {
  for (auto kind : {ImageKind::Catalog, ImageKind::Bundle, ImageKind::RelatedImage, ImageKind::Additional,
                    ImageKind::Release, ImageKind::ReleaseComponent, ImageKind::HelmChart, ImageKind::HelmImage})
    if (name == kindName(kind)) return kind;
  fail(ErrorKind::InvalidInput, "{}: unknown image kind '{}'", where, name);
}

}  // namespace

void recordMirroredRun(const Workspace& workspace, const std::string& runId, const std::string& destination,
                       const std::string& configuration, const Plan& plan, const CopyResults& copied, const std::vector<CatalogResult>& catalogs) {
  ordered_json images = ordered_json::array();
  for (size_t i = 0; i < plan.images.size() && i < copied.images.size(); ++i) {
    const auto& image = plan.images[i];
    const auto& outcome = copied.images[i];
    if (!outcome.ok || !outcome.digest) continue;
    ordered_json entry{{"kind", kindName(image.kind)},
                       {"source", image.source.str()},
                       {"origin", pullReferenceFor(image.source).str()},
                       {"destination", image.destination.str()},
                       {"digest", outcome.digest->str()}};
    if (!image.neededBy.empty()) {
      ordered_json owners = ordered_json::array();
      for (const auto& owner : image.neededBy)
        if (owner.catalog >= 0 && static_cast<size_t>(owner.catalog) < plan.catalogs.size())
          owners.push_back({{"catalog", plan.catalogs[owner.catalog].name}, {"package", owner.package}});
      entry["owners"] = std::move(owners);
    }
    if (!image.foundIn.empty()) entry["foundIn"] = image.foundIn;
    images.push_back(std::move(entry));
  }
  for (size_t i = 0; i < catalogs.size() && i < plan.catalogs.size(); ++i) {
    const auto& result = catalogs[i];
    if (!result.copy.ok || !result.copy.digest) continue;
    images.push_back({{"kind", kindName(ImageKind::Catalog)},
                      {"source", plan.catalogs[i].source.str()},
                      {"origin", pullReferenceFor(plan.catalogs[i].source).str()},
                      {"destination", result.destination.str()},
                      {"digest", result.copy.digest->str()},
                      {"catalog", plan.catalogs[i].name}});
  }
  ordered_json record{{"apiVersion", "ferry.mirror/v1alpha1"},
                      {"kind", "MirroredImages"},
                      {"runId", runId},
                      {"destination", destination},
                      {"configuration", configuration},
                      {"images", std::move(images)}};
  std::filesystem::create_directories(recordsDirectory(workspace));
  auto file = recordsDirectory(workspace) / (runId + ".json");
  for (int n = 2; std::filesystem::exists(file); ++n)
    file = recordsDirectory(workspace) / fmt::format("{}-{}.json", runId, n);
  writeFileAtomically(file, record.dump(1) + "\n");
}

std::vector<RecordedRun> loadRecordedRuns(const Workspace& workspace) {
  std::vector<RecordedRun> runs;
  auto directory = recordsDirectory(workspace);
  if (!std::filesystem::is_directory(directory)) return runs;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory))
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());  // run ids sort by time
  for (const auto& file : files) {
    auto where = file.string();
    if (std::filesystem::file_size(file) > kMaxRecordBytes)
      fail(ErrorKind::Limit, "{}: larger than the {} MiB ferry reads for a run record (docs/limits.md)", where,
           kMaxRecordBytes >> 20);
    RecordedRun run;
    run.file = file;
    try {
      auto json = nlohmann::json::parse(readFile(file));
      if (json.value("kind", std::string()) != "MirroredImages")
        fail(ErrorKind::InvalidInput, "{}: kind is not MirroredImages", where);
      run.runId = json.at("runId").get<std::string>();
      run.destination = json.at("destination").get<std::string>();
      run.configuration = json.value("configuration", std::string());
      const auto& images = json.at("images");
      if (images.size() > kMaxRecordImages)
        fail(ErrorKind::Limit, "{}: more than {} images in one run record (docs/limits.md)", where, kMaxRecordImages);
      for (const auto& item : images) {
        RecordedImage image;
        image.kind = kindFrom(item.at("kind").get<std::string>(), where);
        image.source = item.at("source").get<std::string>();
        image.origin = item.value("origin", image.source);
        image.destination = item.at("destination").get<std::string>();
        image.digest = item.value("digest", std::string());
        image.catalog = item.value("catalog", std::string());
        if (item.contains("owners"))
          for (const auto& owner : item.at("owners"))
            image.owners.push_back({owner.at("catalog").get<std::string>(), owner.at("package").get<std::string>()});
        if (item.contains("foundIn")) image.foundIn = item.at("foundIn").get<std::vector<std::string>>();
        run.images.push_back(std::move(image));
      }
    } catch (const nlohmann::json::exception& e) {
      fail(ErrorKind::InvalidInput, "{}: not a ferry run record ({}); remove the file or restore it", where,
           e.what());
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace ferry::mirror
