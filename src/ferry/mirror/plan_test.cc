#include "ferry/mirror/plan.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"
#include "ferry/config/image_set_config.h"
#include "ferry/mirror/collectors.h"

namespace ferry::mirror {
namespace {

const Digest kDigestA = Digest::sha256Of("a");
const Digest kDigestB = Digest::sha256Of("b");

Plan samplePlan() {
  Plan plan;
  PlannedCatalog catalog;
  catalog.name = "quay.io/org/catalog:v4.16";
  catalog.source = ImageReference::parse("quay.io/org/catalog:v4.16");
  catalog.destination = ImageReference::parse("mirror.local/ocp/org/catalog:v4.16");
  catalog.naming.isCatalog = true;
  catalog.naming.targetTag = "v4.16-filtered";
  catalog.rebuilt = true;
  catalog.sourceDigest = kDigestA;
  catalog.packages = {"foo", "bar"};
  catalog.notes = {"foo.v1 added for bar"};
  catalog.unplannablePackages = {"baz"};
  catalog.archiveTag = "v4.16";
  plan.catalogs.push_back(catalog);

  PlannedImage bundle;
  bundle.kind = ImageKind::Bundle;
  bundle.source = ImageReference::parse("quay.io/org/foo-bundle@" + kDigestB.str());
  bundle.destination = ImageReference::parse("mirror.local/ocp/org/foo-bundle:" + digestTag(kDigestB));
  bundle.neededBy = {{0, "foo"}, {0, "bar"}};
  bundle.platforms = {.platforms = {"linux/arm64", "linux/amd64"}, .sparse = true};
  plan.images.push_back(bundle);

  PlannedImage additional;
  additional.kind = ImageKind::Additional;
  additional.source = ImageReference::parse("docker.io/library/nginx:1.27");
  additional.naming.targetRepo = "web/nginx";
  additional.platforms.platforms = {"linux/amd64"};
  plan.images.push_back(additional);
  plan.blocked = {"quay.io/org/blocked:v1"};
  return plan;
}

TEST(Plan, PlatformChoicesMergeToTheUnionOrEveryPlatform) {
  PlatformChoice choice{.platforms = {"linux/amd64"}, .sparse = true};
  choice.merge({.platforms = {"linux/x86_64", "linux/arm64/v8"}, .sparse = true});
  EXPECT_EQ(choice.platforms, (std::vector<std::string>{"linux/amd64", "linux/arm64/v8"}));
  choice.merge({});
  EXPECT_TRUE(choice.everyPlatform()) << "an entry that wants every platform wins";
  choice.merge({.platforms = {"linux/s390x"}});
  EXPECT_TRUE(choice.everyPlatform());
}

TEST(Plan, RoundTripsThroughJson) {
  auto plan = samplePlan();
  auto text = planToJson(plan, "run-1");
  auto back = planFromJson(text, "plan.json");
  EXPECT_EQ(planToJson(back, "run-1"), text);

  ASSERT_EQ(back.images.size(), 2u);
  EXPECT_EQ(back.images[0].kind, ImageKind::Bundle);
  EXPECT_EQ(back.images[0].source, plan.images[0].source);
  EXPECT_EQ(back.images[0].destination, plan.images[0].destination);
  EXPECT_EQ(back.images[0].neededBy, (std::set<PackageOwner>{{0, "bar"}, {0, "foo"}}));
  EXPECT_EQ(back.images[1].kind, ImageKind::Additional);
  EXPECT_EQ(back.images[1].naming.targetRepo, std::optional<std::string>("web/nginx"));
  EXPECT_EQ(back.images[1].platforms, plan.images[1].platforms);
  EXPECT_EQ(back.images[0].platforms, plan.images[0].platforms);
  EXPECT_TRUE(back.images[0].platforms.sparse);
  EXPECT_TRUE(back.images[1].neededBy.empty());

  ASSERT_EQ(back.catalogs.size(), 1u);
  const auto& catalog = back.catalogs[0];
  EXPECT_EQ(catalog.sourceDigest, kDigestA);
  EXPECT_EQ(catalog.packages, (std::set<std::string>{"bar", "foo"}));
  EXPECT_EQ(catalog.naming.targetTag, std::optional<std::string>("v4.16-filtered"));
  EXPECT_EQ(catalog.unplannablePackages, (std::set<std::string>{"baz"}));
  EXPECT_EQ(catalog.archiveTag, "v4.16");
  EXPECT_EQ(catalog.destination, plan.catalogs[0].destination);
  EXPECT_EQ(back.blocked, plan.blocked);
}

TEST(Plan, OlderPlansWithoutArchiveTagsNameCatalogsByTheirSourceTag) {
  auto text = R"({"formatVersion":1,"images":[],"catalogs":[{"name":"c","source":"docker://quay.io/org/c:v1",
    "naming":{},"rebuilt":true,"sourceDigest":"","packages":["foo"]}]})";
  auto plan = planFromJson(text, "plan.json");
  ASSERT_EQ(plan.catalogs.size(), 1u);
  EXPECT_EQ(plan.catalogs[0].archiveTag, "v1");
  EXPECT_FALSE(plan.catalogs[0].sourceDigest);
}

TEST(Plan, MalformedPlansNameTheDocument) {
  try {
    planFromJson(R"({"formatVersion":1,"images":[{"kind":"wizard"}]})", "archive/plan.json");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("archive/plan.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(planFromJson(R"({"formatVersion":7})", "plan.json"), Error);
}

TEST(CopyResults, RoundTripAndNameTheFailedOperators) {
  auto plan = samplePlan();
  CopyResults results;
  results.images.push_back({.ok = false, .error = "manifest unknown", .warnings = {"retried"}});
  results.images.push_back({.ok = true, .alreadyPresent = true, .digest = kDigestA});
  auto back = copyResultsFromJson(copyResultsToJson(results), "results.json");
  EXPECT_EQ(back.images, results.images);
  // The failed bundle's owners, and the package whose image could not be planned.
  EXPECT_EQ(back.failedOperators(plan), (std::set<PackageOwner>{{0, "bar"}, {0, "baz"}, {0, "foo"}}));
}

TEST(NarrowToConfiguration, KeepsOnlyWhatTheConfigurationNames) {
  auto plan = samplePlan();
  auto config = config::loadImageSetConfigText(R"(apiVersion: mirror.openshift.io/v2alpha1
kind: ImageSetConfiguration
mirror:
  additionalImages:
    - name: docker.io/library/nginx:1.27
)",
                                               "isc.yaml");
  RunLog log;
  auto narrowed = narrowToConfiguration(plan, config, log);
  ASSERT_EQ(narrowed.images.size(), 1u);
  EXPECT_EQ(narrowed.images[0].source, plan.images[1].source);
  EXPECT_TRUE(narrowed.catalogs.empty());

  auto withCatalog = config::loadImageSetConfigText(R"(apiVersion: mirror.openshift.io/v2alpha1
kind: ImageSetConfiguration
mirror:
  operators:
    - catalog: quay.io/org/catalog:v4.16
      targetTag: v4.16-filtered
      packages:
        - name: foo
        - name: qux
)",
                                                    "isc.yaml");
  narrowed = narrowToConfiguration(plan, withCatalog, log);
  ASSERT_EQ(narrowed.catalogs.size(), 1u);
  ASSERT_EQ(narrowed.images.size(), 1u);
  EXPECT_EQ(narrowed.images[0].kind, ImageKind::Bundle);
  ASSERT_FALSE(log.warnings.empty());
  EXPECT_NE(log.warnings.back().find("qux"), std::string::npos) << log.warnings.back();
}

}  // namespace
}  // namespace ferry::mirror
