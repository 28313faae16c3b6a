// The mirror side of releases that needs no registry: release kinds in the plan
// document, and the signature ConfigMap (release_collector.h). The collector
// itself runs against a real registry in tests/integration/release_test.cc.
#include "ferry/mirror/release_collector.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ferry/base/base64.h"
#include "ferry/base/files.h"
#include "ferry/mirror/plan.h"

namespace ferry::mirror {
namespace {

TEST(ReleasePlan, ReleaseKindsRoundTripThroughThePlanDocument) {
  Plan plan;
  PlannedImage payload;
  payload.kind = ImageKind::Release;
  payload.source = ImageReference::parse("quay.io/openshift-release-dev/ocp-release:4.18.1-x86_64@" +
                                         Digest::sha256Of("p").str());
  payload.naming.targetRepo = "openshift/release-images";
  payload.naming.targetTag = "4.18.1-x86_64";
  PlannedImage component = payload;
  component.kind = ImageKind::ReleaseComponent;
  component.source = ImageReference::parse("quay.io/openshift-release-dev/ocp-v4.0-art-dev:4.18.1-x86_64-cli@" +
                                           Digest::sha256Of("c").str());
  component.naming.targetRepo = "openshift/release";
  component.naming.targetTag = "4.18.1-x86_64-cli";
  plan.images = {payload, component};
  auto back = planFromJson(planToJson(plan, "r"), "plan.json");
  ASSERT_EQ(back.images.size(), 2u);
  EXPECT_EQ(back.images[0].kind, ImageKind::Release);
  EXPECT_EQ(back.images[1].kind, ImageKind::ReleaseComponent);
  EXPECT_EQ(back.images[1].source, component.source);
  EXPECT_EQ(back.images[1].naming.targetTag, component.naming.targetTag);
  EXPECT_STREQ(kindName(ImageKind::ReleaseComponent), "release-component");
}

TEST(ReleasePlan, TheGraphImageFromItsLayoutRoundTripsAndTheUpdateServiceNamesItByDigest) {
  TemporaryDirectory work("ferry-update-service");
  PlannedImage graph;
  graph.kind = ImageKind::GraphImage;
  graph.source.transport = Transport::Layout;
  graph.source.layoutPath = work.path() / "graph-preparation";
  graph.source.tag = "latest";
  graph.source.digest = Digest::sha256Of("g");
  graph.naming.targetRepo = "openshift/graph-image";
  graph.naming.targetTag = "latest";
  Plan plan;
  plan.images = {graph};
  auto back = planFromJson(planToJson(plan, "r"), "plan.json");
  ASSERT_EQ(back.images.size(), 1u);
  EXPECT_EQ(back.images[0].kind, ImageKind::GraphImage);
  EXPECT_EQ(back.images[0].source, graph.source);
  EXPECT_STREQ(kindName(ImageKind::GraphImage), "graph-image");
  // In an archive it is the layout's name.
  EXPECT_EQ(archiveName(graph.source), "oci/graph-preparation");

  Workspace workspace{work.path() / "working-dir"};
  auto destination = ImageReference::parse("mirror.example:5000/ocp/openshift/graph-image:latest");
  destination.digest = Digest::sha256Of("g");
  writeUpdateService(workspace, destination, "mirror.example:5000/ocp/openshift/release-images");
  EXPECT_EQ(readFile(workspace.clusterResources() / "updateService.yaml"),
            "apiVersion: updateservice.operator.openshift.io/v1\nkind: UpdateService\nmetadata:\n"
            "  name: update-service-oc-mirror\n  namespace: openshift-update-service\n  annotations:\n"
            "    createdBy: ferry\nspec:\n  replicas: 2\n"
            "  releases: mirror.example:5000/ocp/openshift/release-images\n"
            "  graphDataImage: mirror.example:5000/ocp/openshift/graph-image@" + Digest::sha256Of("g").str() + "\n");
}

TEST(ReleaseSignatures, TheConfigMapCountsOverEveryReleaseAndIsRemovedWhenThereAreNone) {
  TemporaryDirectory work;
  Workspace workspace{work.path() / "working-dir"};
  auto a = Digest::sha256Of("a"), b = Digest::sha256Of("b"), unsigned_ = Digest::sha256Of("u");
  std::filesystem::create_directories(workspace.releases() / "signatures");
  writeFileAtomically(signatureFile(workspace, a, 1), "sig a1");
  writeFileAtomically(signatureFile(workspace, a, 2), "sig a2");
  writeFileAtomically(signatureFile(workspace, b, 1), std::string("sig\0b1", 6));
  writeFileAtomically(signatureFile(workspace, b, 3), "not after a gap");
  EXPECT_EQ(savedSignatures(workspace, a).size(), 2u);
  EXPECT_EQ(savedSignatures(workspace, b).size(), 1u);

  EXPECT_EQ(writeSignatureConfigMap(workspace, {a, unsigned_, b, a}), 3u);
  auto configMap = nlohmann::json::parse(readFile(workspace.clusterResources() / "signature-configmap.json"));
  EXPECT_EQ(configMap["kind"], "ConfigMap");
  EXPECT_EQ(configMap["metadata"]["name"], "mirrored-release-signatures");
  EXPECT_EQ(configMap["metadata"]["namespace"], "openshift-config-managed");
  const auto& data = configMap["binaryData"];
  ASSERT_EQ(data.size(), 3u);
  // One counter over every release, as oc-mirror v2: the cluster takes any key with the prefix sha256-<hex>.
  EXPECT_EQ(data["sha256-" + std::string(a.hex()) + "-1"], base64Encode("sig a1"));
  EXPECT_EQ(data["sha256-" + std::string(a.hex()) + "-2"], base64Encode("sig a2"));
  EXPECT_EQ(data["sha256-" + std::string(b.hex()) + "-3"], base64Encode(std::string("sig\0b1", 6)));
  auto yaml = readFile(workspace.clusterResources() / "signature-configmap.yaml");
  EXPECT_NE(yaml.find("    release.openshift.io/verification-signatures: \"\"\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("  sha256-" + std::string(b.hex()) + "-3: " + base64Encode(std::string("sig\0b1", 6)) + "\n"),
            std::string::npos)
      << yaml;

  EXPECT_EQ(writeSignatureConfigMap(workspace, {unsigned_}), 0u);
  EXPECT_FALSE(std::filesystem::exists(workspace.clusterResources() / "signature-configmap.json"));
  EXPECT_FALSE(std::filesystem::exists(workspace.clusterResources() / "signature-configmap.yaml"));
}

}  // namespace
}  // namespace ferry::mirror
