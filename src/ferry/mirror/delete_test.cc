// ferry delete's first step from recorded runs (no network), and the DeleteImageList format.
#include "ferry/mirror/delete.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/mirror/run_record.h"

namespace ferry::mirror {
namespace {

using Json = nlohmann::ordered_json;

std::string digestOf(int n) { return Digest::sha256Of(std::to_string(n)).str(); }

Json image(const std::string& kind, const std::string& source, const std::string& destination, int digest) {
  return {{"kind", kind}, {"source", source}, {"origin", source}, {"destination", destination},
          {"digest", digestOf(digest)}};
}

class GenerateDelete : public ::testing::Test {
 protected:
  void record(const std::string& runId, const std::string& configuration, Json images) {
    Json run = {{"apiVersion", "ferry.mirror/v1alpha1"}, {"kind", "MirroredImages"}, {"runId", runId},
                {"destination", "docker://mirror.local:5000/ns"}, {"configuration", configuration},
                {"images", std::move(images)}};
    std::filesystem::create_directories(ws_.path() / "working-dir" / "mirrored");
    writeFileAtomically(ws_.path() / "working-dir" / "mirrored" / (runId + ".json"), run.dump());
  }
  GenerateReport generate(const std::string& disc, const std::string& id = {}) {
    auto file = ws_.path() / "disc.yaml";
    writeFileAtomically(file, "apiVersion: mirror.openshift.io/v2alpha1\nkind: DeleteImageSetConfiguration\n" + disc);
    return generateDeleteList({.configFile = file, .workspace = ws_.path(),
                               .destination = "docker://mirror.local:5000/ns", .deleteId = id});
  }
  static std::vector<std::string> references(const GenerateReport& report) {
    std::vector<std::string> out;
    for (const auto& item : report.list.items) out.push_back(item.imageReference + " " + item.type);
    return out;
  }

  TemporaryDirectory ws_{"ferry-delete-generate"};
};

const std::string kCatalog = "registry.example/redhat/operator-index:v4.15";
const std::string kDest = "docker://mirror.local:5000/ns/";

TEST_F(GenerateDelete, OperatorsByPackageReleasesByVersionRangeAndHelmChartsByName) {
  Json bundleA = image("bundle", "registry.example/a/bundle@" + digestOf(1), kDest + "a/bundle:sha256-1", 1);
  bundleA["owners"] = Json::array({{{"catalog", kCatalog}, {"package", "a"}}});
  Json shared = image("related-image", "registry.example/x/shared@" + digestOf(2), kDest + "x/shared:sha256-2", 2);
  shared["owners"] = Json::array({{{"catalog", kCatalog}, {"package", "a"}}, {{"catalog", kCatalog}, {"package", "b"}}});
  Json bundleB = image("bundle", "registry.example/b/bundle@" + digestOf(3), kDest + "b/bundle:sha256-3", 3);
  bundleB["owners"] = Json::array({{{"catalog", kCatalog}, {"package", "b"}}});
  Json catalog = image("catalog", kCatalog, kDest + "redhat/operator-index:v4.15", 4);
  catalog["catalog"] = kCatalog;
  Json chart = image("helm-chart", "registry.example/charts/podinfo:5.0.0", kDest + "charts/podinfo:5.0.0", 9);
  chart["foundIn"] = Json::array({"podinfo", "5.0.0", "https://charts.example"});
  Json chartImage = image("helm-image", "ghcr.io/podinfo:5.0.0", kDest + "podinfo:5.0.0", 10);
  chartImage["foundIn"] = Json::array({"chart podinfo 5.0.0: values.yaml image"});
  record("20261201T000000Z", "/isc.yaml",
         Json::array({bundleA, shared, bundleB, catalog,
                      image("release", "quay.io/ocp-release:4.15.1-x86_64",
                            kDest + "openshift/release-images:4.15.1-x86_64", 5),
                      image("release-component", "quay.io/art@" + digestOf(6),
                            kDest + "openshift/release:4.15.1-x86_64-etcd", 6),
                      image("release", "quay.io/ocp-release:4.15.4-x86_64",
                            kDest + "openshift/release-images:4.15.4-x86_64", 7),
                      image("release-component", "quay.io/art@" + digestOf(8),
                            kDest + "openshift/release:4.15.4-x86_64-etcd", 8),
                      chart, chartImage}));
  // The configuration was changed and mirrored again without package a, 4.15.1 and the chart: what that
  // run still mirrors stays, the rest may go.
  Json sharedForB = shared;
  sharedForB["owners"] = Json::array({{{"catalog", kCatalog}, {"package", "b"}}});
  record("20261202T000000Z", "/isc.yaml",
         Json::array({sharedForB, bundleB, image("release", "quay.io/ocp-release:4.15.4-x86_64",
                                                 kDest + "openshift/release-images:4.15.4-x86_64", 7)}));
  auto report = generate("delete:\n  platform:\n    channels:\n      - name: stable-4.15\n        minVersion: 4.15.0\n"
                         "        maxVersion: 4.15.3\n  operators:\n    - catalog: " + kCatalog +
                         "\n      packages:\n        - name: a\n  helm:\n    repositories:\n      - name: podinfo\n"
                         "        url: https://charts.example\n        charts:\n          - name: podinfo\n",
                         "one");
  EXPECT_EQ(references(report),
            (std::vector<std::string>{kDest + "a/bundle:sha256-1 operatorBundle", kDest + "charts/podinfo:5.0.0 helmImage",
                                      kDest + "openshift/release-images:4.15.1-x86_64 ocpRelease",
                                      kDest + "openshift/release:4.15.1-x86_64-etcd ocpReleaseContent",
                                      kDest + "podinfo:5.0.0 helmImage"}))
      << "package b's images, the catalog (packages are listed) and 4.15.4 stay";
  EXPECT_EQ(report.listFile.filename(), "delete-images-one.yaml");
  EXPECT_TRUE(std::filesystem::exists(report.configCopy));
  // The file reads back as written.
  auto list = loadDeleteImageList(report.listFile);
  ASSERT_EQ(list.items.size(), report.list.items.size());
  EXPECT_EQ(list.items[0].imageName, "registry.example/a/bundle@" + digestOf(1));
  EXPECT_EQ(list.items[0].line, 4);

  // A catalog named without packages: all of it, the catalog image too, but what the latest run still mirrors.
  auto whole = generate("delete:\n  operators:\n    - catalog: " + kCatalog + "\n");
  EXPECT_EQ(references(whole), (std::vector<std::string>{kDest + "a/bundle:sha256-1 operatorBundle",
                                                         kDest + "redhat/operator-index:v4.15 operatorCatalog"}));
  EXPECT_EQ(whole.kept.size(), 2u);
}

TEST_F(GenerateDelete, WhatTheLatestRunOfAnotherConfigurationMirroredStays) {
  record("20261201T000000Z", "/one.yaml",
         Json::array({image("additional-image", "quay.io/a:1", kDest + "a:1", 1),
                      image("additional-image", "quay.io/common:1", kDest + "common:1", 2)}));
  record("20261202T000000Z", "/two.yaml",
         Json::array({image("additional-image", "quay.io/b:1", kDest + "b:1", 3),
                      image("additional-image", "quay.io/common:1", kDest + "common:1", 2)}));
  auto report = generate("delete:\n  additionalImages:\n    - name: quay.io/a:1\n    - name: quay.io/common:1\n");
  EXPECT_EQ(references(report), (std::vector<std::string>{kDest + "a:1 generic"}));
  ASSERT_EQ(report.kept.size(), 1u);
  EXPECT_NE(report.kept[0].find("the latest run of /two.yaml (run 20261202T000000Z)"), std::string::npos)
      << report.kept[0];

  // The first configuration mirrored again without a:1: its earlier run no longer keeps anything.
  record("20261203T000000Z", "/one.yaml", Json::array({image("additional-image", "quay.io/c:1", kDest + "c:1", 4)}));
  auto later = generate("delete:\n  additionalImages:\n    - name: quay.io/a:1\n");
  EXPECT_EQ(references(later), (std::vector<std::string>{kDest + "a:1 generic"}));
}

TEST(DeleteImageList, RefusesWhatIsNotOneWithPositions) {
  auto message = [](const std::string& text) {
    try {
      loadDeleteImageListText(text, "d.yaml");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  EXPECT_NE(message("apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nitems: []\n")
                .find("d.yaml:2:7: kind: \"ImageSetConfiguration\" is not accepted"),
            std::string::npos);
  auto relative = message("apiVersion: mirror.openshift.io/v2alpha1\nkind: DeleteImageList\nitems:\n"
                          "- imageName: a\n  imageReference: reg/a:v1\n  type: generic\n");
  EXPECT_NE(relative.find("d.yaml:5:19: items[0].imageReference: \"reg/a:v1\" is not a registry reference"),
            std::string::npos) << relative;
  auto missing = message("apiVersion: mirror.openshift.io/v2alpha1\nkind: DeleteImageList\nitems:\n- imageName: a\n");
  EXPECT_NE(missing.find("items[0]"), std::string::npos) << missing;
  EXPECT_NE(missing.find("imageReference"), std::string::npos) << missing;
  EXPECT_NE(message("kind: [").find("d.yaml:1:"), std::string::npos);
  // Bounded: more items than kMaxDeleteItems.
  std::string big = "apiVersion: mirror.openshift.io/v2alpha1\nkind: DeleteImageList\nitems:\n";
  for (size_t i = 0; i <= kMaxDeleteItems; ++i) big += "- {}\n";
  EXPECT_NE(message(big).find("more than 200000 items"), std::string::npos);
}

}  // namespace
}  // namespace ferry::mirror
