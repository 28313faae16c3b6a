#include "support/mirror_scenario.h"

#include <fmt/format.h>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "support/registry_push.h"

namespace ferry::testing {
namespace {

std::string fbcFor(const ScenarioPackage& package, const std::vector<ScenarioBundle>& bundles) {
  std::string text = fmt::format(R"({{"schema":"olm.package","name":"{}","defaultChannel":"stable"}})", package.name) + "\n";
  std::string entries;
  std::string previous;
  for (const auto& version : package.versions) {
    std::string name = package.name + ".v" + version;
    entries += (entries.empty() ? "" : ",") +
               (previous.empty() ? fmt::format(R"({{"name":"{}"}})", name)
                                 : fmt::format(R"({{"name":"{}","replaces":"{}"}})", name, previous));
    previous = name;
  }
  text += fmt::format(R"({{"schema":"olm.channel","package":"{}","name":"stable","entries":[{}]}})", package.name,
                      entries) + "\n";
  for (const auto& bundle : bundles) {
    if (bundle.package != package.name) continue;
    text += fmt::format(
        R"({{"schema":"olm.bundle","name":"{0}.v{1}","package":"{0}","image":"{2}","properties":[{{"type":"olm.package","value":{{"packageName":"{0}","version":"{1}"}}}}],"relatedImages":[{{"name":"operator","image":"{3}"}},{{"name":"","image":"{2}"}}]}})",
        bundle.package, bundle.version, bundle.bundleImage, bundle.operatorImage) + "\n";
  }
  return text;
}

}  // namespace

ScenarioLayout buildScenarioLayout(const std::filesystem::path& layoutDir, const std::string& registryName,
                                   const std::vector<ScenarioPackage>& packages,
                                   const std::vector<std::vector<std::string>>& perPlatform, uint64_t imageBytes,
                                   const std::vector<Platform>& chosenPlatforms) {
  ScenarioLayout layout;
  uint64_t seed = 1;
  auto spec = [&](std::vector<Platform> platforms) {
    return ImageSpec{.platforms = std::move(platforms), .ownLayers = 1, .ownLayerMinSize = imageBytes,
                     .ownLayerMaxSize = imageBytes};
  };
  // Each image gets its own builder (its own seed), tagged by its full reference.
  auto add = [&](const std::string& repository, const std::string& tag, std::vector<Platform> platforms) {
    FixtureBuilder builder(layoutDir, seed++);
    auto image = builder.image(registryName + "/" + repository + ":" + tag, spec(std::move(platforms)));
    layout.images.push_back({image, repository, tag});
    return image;
  };
  for (const auto& package : packages) {
    for (const auto& version : package.versions) {
      auto bundle = add("ferry-test/" + package.name + "-bundle", "v" + version, {});
      auto operatorImage = add("ferry-test/" + package.name + "-operator", "v" + version,
                               chosenPlatforms.empty()
                                   ? std::vector<Platform>{Platform::parse("linux/amd64"), Platform::parse("linux/arm64")}
                                   : chosenPlatforms);
      if (!package.pushOperatorImage) layout.images.pop_back();
      layout.bundles.push_back(
          {package.name, version, registryName + "/ferry-test/" + package.name + "-bundle@" + bundle.digest.str(),
           registryName + "/ferry-test/" + package.name + "-operator@" + operatorImage.digest.str()});
    }
  }
  add("ferry-test/extra", "stable",
      chosenPlatforms.empty() ? std::vector<Platform>{Platform::parse("linux/amd64"), Platform::parse("linux/s390x")}
                              : chosenPlatforms);

  std::vector<Platform> platforms =
      chosenPlatforms.empty() ? std::vector<Platform>{Platform::parse("linux/amd64"), Platform::parse("linux/arm64")}
                              : chosenPlatforms;
  CatalogImageSpec catalogSpec;
  if (perPlatform.empty()) {
    FbcFiles files;
    for (const auto& package : packages) files[package.name + "/catalog.json"] = fbcFor(package, layout.bundles);
    catalogSpec = identicalCatalog(files, platforms);
  } else {
    std::vector<std::pair<Platform, FbcFiles>> divergent;
    for (size_t i = 0; i < perPlatform.size(); ++i) {
      FbcFiles files;
      for (const auto& name : perPlatform[i])
        for (const auto& package : packages)
          if (package.name == name) files[name + "/catalog.json"] = fbcFor(package, layout.bundles);
      divergent.emplace_back(platforms.at(i), files);
    }
    catalogSpec = divergentCatalog(divergent);
  }
  FixtureBuilder builder(layoutDir, seed++);
  auto catalog = buildCatalogImage(builder, registryName + "/ferry-test/catalog:v1", catalogSpec);
  layout.images.push_back({catalog, "ferry-test/catalog", "v1"});
  return layout;
}

MirrorScenario::MirrorScenario(const TestRegistry& source, const std::filesystem::path& work,
                               std::vector<ScenarioPackage> packages,
                               std::vector<std::vector<std::string>> perPlatform, uint64_t imageBytes,
                               const std::vector<Platform>& platforms)
    : source_(source), work_(work) {
  auto layoutDir = work / "scenario-layout";
  auto layout = buildScenarioLayout(layoutDir, source.host(), packages, perPlatform, imageBytes, platforms);
  for (const auto& image : layout.images) pushImage(source, layoutDir, image.image, image.repository, image.tag);
  bundles_ = layout.bundles;
}

std::string MirrorScenario::catalog() const { return source_.host() + "/ferry-test/catalog:v1"; }
std::string MirrorScenario::additional() const { return source_.host() + "/ferry-test/extra:stable"; }

const ScenarioBundle& MirrorScenario::bundle(const std::string& package, const std::string& version) const {
  for (const auto& bundle : bundles_)
    if (bundle.package == package && bundle.version == version) return bundle;
  fail("the scenario has no bundle {} {}", package, version);
}

std::filesystem::path MirrorScenario::writeConfig(const std::string& name, const std::string& operatorBody,
                                                  bool withAdditional) const {
  std::string text = "apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nmirror:\n";
  text += "  operators:\n    - catalog: " + catalog() + "\n" + operatorBody;
  if (withAdditional) text += "  additionalImages:\n    - name: " + additional() + "\n";
  auto path = work_ / name;
  writeFileAtomically(path, text);
  return path;
}

}  // namespace ferry::testing
