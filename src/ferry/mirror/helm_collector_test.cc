#include <gtest/gtest.h>

#include "ferry/base/error.h"
#include "ferry/config/image_set_config.h"
#include "ferry/mirror/collectors.h"
#include "ferry/mirror/plan.h"

namespace ferry::mirror {
namespace {

config::ImageSetConfig configOf(const std::string& mirror) {
  return config::loadImageSetConfigText("apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\n"
                                        "mirror:\n" + mirror,
                                        "isc.yaml");
}

Plan helmPlan() {
  Plan plan;
  PlannedImage image;
  image.kind = ImageKind::HelmImage;
  image.source = ImageReference::parse("quay.io/shop/api:2.1");
  image.foundIn = {"chart shop 1.0.0+b: values.yaml image.{registry,repository,tag,digest}"};
  plan.images.push_back(image);
  PlannedImage chart;
  chart.kind = ImageKind::HelmChart;
  chart.source = ImageReference::parse("oci:/ws/helm/oci/helm-shop-shop:1.0.0_b");
  chart.naming.targetRepo = "shop/shop";
  chart.foundIn = {"shop", "1.0.0+b", "https://charts.example.com/shop-1.0.0+b.tgz"};
  plan.images.push_back(chart);
  return plan;
}

TEST(HelmPlan, HelmKindsAndWhereFoundRoundTripThroughJson) {
  auto plan = helmPlan();
  auto text = planToJson(plan, "run");
  EXPECT_NE(text.find("\"kind\": \"helm-image\""), std::string::npos);
  EXPECT_NE(text.find("\"kind\": \"helm-chart\""), std::string::npos);
  auto back = planFromJson(text, "plan.json");
  ASSERT_EQ(back.images.size(), 2u);
  EXPECT_EQ(back.images[0].kind, ImageKind::HelmImage);
  EXPECT_EQ(back.images[0].foundIn, plan.images[0].foundIn);
  EXPECT_EQ(back.images[1].kind, ImageKind::HelmChart);
  EXPECT_EQ(back.images[1].foundIn, plan.images[1].foundIn);
  EXPECT_EQ(planToJson(back, "run"), text);
}

TEST(HelmPlan, DiskToMirrorKeepsHelmContentWhenTheConfigurationHasHelm) {
  RunLog log;
  auto withHelm = configOf("  helm:\n    local:\n      - name: shop\n        path: /c.tgz\n");
  EXPECT_EQ(narrowToConfiguration(helmPlan(), withHelm, log).images.size(), 2u);
  auto without = configOf("  additionalImages:\n    - name: quay.io/x/y:1\n");
  EXPECT_TRUE(narrowToConfiguration(helmPlan(), without, log).images.empty());
  // blockedImages still apply on the disconnected side.
  auto blocked = configOf("  helm:\n    local:\n      - name: shop\n        path: /c.tgz\n  blockedImages:\n"
                          "    - name: quay.io/shop/api.*\n");
  auto narrowed = narrowToConfiguration(helmPlan(), blocked, log);
  ASSERT_EQ(narrowed.images.size(), 1u);
  EXPECT_EQ(narrowed.images[0].kind, ImageKind::HelmChart);
}

TEST(HelmPlan, DiskToMirrorNarrowsChartByChart) {
  auto plan = helmPlan();
  PlannedImage other;
  other.kind = ImageKind::HelmChart;
  other.source = ImageReference::parse("oci:/ws/helm/oci/helm-shop-other:2.0.0");
  other.naming.targetRepo = "shop/other";
  other.foundIn = {"other", "2.0.0", "https://charts.example.com/other-2.0.0.tgz"};
  plan.images.push_back(other);
  PlannedImage otherImage;
  otherImage.kind = ImageKind::HelmImage;
  otherImage.source = ImageReference::parse("quay.io/other/x:1");
  otherImage.foundIn = {"chart other 2.0.0: values.yaml image"};
  plan.images.push_back(otherImage);
  RunLog log;
  auto onlyShop = configOf("  helm:\n    repositories:\n      - name: shop\n        url: https://charts.example.com\n"
                           "        charts:\n          - name: shop\n            version: 1.0.0+b\n");
  auto narrowed = narrowToConfiguration(plan, onlyShop, log);
  ASSERT_EQ(narrowed.images.size(), 2u);
  EXPECT_EQ(narrowed.images[0].source.str(), "docker://quay.io/shop/api:2.1");
  EXPECT_EQ(narrowed.images[1].foundIn[0], "shop");
  // A repository without charts keeps all of its charts; another repository's name keeps none.
  auto all = configOf("  helm:\n    repositories:\n      - name: shop\n        url: https://charts.example.com\n");
  EXPECT_EQ(narrowToConfiguration(plan, all, log).images.size(), 4u);
  auto elsewhere = configOf("  helm:\n    repositories:\n      - name: other\n        url: https://x.example.com\n");
  EXPECT_TRUE(narrowToConfiguration(plan, elsewhere, log).images.empty());
}

TEST(HelmPlan, SameImageFromTwoChartsKeepsBothPlaces) {
  std::vector<config::BlockedImage> blocked;
  PlanBuilder builder(blocked);
  auto plan = helmPlan();
  auto second = plan.images[0];
  second.foundIn = {"chart other 2.0.0: templates/deploy.yaml:3"};
  builder.addImage(plan.images[0]);
  builder.addImage(second);
  auto run = builder.take();
  ASSERT_EQ(run.plan.images.size(), 1u);
  EXPECT_EQ(run.plan.images[0].foundIn.size(), 2u);
}

TEST(HelmCollectorCheck, RefusesWhatItCannotDoBeforeFetching) {
  HelmCollector collector({});
  auto expectRefusal = [&](const std::string& mirror, const std::string& words) {
    try {
      collector.check(configOf(mirror));
      FAIL() << "accepted: " << mirror;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  expectRefusal("  helm:\n    repositories:\n      - name: r\n        url: ftp://x\n", "must start with https://");
  expectRefusal("  helm:\n    repositories:\n      - name: r\n        url: https://x\n        charts:\n"
                "          - name: c\n            imagePaths: [\"{.spec.containers[?(@.name=='a')].image}\"]\n",
                "isc.yaml:9:13: imagePaths");
  // A chart's platforms narrow its images as additionalImages[].platforms does (platformChoiceFor).
  EXPECT_NO_THROW(collector.check(configOf("  helm:\n    local:\n      - name: c\n        path: /c.tgz\n"
                                           "        platforms:\n          - os: linux\n            architecture: amd64\n")));
  EXPECT_NO_THROW(collector.check(configOf("  helm:\n    repositories:\n      - name: r\n        url: oci://quay.io/x\n")));
}

}  // namespace
}  // namespace ferry::mirror
