#include "ferry/mirror/cluster_resources.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/mirror/kube_yaml.h"
#include "ferry/mirror/naming.h"

namespace ferry::mirror {
namespace {

const std::string kHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kCatalogHex = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
const DestinationRoot kRoot = DestinationRoot::parse("docker://mirror.example.com:5000/ocp");

MirroredImage mirrored(const std::string& source, ImageCategory category, NamingOptions naming = {}) {
  auto reference = ImageReference::parse(source);
  return {reference, destinationFor(reference, kRoot, naming), category, namedByDigestOnly(reference)};
}

MirroredCatalog catalogAt(const std::string& destination, const std::string& displayName = "") {
  auto pushed = ImageReference::parse(destination);
  pushed.digest = Digest::parse("sha256:" + kCatalogHex);
  return {ImageReference::parse("registry.redhat.io/redhat/redhat-operator-index:v4.18"), pushed, displayName, {}};
}

const ResourceFile* findFile(const ClusterResources& resources, const std::string& name) {
  for (const auto& file : resources.files)
    if (file.name == name) return &file;
  return nullptr;
}

std::vector<YAML::Node> documents(const ResourceFile* file) {
  EXPECT_NE(file, nullptr);
  if (!file) return {};
  EXPECT_TRUE(file->content.starts_with("---\n"));
  return YAML::LoadAll(file->content);
}

// spec.<key> as source → mirrors.
std::map<std::string, std::vector<std::string>> entriesOf(const YAML::Node& object, const std::string& key) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& entry : object["spec"][key]) {
    auto& mirrors = out[entry["source"].as<std::string>()];
    for (const auto& mirror : entry["mirrors"]) mirrors.push_back(mirror.as<std::string>());
  }
  return out;
}

void expectError(const std::function<void()>& action, const std::string& needle) {
  try {
    action();
    ADD_FAILURE() << "expected an error containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(MirrorScope, NamespaceWhenThePathIsKeptElseRepository) {
  auto source = ImageReference::parse("quay.io/org/team/app:v1");
  auto kept = destinationFor(source, kRoot);
  auto scope = mirrorScopeFor(source, kept, false);
  EXPECT_EQ(scope.source, "quay.io/org/team");
  EXPECT_EQ(scope.mirror, "mirror.example.com:5000/ocp/org/team");

  NamingOptions retargeted;
  retargeted.targetRepo = "tools/app";
  scope = mirrorScopeFor(source, destinationFor(source, kRoot, retargeted), false);
  EXPECT_EQ(scope.source, "quay.io/org/team/app");
  EXPECT_EQ(scope.mirror, "mirror.example.com:5000/ocp/tools/app");

  // A path that merely ends with the same characters is not the same path.
  auto other = ImageReference::parse("mirror:5000/xorg/team/app:v1");
  scope = mirrorScopeFor(source, other, false);
  EXPECT_EQ(scope.source, "quay.io/org/team/app");

  scope = mirrorScopeFor(source, kept, true);
  EXPECT_EQ(scope.source, "quay.io/org/team/app");
  EXPECT_EQ(scope.mirror, "mirror.example.com:5000/ocp/org/team/app");

  // Flattened paths no longer line up, so they come out repository-scoped even unforced.
  auto flattened = destinationFor(source, kRoot, [] {
    NamingOptions options;
    options.maxNestedPaths = 2;
    return options;
  }());
  EXPECT_EQ(flattened.repository, "ocp/org-team-app");
  EXPECT_EQ(mirrorScopeFor(source, flattened, false).source, "quay.io/org/team/app");

  // A single-component source path: the namespace is the registry itself (as oc-mirror).
  auto top = ImageReference::parse("registry.local:5000/app:v1");
  scope = mirrorScopeFor(top, destinationFor(top, kRoot), false);
  EXPECT_EQ(scope.source, "registry.local:5000");
  EXPECT_EQ(scope.mirror, "mirror.example.com:5000/ocp");
}

TEST(ClusterResources, DigestMirrorSetsByCategorySortedAndDeduplicated) {
  std::vector<MirroredImage> images = {
      mirrored("registry.redhat.io/rhel9/op-b@sha256:" + kHex, ImageCategory::Operator),
      mirrored("registry.redhat.io/rhel9/op-a@sha256:" + kHex, ImageCategory::Operator),
      mirrored("quay.io/beta/tool@sha256:" + kHex, ImageCategory::Operator),
      mirrored("quay.io/beta/tool@sha256:" + kHex, ImageCategory::Operator),  // again
      mirrored("quay.io/gen/app@sha256:" + kHex, ImageCategory::Generic),
      mirrored("quay.io/openshift-release-dev/ocp-release:4.18.1-x86_64", ImageCategory::Release),
      mirrored("registry.redhat.io/redhat/redhat-operator-index:v4.18", ImageCategory::Catalog),
  };
  auto resources = generateClusterResources(images, {});
  auto idms = documents(findFile(resources, "idms-oc-mirror.yaml"));
  ASSERT_EQ(idms.size(), 3u);
  // release, operator, generic — only the categories with entries.
  EXPECT_EQ(idms[0]["metadata"]["name"].as<std::string>(), "idms-release-0");
  EXPECT_EQ(idms[1]["metadata"]["name"].as<std::string>(), "idms-operator-0");
  EXPECT_EQ(idms[2]["metadata"]["name"].as<std::string>(), "idms-generic-0");
  for (const auto& object : idms) {
    EXPECT_EQ(object["apiVersion"].as<std::string>(), "config.openshift.io/v1");
    EXPECT_EQ(object["kind"].as<std::string>(), "ImageDigestMirrorSet");
    EXPECT_EQ(object["metadata"]["annotations"]["createdBy"].as<std::string>(), "ferry");
    EXPECT_FALSE(object["metadata"]["annotations"]["createdAt"]);
  }

  // Two operator images share the rhel9 namespace: one entry; sources in order.
  auto operatorEntries = entriesOf(idms[1], "imageDigestMirrors");
  ASSERT_EQ(operatorEntries.size(), 2u);
  EXPECT_EQ(operatorEntries["registry.redhat.io/rhel9"], std::vector<std::string>{"mirror.example.com:5000/ocp/rhel9"});
  EXPECT_EQ(operatorEntries["quay.io/beta"], std::vector<std::string>{"mirror.example.com:5000/ocp/beta"});
  EXPECT_EQ(idms[1]["spec"]["imageDigestMirrors"][0]["source"].as<std::string>(), "quay.io/beta");

  // The release image is named by tag but still listed by digest (the installer needs it) ...
  EXPECT_EQ(entriesOf(idms[0], "imageDigestMirrors")["quay.io/openshift-release-dev"],
            std::vector<std::string>{"mirror.example.com:5000/ocp/openshift-release-dev"});
  // ... and by tag; the catalog is in neither.
  auto itms = documents(findFile(resources, "itms-oc-mirror.yaml"));
  ASSERT_EQ(itms.size(), 1u);
  EXPECT_EQ(itms[0]["kind"].as<std::string>(), "ImageTagMirrorSet");
  EXPECT_EQ(itms[0]["metadata"]["name"].as<std::string>(), "itms-release-0");
  EXPECT_EQ(entriesOf(itms[0], "imageTagMirrors").size(), 1u);
  EXPECT_EQ(resources.files.size(), 2u);  // no ICSP unless asked, no catalogs given
}

TEST(ClusterResources, TagMirrorSetsAndRepositoryScope) {
  NamingOptions retargeted;
  retargeted.targetRepo = "tools/app";
  std::vector<MirroredImage> images = {
      mirrored("quay.io/gen/app:v1", ImageCategory::Generic, retargeted),
      mirrored("quay.io/gen/other:v1@sha256:" + kHex, ImageCategory::Generic),  // tag and digest: both sets
      mirrored("docker.io/library/nginx:1.25", ImageCategory::Generic),
  };
  auto resources = generateClusterResources(images, {});
  // Only the tag@digest image is in the IDMS: a digest pull of it finds its mirror.
  auto idms = documents(findFile(resources, "idms-oc-mirror.yaml"));
  ASSERT_EQ(idms.size(), 1u);
  EXPECT_EQ(entriesOf(idms[0], "imageDigestMirrors"),
            (std::map<std::string, std::vector<std::string>>{{"quay.io/gen", {"mirror.example.com:5000/ocp/gen"}}}));
  auto itms = documents(findFile(resources, "itms-oc-mirror.yaml"));
  ASSERT_EQ(itms.size(), 1u);
  EXPECT_EQ(itms[0]["metadata"]["name"].as<std::string>(), "itms-generic-0");
  auto entries = entriesOf(itms[0], "imageTagMirrors");
  EXPECT_EQ(entries["quay.io/gen/app"], std::vector<std::string>{"mirror.example.com:5000/ocp/tools/app"});
  EXPECT_EQ(entries["quay.io/gen"], std::vector<std::string>{"mirror.example.com:5000/ocp/gen"});
  EXPECT_EQ(entries["docker.io/library"], std::vector<std::string>{"mirror.example.com:5000/ocp/library"});

  ClusterResourceOptions forced;
  forced.forceRepositoryScope = true;
  forced.createdAt = "Monday, 01-Sep-25 10:00:00 UTC";
  itms = documents(findFile(generateClusterResources(images, {}, forced), "itms-oc-mirror.yaml"));
  entries = entriesOf(itms[0], "imageTagMirrors");
  EXPECT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries["quay.io/gen/other"], std::vector<std::string>{"mirror.example.com:5000/ocp/gen/other"});
  EXPECT_EQ(entries["docker.io/library/nginx"], std::vector<std::string>{"mirror.example.com:5000/ocp/library/nginx"});
  EXPECT_EQ(itms[0]["metadata"]["annotations"]["createdAt"].as<std::string>(), "Monday, 01-Sep-25 10:00:00 UTC");
}

TEST(ClusterResources, OneSourceWithSeveralMirrors) {
  auto source = ImageReference::parse("quay.io/gen/app@sha256:" + kHex);
  auto first = ImageReference::parse("docker://mirror-b:5000/x/gen/app:t");
  auto second = ImageReference::parse("docker://mirror-a:5000/y/gen/app:t");
  auto resources = generateClusterResources({{source, first, ImageCategory::Generic, true},
                                             {source, second, ImageCategory::Generic, true},
                                             {source, first, ImageCategory::Generic, true}},
                                            {});
  auto idms = documents(findFile(resources, "idms-oc-mirror.yaml"));
  EXPECT_EQ(entriesOf(idms[0], "imageDigestMirrors")["quay.io/gen"],
            (std::vector<std::string>{"mirror-a:5000/y/gen", "mirror-b:5000/x/gen"}));
}

TEST(ClusterResources, LargeSetsAreSplitUnderTheSizeLimit) {
  std::vector<MirroredImage> images;
  for (int i = 0; i < 200; ++i)
    images.push_back(mirrored(fmt::format("quay.io/team-{:03}/app@sha256:{}", i, kHex), ImageCategory::Operator));
  ClusterResourceOptions options;
  options.maxDocumentBytes = 2000;
  options.imageContentSourcePolicy = true;
  auto resources = generateClusterResources(images, {}, options);
  for (const std::string name : {"idms-oc-mirror.yaml", "imageContentSourcePolicy.yaml"}) {
    SCOPED_TRACE(name);
    const auto* file = findFile(resources, name);
    ASSERT_NE(file, nullptr);
    auto objects = documents(file);
    ASSERT_GT(objects.size(), 5u);
    std::set<std::string> sources;
    std::string prefix = name == "idms-oc-mirror.yaml" ? "idms-operator-" : "operator-";
    std::string key = name == "idms-oc-mirror.yaml" ? "imageDigestMirrors" : "repositoryDigestMirrors";
    for (size_t i = 0; i < objects.size(); ++i) {
      EXPECT_EQ(objects[i]["metadata"]["name"].as<std::string>(), prefix + std::to_string(i));
      for (const auto& [source, mirrors] : entriesOf(objects[i], key)) EXPECT_TRUE(sources.insert(source).second);
    }
    EXPECT_EQ(sources.size(), 200u);
    // Each document, as written, stays within the limit.
    size_t start = 0;
    while (start < file->content.size()) {
      size_t next = file->content.find("---\n", start + 4);
      if (next == std::string::npos) next = file->content.size();
      EXPECT_LE(next - start, options.maxDocumentBytes);
      start = next;
    }
  }
}

TEST(ClusterResources, LegacyImageContentSourcePolicyOnRequest) {
  std::vector<MirroredImage> images = {mirrored("quay.io/op/x@sha256:" + kHex, ImageCategory::Operator),
                                       mirrored("quay.io/gen/y:v1", ImageCategory::Generic)};
  EXPECT_EQ(findFile(generateClusterResources(images, {}), "imageContentSourcePolicy.yaml"), nullptr);
  ClusterResourceOptions options;
  options.imageContentSourcePolicy = true;
  auto icsp = documents(findFile(generateClusterResources(images, {}, options), "imageContentSourcePolicy.yaml"));
  ASSERT_EQ(icsp.size(), 1u);  // by-tag images cannot be expressed in an ICSP
  EXPECT_EQ(icsp[0]["apiVersion"].as<std::string>(), "operator.openshift.io/v1alpha1");
  EXPECT_EQ(icsp[0]["kind"].as<std::string>(), "ImageContentSourcePolicy");
  EXPECT_EQ(icsp[0]["metadata"]["name"].as<std::string>(), "operator-0");
  EXPECT_EQ(icsp[0]["metadata"]["labels"]["operators.openshift.org/catalog"].as<std::string>(), "true");
  EXPECT_EQ(icsp[0]["metadata"]["labels"]["operators.openshift.org/catalog"].Tag(), "!");  // a string, quoted
  EXPECT_EQ(entriesOf(icsp[0], "repositoryDigestMirrors")["quay.io/op"],
            std::vector<std::string>{"mirror.example.com:5000/ocp/op"});
}

TEST(ClusterResources, LayoutSourcesAreLeftOutWithAWarning) {
  auto source = ImageReference::parse("oci:/tmp/images/app:v1");
  auto resources =
      generateClusterResources({{source, destinationFor(source, kRoot), ImageCategory::Generic, false}}, {});
  EXPECT_TRUE(resources.files.empty());
  ASSERT_EQ(resources.warnings.size(), 1u);
  EXPECT_NE(resources.warnings[0].find("OCI layouts"), std::string::npos);

  auto toLayout = ImageReference::parse("oci:/tmp/out:app");
  expectError(
      [&] {
        generateClusterResources({{ImageReference::parse("quay.io/a/b:v1"), toLayout}}, {});
      },
      "is not in a registry");
}

TEST(CatalogResourceName, FollowsOcMirrorsRule) {
  EXPECT_EQ(catalogResourceName("cs", ImageReference::parse("m:5000/ocp/redhat/redhat-operator-index:v4.18")),
            "cs-redhat-operator-index-v4-18");
  EXPECT_EQ(catalogResourceName("cc", ImageReference::parse("m:5000/ocp/redhat/redhat-operator-index:v4.18")),
            "cc-redhat-operator-index-v4-18");
  // The first 12 characters of the tag; '_' and capitals mapped.
  EXPECT_EQ(catalogResourceName("cs", ImageReference::parse("m:5000/certified-operator-index:V4.18_Filtered_X")),
            "cs-certified-operator-index-v4-18-filter");
  EXPECT_EQ(catalogResourceName("cs", ImageReference::parse("m:5000/idx:sha256-" + kCatalogHex)),
            "cs-idx-sha256-2c26b");
  EXPECT_EQ(catalogResourceName("cs", ImageReference::parse("m:5000/my_index.v2:latest")), "cs-my-index-v2-latest");
  // Without a tag the digest's hex names it.
  EXPECT_EQ(catalogResourceName("cs", ImageReference::parse("m:5000/idx@sha256:" + kCatalogHex)),
            "cs-idx-2c26b46b68ff");
  // Long names are cut to 63 characters without a trailing '-'.
  std::string longName = catalogResourceName(
      "cs", ImageReference::parse("m:5000/a-very-long-catalog-repository-name-that-goes-on-and-on-forever:v4.18"));
  EXPECT_LE(longName.size(), 63u);
  EXPECT_TRUE(longName.ends_with("-v4-18")) << longName;
  EXPECT_TRUE(longName.starts_with("cs-a-very-long")) << longName;
  EXPECT_EQ(longName.find("--"), std::string::npos) << longName;
}

TEST(ClusterResources, CatalogSourceAndClusterCatalogWithoutTemplate) {
  auto catalog = catalogAt("docker://mirror.example.com:5000/ocp/redhat/redhat-operator-index:v4.18", "4.18");
  auto resources = generateClusterResources({}, {catalog});
  ASSERT_EQ(resources.files.size(), 2u);
  auto cs = documents(findFile(resources, "cs-redhat-operator-index-v4-18.yaml"));
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0]["apiVersion"].as<std::string>(), "operators.coreos.com/v1alpha1");
  EXPECT_EQ(cs[0]["kind"].as<std::string>(), "CatalogSource");
  EXPECT_EQ(cs[0]["metadata"]["name"].as<std::string>(), "cs-redhat-operator-index-v4-18");
  EXPECT_EQ(cs[0]["metadata"]["namespace"].as<std::string>(), "openshift-marketplace");
  EXPECT_EQ(cs[0]["spec"]["sourceType"].as<std::string>(), "grpc");
  EXPECT_EQ(cs[0]["spec"]["image"].as<std::string>(),
            "mirror.example.com:5000/ocp/redhat/redhat-operator-index@sha256:" + kCatalogHex);
  // "4.18" must stay a string.
  EXPECT_EQ(cs[0]["spec"]["displayName"].as<std::string>(), "4.18");
  EXPECT_EQ(cs[0]["spec"]["displayName"].Tag(), "!");
  EXPECT_FALSE(cs[0]["spec"]["grpcPodConfig"]);

  auto cc = documents(findFile(resources, "cc-redhat-operator-index-v4-18.yaml"));
  ASSERT_EQ(cc.size(), 1u);
  EXPECT_EQ(cc[0]["apiVersion"].as<std::string>(), "olm.operatorframework.io/v1");
  EXPECT_EQ(cc[0]["kind"].as<std::string>(), "ClusterCatalog");
  EXPECT_EQ(cc[0]["metadata"]["name"].as<std::string>(), "cc-redhat-operator-index-v4-18");
  EXPECT_FALSE(cc[0]["metadata"]["namespace"]);
  EXPECT_EQ(cc[0]["spec"]["source"]["type"].as<std::string>(), "Image");
  EXPECT_EQ(cc[0]["spec"]["source"]["image"]["ref"].as<std::string>(),
            "mirror.example.com:5000/ocp/redhat/redhat-operator-index@sha256:" + kCatalogHex);

  ClusterResourceOptions byTag;
  byTag.catalogSourceByTag = true;
  auto tagged = generateClusterResources({}, {catalog}, byTag);
  EXPECT_EQ(documents(findFile(tagged, "cs-redhat-operator-index-v4-18.yaml"))[0]["spec"]["image"].as<std::string>(),
            "mirror.example.com:5000/ocp/redhat/redhat-operator-index:v4.18");
  // ClusterCatalogs stay pinned.
  EXPECT_EQ(documents(findFile(tagged, "cc-redhat-operator-index-v4-18.yaml"))[0]["spec"]["source"]["image"]["ref"]
                .as<std::string>(),
            "mirror.example.com:5000/ocp/redhat/redhat-operator-index@sha256:" + kCatalogHex);
}

TEST(ClusterResources, CatalogNamesAreUniqueAndDuplicatesCollapse) {
  auto first = catalogAt("docker://m:5000/a/redhat-operator-index:v4.18");
  auto sameTwice = first;
  auto second = catalogAt("docker://m:5000/b/redhat-operator-index:v4.18");
  second.destination.digest = Digest::parse("sha256:" + kHex);
  auto resources = generateClusterResources({}, {first, sameTwice, second});
  ASSERT_EQ(resources.files.size(), 4u);
  EXPECT_NE(findFile(resources, "cs-redhat-operator-index-v4-18.yaml"), nullptr);
  const auto* renamed = findFile(resources, "cs-redhat-operator-index-v4-18-2.yaml");
  ASSERT_NE(renamed, nullptr);
  EXPECT_EQ(documents(renamed)[0]["metadata"]["name"].as<std::string>(), "cs-redhat-operator-index-v4-18-2");
  EXPECT_EQ(documents(renamed)[0]["spec"]["image"].as<std::string>(), "m:5000/b/redhat-operator-index@sha256:" + kHex);
  EXPECT_NE(findFile(resources, "cc-redhat-operator-index-v4-18-2.yaml"), nullptr);

  auto noDigest = first;
  noDigest.destination.digest.reset();
  expectError([&] { generateClusterResources({}, {noDigest}); }, "needs both the tag and the digest");
}

class CatalogSourceTemplate : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& name, const std::string& text) {
    auto path = directory_.path() / name;
    std::ofstream(path) << text;
    return path;
  }
  MirroredCatalog catalogWith(const std::filesystem::path& file) {
    auto catalog = catalogAt("docker://mirror.example.com:5000/ocp/redhat/redhat-operator-index:v4.18", "Red Hat");
    catalog.catalogSourceTemplate = file;
    return catalog;
  }
  TemporaryDirectory directory_;
};

TEST_F(CatalogSourceTemplate, KeepsTheTemplatesFieldsAndSetsTheImage) {
  auto file = write("cs.yaml",
                    "apiVersion: operators.coreos.com/v1alpha1\n"
                    "kind: CatalogSource\n"
                    "metadata:\n"
                    "  labels:\n"
                    "    mirrored: \"true\"\n"
                    "  annotations:\n"
                    "    team: platform\n"
                    "  resourceVersion: \"12345\"\n"
                    "  uid: 0b6e0f5e-0000-0000-0000-000000000000\n"
                    "spec:\n"
                    "  sourceType: grpc\n"
                    "  image: registry.redhat.io/redhat/redhat-operator-index:v4.18\n"
                    "  displayName: Mirrored operators\n"
                    "  publisher: '007'\n"
                    "  priority: -400\n"
                    "  updateStrategy:\n"
                    "    registryPoll:\n"
                    "      interval: 30m\n"
                    "  grpcPodConfig:\n"
                    "    securityContextConfig: restricted\n"
                    "    nodeSelector: {}\n"
                    "    tolerations: []\n"
                    "    extractContent:\n"
                    "      catalogDir: /configs\n"
                    "      cacheDir: /tmp/cache\n"
                    "status:\n"
                    "  connectionState:\n"
                    "    lastObservedState: READY\n");
  auto resources = generateClusterResources({}, {catalogWith(file)});
  auto cs = documents(findFile(resources, "cs-redhat-operator-index-v4-18.yaml"));
  ASSERT_EQ(cs.size(), 1u);
  const auto& object = cs[0];
  EXPECT_EQ(object["metadata"]["name"].as<std::string>(), "cs-redhat-operator-index-v4-18");
  EXPECT_EQ(object["metadata"]["namespace"].as<std::string>(), "openshift-marketplace");
  EXPECT_EQ(object["metadata"]["labels"]["mirrored"].as<std::string>(), "true");
  EXPECT_EQ(object["metadata"]["labels"]["mirrored"].Tag(), "!");  // still a string
  EXPECT_EQ(object["metadata"]["annotations"]["team"].as<std::string>(), "platform");
  EXPECT_EQ(object["metadata"]["annotations"]["createdBy"].as<std::string>(), "ferry");
  EXPECT_FALSE(object["metadata"]["resourceVersion"]);
  EXPECT_FALSE(object["metadata"]["uid"]);
  EXPECT_FALSE(object["status"]);
  EXPECT_EQ(object["spec"]["image"].as<std::string>(),
            "mirror.example.com:5000/ocp/redhat/redhat-operator-index@sha256:" + kCatalogHex);
  EXPECT_EQ(object["spec"]["sourceType"].as<std::string>(), "grpc");
  EXPECT_EQ(object["spec"]["displayName"].as<std::string>(), "Mirrored operators");  // the template's wins
  EXPECT_EQ(object["spec"]["publisher"].as<std::string>(), "007");
  EXPECT_EQ(object["spec"]["publisher"].Tag(), "!");
  EXPECT_EQ(object["spec"]["priority"].as<int>(), -400);
  EXPECT_EQ(object["spec"]["priority"].Tag(), "?");  // still a number
  EXPECT_EQ(object["spec"]["updateStrategy"]["registryPoll"]["interval"].as<std::string>(), "30m");
  EXPECT_EQ(object["spec"]["grpcPodConfig"]["securityContextConfig"].as<std::string>(), "restricted");
  EXPECT_TRUE(object["spec"]["grpcPodConfig"]["nodeSelector"].IsMap());
  EXPECT_EQ(object["spec"]["grpcPodConfig"]["nodeSelector"].size(), 0u);
  EXPECT_TRUE(object["spec"]["grpcPodConfig"]["tolerations"].IsSequence());
  EXPECT_NE(findFile(resources, "cs-redhat-operator-index-v4-18.yaml")->content.find("nodeSelector: {}"),
            std::string::npos);
  EXPECT_EQ(object["spec"]["grpcPodConfig"]["extractContent"]["catalogDir"].as<std::string>(), "/configs");
  EXPECT_FALSE(object["spec"]["grpcPodConfig"]["extractContent"]["cacheDir"]);
  ASSERT_EQ(resources.warnings.size(), 1u);
  EXPECT_NE(resources.warnings[0].find("cacheDir"), std::string::npos);
}

TEST_F(CatalogSourceTemplate, KeepsATemplatesNameAndNamespace) {
  auto file = write("cs.yaml",
                    "apiVersion: operators.coreos.com/v1alpha1\n"
                    "kind: CatalogSource\n"
                    "metadata:\n"
                    "  name: my-operators\n"
                    "  namespace: olm\n");
  auto resources = generateClusterResources({}, {catalogWith(file)});
  // The file keeps ferry's name; the object keeps the template's.
  auto cs = documents(findFile(resources, "cs-redhat-operator-index-v4-18.yaml"));
  EXPECT_EQ(cs[0]["metadata"]["name"].as<std::string>(), "my-operators");
  EXPECT_EQ(cs[0]["metadata"]["namespace"].as<std::string>(), "olm");
  EXPECT_EQ(cs[0]["spec"]["displayName"].as<std::string>(), "Red Hat");  // filled in: the template has none
  EXPECT_EQ(cs[0]["spec"]["sourceType"].as<std::string>(), "grpc");

  // Two catalogs with that template would make one object twice.
  auto other = catalogWith(file);
  other.destination = ImageReference::parse("docker://m:5000/other/index:v1");
  other.destination.digest = Digest::parse("sha256:" + kHex);
  expectError(
      [&] {
        generateClusterResources({}, {catalogWith(file), other});
      },
      "two CatalogSources would both be named olm/my-operators");
}

TEST_F(CatalogSourceTemplate, RefusesTemplatesThatCannotServeTheMirroredCatalog) {
  const std::string head = "apiVersion: operators.coreos.com/v1alpha1\nkind: CatalogSource\n";
  std::vector<std::pair<std::string, std::string>> cases = {
      {"apiVersion: v1\nkind: CatalogSource\n", "apiVersion must be operators.coreos.com/v1alpha1"},
      {"apiVersion: operators.coreos.com/v1alpha1\nkind: Subscription\n", "kind must be CatalogSource"},
      {head + "spec:\n  sourceType: configmap\n", "spec.sourceType must be grpc"},
      {head + "spec:\n  configMap: my-catalog\n", "remove spec.configMap"},
      {head + "spec:\n  address: 10.0.0.1:50051\n", "remove spec.address"},
      {head + "metadata:\n  name: Bad_Name\n", "metadata.name 'Bad_Name'"},
      {head + "metadata: [x]\n", "metadata must be a map"},
      {"- a\n- b\n", "expected one CatalogSource object"},
      {head + "---\n" + head, "several documents"},
      {"apiVersion: [unclosed\n", "not valid YAML at line"},
  };
  for (const auto& [text, needle] : cases) {
    SCOPED_TRACE(text);
    auto file = write("bad.yaml", text);
    expectError([&] { generateClusterResources({}, {catalogWith(file)}); }, needle);
    expectError([&] { generateClusterResources({}, {catalogWith(file)}); }, file.string());
  }
  expectError([&] { generateClusterResources({}, {catalogWith(directory_.path() / "missing.yaml")}); }, "missing.yaml");
}

TEST(KubeYaml, QuotesStringsThatWouldReadAsSomethingElse) {
  for (const char* text : {"true", "False", "yes", "on", "null", "~", "", "4.18", "-400", "0x1F", "1e3", ".5", "<<"})
    EXPECT_TRUE(needsQuotes(text)) << text;
  for (const char* text : {"grpc", "cs-index-v4-18", "openshift-marketplace", "quay.io/a", "ferry"})
    EXPECT_FALSE(needsQuotes(text)) << text;
  YAML::Node object;
  for (const char* text : {"true", "4.18", "null", "plain", "with: colon", "#hash"}) object[text] = stringNode(text);
  auto parsed = YAML::Load(documentText(object));
  for (const auto& entry : parsed) {
    EXPECT_EQ(entry.first.as<std::string>(), entry.second.as<std::string>());
    // Either quoted, or plain text that is no bool, null or number.
    if (entry.second.Tag() == "?") {
      EXPECT_FALSE(needsQuotes(entry.second.Scalar())) << entry.second.Scalar();
    }
  }
}

TEST(KubeYaml, ScalarTextReadsBackAsTheSameString) {
  EXPECT_EQ(scalarText("quay.io/org"), "quay.io/org");
  EXPECT_EQ(scalarText("mirror.example.com:5000/ocp"), "mirror.example.com:5000/ocp");
  EXPECT_EQ(scalarText("[fd00::1]:5000/ns"), "\"[fd00::1]:5000/ns\"");
  EXPECT_EQ(scalarText("10.0.0.1:5000/ns"), "\"10.0.0.1:5000/ns\"");
  EXPECT_EQ(scalarText("say \"hi\"\\\n"), "\"say \\\"hi\\\"\\\\\\n\"");
  for (std::string text : {"quay.io/org", "[fd00::1]:5000/ns", "10.0.0.1:5000/ns", "a: b", "ends:", "#x", "true", "",
                           "say \"hi\"\\\n", "tab\there", "bell\x07", "caf\xc3\xa9"}) {
    auto parsed = YAML::Load("key: " + scalarText(text));
    EXPECT_EQ(parsed["key"].as<std::string>(), text) << scalarText(text);
    EXPECT_TRUE(parsed["key"].Tag() == "!" || !needsQuotes(text)) << text;
  }
}

TEST(ClusterResources, Ipv6MirrorsAreQuotedAndWarnedAbout) {
  auto source = ImageReference::parse("quay.io/org/app@sha256:" + kHex);
  auto destination = destinationFor(source, DestinationRoot::parse("docker://[fd00::2]:5000/ns"));
  auto resources = generateClusterResources({{source, destination, ImageCategory::Generic, true}}, {});
  auto idms = documents(findFile(resources, "idms-oc-mirror.yaml"));
  EXPECT_EQ(entriesOf(idms[0], "imageDigestMirrors")["quay.io/org"], std::vector<std::string>{"[fd00::2]:5000/ns/org"});
  ASSERT_EQ(resources.warnings.size(), 1u);
  EXPECT_NE(resources.warnings[0].find("IPv6"), std::string::npos);
}

TEST(ClusterResources, WritingReplacesAnEarlierRunsFilesOnly) {
  TemporaryDirectory directory;
  auto dir = directory.path() / "cluster-resources";
  std::filesystem::create_directories(dir);
  for (const char* stale : {"cs-old-v1.yaml", "cc-old-v1.yaml", "idms-oc-mirror.yaml", "imageContentSourcePolicy.yaml"})
    std::ofstream(dir / stale) << "stale";
  std::ofstream(dir / "updateService.yaml") << "kept";
  std::ofstream(dir / "notes.txt") << "kept";

  auto resources = generateClusterResources({mirrored("quay.io/gen/app:v1", ImageCategory::Generic)},
                                            {catalogAt("docker://m:5000/idx:v1")});
  writeClusterResources(dir, resources);
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.insert(entry.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"itms-oc-mirror.yaml", "cs-idx-v1.yaml", "cc-idx-v1.yaml",
                                          "updateService.yaml", "notes.txt"}));
  EXPECT_EQ(readFile(dir / "cs-idx-v1.yaml"), findFile(resources, "cs-idx-v1.yaml")->content);
  EXPECT_EQ(readFile(dir / "updateService.yaml"), "kept");
}

}  // namespace
}  // namespace ferry::mirror
