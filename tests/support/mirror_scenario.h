// A small operator world for `ferry mirror` tests, pushed into a real source
// registry: per package version, a bundle image and a two-platform operator
// image; a multi-arch catalog image whose File-Based Catalog points at them by
// digest; and an additional image. Everything is made by the test code.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/catalog_images.h"
#include "support/test_registry.h"

namespace ferry::testing {

struct ScenarioPackage {
  std::string name;
  std::vector<std::string> versions;  // a replaces chain in channel "stable"; the last is the head
  bool pushOperatorImage = true;      // false: the catalog names an operator image the registry lacks
};

struct ScenarioBundle {
  std::string package;
  std::string version;
  std::string bundleImage;    // "127.0.0.1:PORT/ferry-test/<pkg>-bundle@sha256:…"
  std::string operatorImage;  // "127.0.0.1:PORT/ferry-test/<pkg>-operator@sha256:…"
};

// The scenario's images written into an OCI layout, named as if they lived at
// `registryName` ("127.0.0.1:5000" or "registry.example.com/demo"): index.json
// lists each under its full reference ("<registryName>/ferry-test/foo-bundle:v1.0.0").
struct ScenarioLayout {
  struct Image {
    FixtureImage image;
    std::string repository;  // "ferry-test/foo-bundle"
    std::string tag;         // "v1.0.0"
  };
  std::vector<Image> images;  // the catalog last
  std::vector<ScenarioBundle> bundles;
};
// `platforms`: the platforms of the operator images, the catalog and the
// additional image (default: operator images and catalog linux/amd64 and
// linux/arm64, the additional image linux/amd64 and linux/s390x).
ScenarioLayout buildScenarioLayout(const std::filesystem::path& layoutDir, const std::string& registryName,
                                   const std::vector<ScenarioPackage>& packages,
                                   const std::vector<std::vector<std::string>>& perPlatform = {},
                                   uint64_t imageBytes = 64 << 10, const std::vector<Platform>& platforms = {});

class MirrorScenario {
 public:
  // `perPlatform`: when set, the catalog's platforms carry different catalogs:
  // platform i lists the packages perPlatform[i] names (the images are made for all).
  MirrorScenario(const TestRegistry& source, const std::filesystem::path& work, std::vector<ScenarioPackage> packages,
                 std::vector<std::vector<std::string>> perPlatform = {}, uint64_t imageBytes = 64 << 10,
                 const std::vector<Platform>& platforms = {});

  std::string catalog() const;     // "127.0.0.1:PORT/ferry-test/catalog:v1"
  std::string additional() const;  // "127.0.0.1:PORT/ferry-test/extra:stable"
  const std::vector<ScenarioBundle>& bundles() const { return bundles_; }
  const ScenarioBundle& bundle(const std::string& package, const std::string& version) const;

  // Writes an ImageSetConfiguration (v2alpha1) with `operators` as the YAML of
  // the catalog entry's body after `catalog:` (indented by the caller's text)
  // and the additional image; returns its path.
  std::filesystem::path writeConfig(const std::string& name, const std::string& operatorBody,
                                    bool withAdditional = true) const;

 private:
  const TestRegistry& source_;
  std::filesystem::path work_;
  std::vector<ScenarioBundle> bundles_;
};

}  // namespace ferry::testing
