#include "ferry/config/image_set_config.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/base/memory_limit_test_support.h"

namespace ferry::config {
namespace {

const std::string kDigest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// oc-mirror.md §1.1's annotated v1alpha2 example, with a real digest.
const std::string kFullV1 = R"(apiVersion: mirror.openshift.io/v1alpha2
kind: ImageSetConfiguration
archiveSize: 4
storageConfig:
  local:
    path: /var/oc-mirror/metadata
mirror:
  platform:
    graph: true
    architectures: [amd64, arm64]
    channels:
      - name: stable-4.14
        type: ocp
        minVersion: 4.14.10
        maxVersion: 4.14.20
        shortestPath: true
      - name: okd-4-stable
        type: okd
        full: false
  operators:
    - catalog: registry.redhat.io/redhat/redhat-operator-index:v4.14
      full: false
      skipDependencies: false
      targetCatalog: my-org/redhat-operator-index
      targetTag: v4.14-filtered
      packages:
        - name: elasticsearch-operator
          defaultChannel: stable-5.8
          channels:
            - name: stable-5.8
              minVersion: 5.8.1
              maxVersion: 5.8.5
        - name: rhacs-operator
          minVersion: 4.2.0
        - name: cluster-logging
          minBundle: cluster-logging.v5.7.0
    - catalog: oci:///home/me/catalogs/my-fbc
      targetCatalog: my-org/my-fbc
  additionalImages:
    - name: registry.redhat.io/ubi9/ubi:latest
    - name: quay.io/foo/bar@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
  blockedImages:
    - name: ^docker.io/library/alpine
  helm:
    repositories:
      - name: podinfo
        url: https://stefanprodan.github.io/podinfo
        charts:
          - name: podinfo
            version: 5.0.0
            imagePaths: ["{.spec.template.spec.custom[*].image}"]
    local:
      - name: mychart
        path: /charts/mychart-1.0.0.tgz
)";

// oc-mirror.md §1.2's annotated v2alpha1 example, with the optional fields filled in.
const std::string kFullV2 = R"(apiVersion: mirror.openshift.io/v2alpha1
kind: ImageSetConfiguration
archiveSize: 8
mirror:
  platform:
    graph: true
    architectures: [amd64]
    channels:
      - name: stable-4.18
        minVersion: 4.18.1
        maxVersion: 4.18.5
        shortestPath: false
    release: quay.io/openshift-release-dev/ocp-release:4.18.1-x86_64
    kubeVirtContainer: false
  operators:
    - catalog: registry.redhat.io/redhat/redhat-operator-index:v4.18
      targetCatalog: mirrored/redhat-operator-index
      targetTag: v4.18-filtered
      targetCatalogSourceTemplate: /path/cs-template.yaml
      platforms:
        - os: linux
          architecture: amd64
        - os: linux
          architecture: arm64
      packages:
        - name: aws-load-balancer-operator
        - name: elasticsearch-operator
          defaultChannel: stable-5.8
          channels:
            - name: stable-5.8
              minVersion: 5.8.1
        - name: 3scale-operator
          minVersion: 0.10.0
    - catalog: quay.io/myorg/full-catalog:latest
      full: true
  additionalImages:
    - name: registry.redhat.io/ubi9/ubi:latest
      targetRepo: mirrored/ubi
      targetTag: "9"
      platforms:
        - os: linux
          architecture: s390x
  blockedImages:
    - name: ".*/unwanted/.*"
  helm:
    repositories:
      - name: podinfo
        url: https://stefanprodan.github.io/podinfo
        charts: [ { name: podinfo, version: 5.0.0 } ]
)";

LoadOptions acceptingUnsupported() {
  LoadOptions options;
  options.acceptUnsupportedSections = true;
  return options;
}

// The message of the Error the load throws, or "" when it loads.
std::string loadError(const std::string& text, const LoadOptions& options = {}) {
  try {
    loadImageSetConfigText(text, "isc.yaml", options);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A v2alpha1 file (lines 1-2) with `body` from line 3 on.
std::string v2(const std::string& body) {
  return "apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\n" + body;
}
std::string v1(const std::string& body) {
  return "apiVersion: mirror.openshift.io/v1alpha2\nkind: ImageSetConfiguration\n" + body;
}

// One catalog (line 5) whose entry continues with `rest` from line 6 on, at column 7.
std::string oneCatalog(const std::string& rest) {
  return "mirror:\n  operators:\n    - catalog: registry.example.com/cat:v1\n" + rest;
}

TEST(ImageSetConfig, FullV1ExampleLoads) {
  EXPECT_EQ(loadError(kFullV1), "");
}

TEST(ImageSetConfig, FullV1ExampleReadsEveryField) {
  auto config = loadImageSetConfigText(kFullV1, "isc.yaml", acceptingUnsupported());
  EXPECT_EQ(config.apiVersion, ApiVersion::V1Alpha2);
  EXPECT_EQ(config.file, "isc.yaml");
  EXPECT_EQ(config.archiveSizeGiB, 4);
  EXPECT_EQ(config.archiveSizeBytes(), 4ull << 30);

  ASSERT_TRUE(config.storageConfig);
  ASSERT_TRUE(config.storageConfig->local);
  EXPECT_EQ(config.storageConfig->local->path, "/var/oc-mirror/metadata");
  EXPECT_FALSE(config.storageConfig->registry);
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_EQ(config.warnings[0],
            "isc.yaml:4:1: storageConfig: ignored: ferry keeps its history in the workspace, not in an oc-mirror "
            "metadata store; remove it");

  ASSERT_TRUE(config.mirror.platform);
  const PlatformConfig& platform = *config.mirror.platform;
  EXPECT_TRUE(platform.graph);
  EXPECT_EQ(platform.architectures, (std::vector<std::string>{"amd64", "arm64"}));
  EXPECT_TRUE(platform.platforms.empty());
  EXPECT_TRUE(platform.release.empty());
  EXPECT_FALSE(platform.kubeVirtContainer);
  EXPECT_EQ(platform.where.str(), "isc.yaml:8:3");
  ASSERT_EQ(platform.channels.size(), 2u);
  EXPECT_EQ(platform.channels[0].name, "stable-4.14");
  EXPECT_EQ(platform.channels[0].type, ReleaseType::Ocp);
  EXPECT_EQ(platform.channels[0].minVersion, "4.14.10");
  EXPECT_EQ(platform.channels[0].maxVersion, "4.14.20");
  EXPECT_TRUE(platform.channels[0].shortestPath);
  EXPECT_FALSE(platform.channels[0].full);
  EXPECT_EQ(platform.channels[0].where.str(), "isc.yaml:12:9");
  EXPECT_EQ(platform.channels[1].name, "okd-4-stable");
  EXPECT_EQ(platform.channels[1].type, ReleaseType::Okd);
  EXPECT_TRUE(platform.channels[1].minVersion.empty());
  EXPECT_FALSE(platform.channels[1].shortestPath);

  ASSERT_EQ(config.mirror.operators.size(), 2u);
  const OperatorCatalog& redhat = config.mirror.operators[0];
  EXPECT_EQ(redhat.catalog, "registry.redhat.io/redhat/redhat-operator-index:v4.14");
  EXPECT_EQ(redhat.catalogRef.registry, "registry.redhat.io");
  EXPECT_EQ(redhat.catalogRef.repository, "redhat/redhat-operator-index");
  EXPECT_EQ(redhat.catalogRef.tag, "v4.14");
  EXPECT_EQ(redhat.targetCatalog, "my-org/redhat-operator-index");
  EXPECT_EQ(redhat.targetTag, "v4.14-filtered");
  EXPECT_TRUE(redhat.targetName.empty());
  EXPECT_TRUE(redhat.originalRef.empty());
  EXPECT_EQ(redhat.where.str(), "isc.yaml:21:16");
  EXPECT_EQ(catalogTargetName(redhat), "registry.redhat.io/my-org/redhat-operator-index:v4.14-filtered");

  const catalog::CatalogSelection& selection = redhat.selection;
  EXPECT_FALSE(selection.full);
  EXPECT_FALSE(selection.skipDependencies);
  EXPECT_FALSE(selection.keepsWholeCatalog());
  ASSERT_EQ(selection.packages.size(), 3u);
  ASSERT_EQ(redhat.packageLocations.size(), 3u);
  EXPECT_EQ(redhat.packageLocations[0].str(), "isc.yaml:27:11");
  EXPECT_EQ(redhat.packageLocations[2].str(), "isc.yaml:35:11");

  const auto& elasticsearch = selection.packages[0];
  EXPECT_EQ(elasticsearch.name, "elasticsearch-operator");
  EXPECT_EQ(elasticsearch.defaultChannel, "stable-5.8");
  EXPECT_TRUE(elasticsearch.minVersion.empty());
  EXPECT_TRUE(elasticsearch.maxVersion.empty());
  EXPECT_TRUE(elasticsearch.minBundle.empty());
  ASSERT_EQ(elasticsearch.channels.size(), 1u);
  EXPECT_EQ(elasticsearch.channels[0].name, "stable-5.8");
  EXPECT_EQ(elasticsearch.channels[0].minVersion, "5.8.1");
  EXPECT_EQ(elasticsearch.channels[0].maxVersion, "5.8.5");
  EXPECT_TRUE(elasticsearch.channels[0].minBundle.empty());

  const auto& rhacs = selection.packages[1];
  EXPECT_EQ(rhacs.name, "rhacs-operator");
  EXPECT_EQ(rhacs.minVersion, "4.2.0");
  EXPECT_TRUE(rhacs.maxVersion.empty());
  EXPECT_TRUE(rhacs.channels.empty());

  const auto& logging = selection.packages[2];
  EXPECT_EQ(logging.name, "cluster-logging");
  EXPECT_EQ(logging.minBundle, "cluster-logging.v5.7.0");
  EXPECT_TRUE(logging.minVersion.empty());

  const OperatorCatalog& local = config.mirror.operators[1];
  EXPECT_EQ(local.catalogRef.transport, Transport::Layout);
  EXPECT_EQ(local.catalogRef.layoutPath, "/home/me/catalogs/my-fbc");
  EXPECT_EQ(local.targetCatalog, "my-org/my-fbc");
  EXPECT_TRUE(local.selection.packages.empty());
  EXPECT_FALSE(local.selection.keepsWholeCatalog());
  EXPECT_EQ(catalogTargetName(local), "my-org/my-fbc");

  ASSERT_EQ(config.mirror.additionalImages.size(), 2u);
  EXPECT_EQ(config.mirror.additionalImages[0].name, "registry.redhat.io/ubi9/ubi:latest");
  EXPECT_EQ(config.mirror.additionalImages[0].ref.repository, "ubi9/ubi");
  EXPECT_EQ(config.mirror.additionalImages[0].where.str(), "isc.yaml:40:13");
  EXPECT_TRUE(config.mirror.additionalImages[0].targetRepo.empty());
  ASSERT_TRUE(config.mirror.additionalImages[1].ref.digest);
  EXPECT_EQ(config.mirror.additionalImages[1].ref.digest->str(), kDigest);

  ASSERT_EQ(config.mirror.blockedImages.size(), 1u);
  const BlockedImage& alpine = config.mirror.blockedImages[0];
  EXPECT_EQ(alpine.pattern, "^docker.io/library/alpine");
  EXPECT_EQ(alpine.where.str(), "isc.yaml:43:13");
  EXPECT_TRUE(alpine.blocks("docker.io/library/alpine:3.19"));
  EXPECT_FALSE(alpine.blocks("quay.io/docker.io/library/alpine"));

  ASSERT_TRUE(config.mirror.helm);
  const HelmConfig& helm = *config.mirror.helm;
  EXPECT_EQ(helm.where.str(), "isc.yaml:44:3");
  ASSERT_EQ(helm.repositories.size(), 1u);
  EXPECT_EQ(helm.repositories[0].name, "podinfo");
  EXPECT_EQ(helm.repositories[0].url, "https://stefanprodan.github.io/podinfo");
  ASSERT_EQ(helm.repositories[0].charts.size(), 1u);
  EXPECT_EQ(helm.repositories[0].charts[0].name, "podinfo");
  EXPECT_EQ(helm.repositories[0].charts[0].version, "5.0.0");
  EXPECT_EQ(helm.repositories[0].charts[0].imagePaths,
            (std::vector<std::string>{"{.spec.template.spec.custom[*].image}"}));
  ASSERT_EQ(helm.local.size(), 1u);
  EXPECT_EQ(helm.local[0].name, "mychart");
  EXPECT_EQ(helm.local[0].path, "/charts/mychart-1.0.0.tgz");
  EXPECT_TRUE(config.mirror.samples.empty());
}

TEST(ImageSetConfig, FullV2ExampleLoads) {
  EXPECT_EQ(loadError(kFullV2), "");
}

TEST(ImageSetConfig, FullV2ExampleReadsEveryField) {
  auto config = loadImageSetConfigText(kFullV2, "isc.yaml", acceptingUnsupported());
  EXPECT_EQ(config.apiVersion, ApiVersion::V2Alpha1);
  EXPECT_EQ(config.archiveSizeGiB, 8);
  EXPECT_FALSE(config.storageConfig);
  EXPECT_TRUE(config.warnings.empty());

  ASSERT_TRUE(config.mirror.platform);
  const PlatformConfig& platform = *config.mirror.platform;
  EXPECT_TRUE(platform.graph);
  EXPECT_EQ(platform.architectures, (std::vector<std::string>{"amd64"}));
  EXPECT_EQ(platform.release, "quay.io/openshift-release-dev/ocp-release:4.18.1-x86_64");
  EXPECT_FALSE(platform.kubeVirtContainer);
  ASSERT_EQ(platform.channels.size(), 1u);
  EXPECT_EQ(platform.channels[0].name, "stable-4.18");
  EXPECT_EQ(platform.channels[0].minVersion, "4.18.1");
  EXPECT_EQ(platform.channels[0].maxVersion, "4.18.5");
  EXPECT_FALSE(platform.channels[0].shortestPath);

  ASSERT_EQ(config.mirror.operators.size(), 2u);
  const OperatorCatalog& redhat = config.mirror.operators[0];
  EXPECT_EQ(redhat.targetCatalog, "mirrored/redhat-operator-index");
  EXPECT_EQ(redhat.targetTag, "v4.18-filtered");
  EXPECT_EQ(redhat.targetCatalogSourceTemplate, "/path/cs-template.yaml");
  ASSERT_EQ(redhat.platforms.size(), 2u);
  EXPECT_EQ(redhat.platforms[0].str(), "linux/amd64");
  EXPECT_EQ(redhat.platforms[1].str(), "linux/arm64");
  ASSERT_EQ(redhat.selection.packages.size(), 3u);
  EXPECT_EQ(redhat.selection.packages[0].name, "aws-load-balancer-operator");
  EXPECT_TRUE(redhat.selection.packages[0].channels.empty());
  EXPECT_TRUE(redhat.selection.packages[0].defaultChannel.empty());
  EXPECT_EQ(redhat.selection.packages[1].defaultChannel, "stable-5.8");
  ASSERT_EQ(redhat.selection.packages[1].channels.size(), 1u);
  EXPECT_EQ(redhat.selection.packages[1].channels[0].minVersion, "5.8.1");
  EXPECT_TRUE(redhat.selection.packages[1].channels[0].maxVersion.empty());
  EXPECT_EQ(redhat.selection.packages[2].name, "3scale-operator");
  EXPECT_EQ(redhat.selection.packages[2].minVersion, "0.10.0");

  const OperatorCatalog& full = config.mirror.operators[1];
  EXPECT_TRUE(full.selection.full);
  EXPECT_TRUE(full.selection.keepsWholeCatalog());
  EXPECT_EQ(catalogTargetName(full), "quay.io/myorg/full-catalog:latest");

  ASSERT_EQ(config.mirror.additionalImages.size(), 1u);
  const AdditionalImage& ubi = config.mirror.additionalImages[0];
  EXPECT_EQ(ubi.targetRepo, "mirrored/ubi");
  EXPECT_EQ(ubi.targetTag, "9");
  ASSERT_EQ(ubi.platforms.size(), 1u);
  EXPECT_EQ(ubi.platforms[0].os, "linux");
  EXPECT_EQ(ubi.platforms[0].architecture, "s390x");

  ASSERT_EQ(config.mirror.blockedImages.size(), 1u);
  EXPECT_TRUE(config.mirror.blockedImages[0].blocks("quay.io/org/unwanted/app:1"));
  EXPECT_FALSE(config.mirror.blockedImages[0].blocks("quay.io/org/wanted/app:1"));

  ASSERT_TRUE(config.mirror.helm);
  ASSERT_EQ(config.mirror.helm->repositories.size(), 1u);
  ASSERT_EQ(config.mirror.helm->repositories[0].charts.size(), 1u);
  EXPECT_EQ(config.mirror.helm->repositories[0].charts[0].version, "5.0.0");
}

TEST(ImageSetConfig, WithoutPlatformAndHelmTheExamplesLoad) {
  auto cut = [](const std::string& text, const std::string& from, const std::string& to) {
    auto begin = text.find(from);
    auto end = to.empty() ? std::string::npos : text.find(to);
    return text.substr(0, begin) + (end == std::string::npos ? "" : text.substr(end));
  };
  auto v1Config = loadImageSetConfigText(cut(cut(kFullV1, "  platform:", "  operators:"), "  helm:", ""), "a.yaml");
  EXPECT_FALSE(v1Config.mirror.platform);
  EXPECT_FALSE(v1Config.mirror.helm);
  EXPECT_EQ(v1Config.mirror.operators.size(), 2u);
  auto v2Config = loadImageSetConfigText(cut(cut(kFullV2, "  platform:", "  operators:"), "  helm:", ""), "b.yaml");
  EXPECT_FALSE(v2Config.mirror.platform);
  EXPECT_EQ(v2Config.mirror.operators.size(), 2u);
  EXPECT_EQ(v2Config.mirror.operators[0].where.file, "b.yaml");
}

// docs/image-set-config.md promises that its two examples load.
TEST(ImageSetConfig, DocumentationExamplesLoad) {
  auto doc = std::filesystem::path(FERRY_SOURCE_DIR) / "docs/image-set-config.md";
  if (!std::filesystem::exists(doc)) GTEST_SKIP() << "no " << doc;
  std::string text = readFile(doc);
  std::vector<ImageSetConfig> examples;
  for (size_t start = text.find("```yaml\n"); start != std::string::npos; start = text.find("```yaml\n", start)) {
    start += 8;
    size_t end = text.find("```", start);
    ASSERT_NE(end, std::string::npos);
    examples.push_back(loadImageSetConfigText(text.substr(start, end - start), "doc.yaml"));
  }
  ASSERT_EQ(examples.size(), 2u);
  EXPECT_EQ(examples[0].apiVersion, ApiVersion::V2Alpha1);
  EXPECT_EQ(examples[0].mirror.operators.size(), 3u);
  EXPECT_EQ(examples[1].apiVersion, ApiVersion::V1Alpha2);
  EXPECT_EQ(examples[1].warnings.size(), 2u);  // storageConfig, targetName
  EXPECT_EQ(catalogTargetName(examples[1].mirror.operators[1]), "oci:/home/me/catalogs/my-fbc-filtered");
}

TEST(ImageSetConfig, LoadsFromAFileAndNamesItInMessages) {
  TemporaryDirectory dir;
  auto file = dir.path() / "isc.yaml";
  writeFileAtomically(file, v2(oneCatalog("")));
  auto config = loadImageSetConfig(file);
  ASSERT_EQ(config.mirror.operators.size(), 1u);
  EXPECT_EQ(config.mirror.operators[0].where.str(), file.string() + ":5:16");

  writeFileAtomically(file, v2("archiveSize: 0\n"));
  try {
    loadImageSetConfig(file);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), file.string() +
                                         ":3:14: archiveSize: 0 is not a positive number of GiB; remove it for the "
                                         "default of 500, or give a size such as 8");
  }
  EXPECT_THROW(loadImageSetConfig(dir.path() / "missing.yaml"), Error);
}

TEST(ImageSetConfig, DefaultsWhenFieldsAreAbsent) {
  auto config = loadImageSetConfigText(v2("mirror:\n  additionalImages:\n    - name: nginx\n"), "isc.yaml");
  EXPECT_EQ(config.archiveSizeGiB, 500);
  EXPECT_TRUE(config.mirror.operators.empty());
  ASSERT_EQ(config.mirror.additionalImages.size(), 1u);
  EXPECT_EQ(config.mirror.additionalImages[0].ref.repository, "library/nginx");

  // A null value means "not set", as in oc-mirror.
  auto nulls = loadImageSetConfigText(v2(oneCatalog("      full:\n      packages:\n")), "isc.yaml");
  EXPECT_FALSE(nulls.mirror.operators[0].selection.full);
  EXPECT_TRUE(nulls.mirror.operators[0].selection.packages.empty());
}

// --- header ------------------------------------------------------------------------------------

TEST(ImageSetConfigHeader, ApiVersionAndKind) {
  EXPECT_EQ(loadError("apiVersion: mirror.openshift.io/v1alpha1\nkind: ImageSetConfiguration\n"),
            "isc.yaml:1:13: apiVersion: \"mirror.openshift.io/v1alpha1\" is not accepted; use "
            "mirror.openshift.io/v2alpha1 or mirror.openshift.io/v1alpha2");
  EXPECT_EQ(loadError("kind: ImageSetConfiguration\nmirror: {}\n"),
            "isc.yaml:1:1: required field \"apiVersion\" is missing; add apiVersion: mirror.openshift.io/v2alpha1 "
            "(ferry also reads mirror.openshift.io/v1alpha2)");
  EXPECT_EQ(loadError("apiVersion: mirror.openshift.io/v2alpha1\nkind: Imageset\n"),
            "isc.yaml:2:7: kind: \"Imageset\" is not accepted; use kind: ImageSetConfiguration");
  EXPECT_EQ(loadError("apiVersion: mirror.openshift.io/v2alpha1\nkind: DeleteImageSetConfiguration\ndelete: {}\n"),
            "isc.yaml:2:7: kind: a DeleteImageSetConfiguration says what to delete, not what to mirror; give it to "
            "ferry delete --generate -c FILE; give ferry mirror a kind: ImageSetConfiguration");
  EXPECT_EQ(loadError("apiVersion: mirror.openshift.io/v2alpha1\n"),
            "isc.yaml:1:1: required field \"kind\" is missing; add kind: ImageSetConfiguration");
}

TEST(ImageSetConfigHeader, DocumentShape) {
  EXPECT_EQ(loadError(""),
            "isc.yaml: the file is empty; an ImageSetConfiguration starts with apiVersion: "
            "mirror.openshift.io/v2alpha1, kind: ImageSetConfiguration and a mirror: section");
  EXPECT_EQ(loadError("- a\n- b\n"), "isc.yaml:1:1: expected a mapping with apiVersion, kind and mirror, found a list");
  EXPECT_EQ(loadError(v2("mirror: {}\n---\n" + v2("mirror: {}\n"))),
            "isc.yaml:5:1: the file holds 2 YAML documents; keep one ImageSetConfiguration per file");
  std::string syntax = loadError(v2("mirror:\n  operators: [a,\n"));
  EXPECT_TRUE(syntax.starts_with("isc.yaml:5:1: invalid YAML: ")) << syntax;
  EXPECT_TRUE(syntax.ends_with("; fix the syntax at that position")) << syntax;
  EXPECT_EQ(loadError(v2("mirror:\n\toperators: []\n")),
            "isc.yaml:4:11: invalid YAML: illegal map value; indent with spaces: YAML does not allow tabs for "
            "indentation");
}

// --- field names -------------------------------------------------------------------------------

TEST(ImageSetConfigFields, UnknownFieldSuggestsTheNearestName) {
  EXPECT_EQ(loadError(v2(oneCatalog("      packges:\n        - name: foo\n"))),
            "isc.yaml:6:7: mirror.operators[0]: unknown field \"packges\"; did you mean \"packages\"?");
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - name: foo\n          minversion: 1.0.0\n"))),
            "isc.yaml:8:11: mirror.operators[0].packages[0]: unknown field \"minversion\"; did you mean "
            "\"minVersion\"?");
  // A misspelt required field is reported once, as a misspelling.
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - nme: foo\n"))),
            "isc.yaml:7:11: mirror.operators[0].packages[0]: unknown field \"nme\"; did you mean \"name\"?");
  EXPECT_EQ(loadError(v2("mirorr:\n  operators: []\n")),
            "isc.yaml:3:1: unknown field \"mirorr\"; did you mean \"mirror\"?");
  EXPECT_EQ(loadError(v2("mirror:\n  images: []\n")),
            "isc.yaml:4:3: mirror: unknown field \"images\"; the fields here are: platform, operators, "
            "additionalImages, blockedImages, helm, samples");
}

TEST(ImageSetConfigFields, FieldsOfTheOtherVersion) {
  EXPECT_EQ(loadError(v2("storageConfig:\n  local:\n    path: /x\nmirror: {}\n")),
            "isc.yaml:3:1: field \"storageConfig\" exists only in mirror.openshift.io/v1alpha2; remove it: with "
            "v2alpha1 the history lives in the workspace");
  EXPECT_EQ(loadError(v2(oneCatalog("      targetName: other\n"))),
            "isc.yaml:6:7: mirror.operators[0]: field \"targetName\" exists only in mirror.openshift.io/v1alpha2; "
            "use targetCatalog");
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - name: foo\n          minBundle: foo.v1\n"))),
            "isc.yaml:8:11: mirror.operators[0].packages[0]: field \"minBundle\" exists only in "
            "mirror.openshift.io/v1alpha2; use minVersion (v2alpha1 has no minBundle)");
  EXPECT_EQ(loadError(v1(oneCatalog("      targetCatalogSourceTemplate: /t.yaml\n"))),
            "isc.yaml:6:7: mirror.operators[0]: field \"targetCatalogSourceTemplate\" exists only in "
            "mirror.openshift.io/v2alpha1; remove it, or set apiVersion: mirror.openshift.io/v2alpha1");
  EXPECT_EQ(loadError(v1("mirror:\n  additionalImages:\n    - name: nginx\n      targetTag: v1\n")),
            "isc.yaml:6:7: mirror.additionalImages[0]: field \"targetTag\" exists only in "
            "mirror.openshift.io/v2alpha1; remove it, or set apiVersion: mirror.openshift.io/v2alpha1");
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - name: foo\n          bundles:\n"
                                    "            - name: foo.v1.0.0\n"))),
            "isc.yaml:8:11: mirror.operators[0].packages[0]: field \"bundles\" is not accepted; selecting bundles "
            "by name was removed in oc-mirror 4.18; use minVersion and maxVersion");
}

TEST(ImageSetConfigFields, KeyGivenTwice) {
  EXPECT_EQ(loadError(v2(oneCatalog("      full: true\n      full: false\n"))),
            "isc.yaml:7:7: mirror.operators[0]: field \"full\" is given twice (first at line 6); keep one");
}

// --- types -------------------------------------------------------------------------------------

TEST(ImageSetConfigTypes, WrongTypesSayWhatWasExpected) {
  EXPECT_EQ(loadError(v2(oneCatalog("      packages: elasticsearch-operator\n"))),
            "isc.yaml:6:17: mirror.operators[0].packages: expected a list, found the string "
            "\"elasticsearch-operator\"; write one item per line, each starting with \"- \"");
  EXPECT_EQ(loadError(v2(oneCatalog("      full: yes\n"))),
            "isc.yaml:6:13: mirror.operators[0].full: expected true or false, found \"yes\"; write true (YAML 1.1 "
            "spellings such as yes/no/on/off are not accepted)");
  EXPECT_EQ(loadError(v2(oneCatalog("      skipDependencies: \"true\"\n"))),
            "isc.yaml:6:25: mirror.operators[0].skipDependencies: expected true or false, found the string "
            "\"true\"; remove the quotes");
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - name: 123\n"))),
            "isc.yaml:7:17: mirror.operators[0].packages[0].name: expected a string, found the number 123; quote "
            "it: \"123\"");
  EXPECT_EQ(loadError(v2(oneCatalog("      targetTag: 4.18\n"))),
            "isc.yaml:6:18: mirror.operators[0].targetTag: expected a string, found the number 4.18; quote it: "
            "\"4.18\"");
  EXPECT_EQ(loadError(v2(oneCatalog("      targetCatalog: {name: x}\n"))),
            "isc.yaml:6:22: mirror.operators[0].targetCatalog: expected a string, found a mapping");
  EXPECT_EQ(loadError(v2("mirror:\n  - operators\n")),
            "isc.yaml:4:3: mirror: expected a mapping (key: value lines), found a list");
  EXPECT_EQ(loadError(v2("archiveSize: \"8\"\n")),
            "isc.yaml:3:14: archiveSize: expected a whole number, found the string \"8\"; remove the quotes");
  EXPECT_EQ(loadError(v2("archiveSize: 1.5\n")),
            "isc.yaml:3:14: archiveSize: expected a whole number, found the number 1.5");
  // yes/no are strings where a string is expected (YAML 1.2).
  auto config = loadImageSetConfigText(v2(oneCatalog("      packages:\n        - name: no\n")), "isc.yaml");
  EXPECT_EQ(config.mirror.operators[0].selection.packages[0].name, "no");
}

// --- values ------------------------------------------------------------------------------------

TEST(ImageSetConfigValues, ArchiveSize) {
  EXPECT_EQ(loadError(v2("archiveSize: -1\n")),
            "isc.yaml:3:14: archiveSize: -1 is not a positive number of GiB; remove it for the default of 500, or "
            "give a size such as 8");
  EXPECT_EQ(loadError(v2("archiveSize: 99999999999999\n")),
            "isc.yaml:3:14: archiveSize: 99999999999999 GiB is too large; give a size such as 500");
}

TEST(ImageSetConfigValues, VersionsMustBeSemver) {
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - name: foo\n          minVersion: \"4.14\"\n"))),
            "isc.yaml:8:23: mirror.operators[0].packages[0].minVersion: \"4.14\" is not a semantic version; write "
            "a semantic version MAJOR.MINOR.PATCH, such as 1.2.0");
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - name: foo\n          maxVersion: 1.0\n"))),
            "isc.yaml:8:23: mirror.operators[0].packages[0].maxVersion: \"1.0\" is not a semantic version; write "
            "a semantic version MAJOR.MINOR.PATCH, such as 1.2.0");
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - name: foo\n          channels:\n"
                                    "            - name: stable\n              maxVersion: v1.2.3\n"))),
            "isc.yaml:10:27: mirror.operators[0].packages[0].channels[0].maxVersion: \"v1.2.3\" is not a semantic "
            "version; write 1.2.3 without the leading 'v'");
}

TEST(ImageSetConfigValues, MinGreaterThanMax) {
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - name: foo\n          minVersion: 2.0.0\n"
                                    "          maxVersion: 1.10.0\n"))),
            "isc.yaml:9:23: mirror.operators[0].packages[0]: minVersion 2.0.0 is greater than maxVersion 1.10.0; "
            "swap them, or set maxVersion to the newest version wanted");
  // Equal bounds pin one version.
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - name: foo\n          minVersion: 1.0.0\n"
                                    "          maxVersion: 1.0.0\n"))),
            "");
}

TEST(ImageSetConfigValues, PackageAndChannelRangesAreExclusive) {
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - name: foo\n          minVersion: 1.0.0\n"
                                    "          channels:\n            - name: stable\n"
                                    "              maxVersion: 2.0.0\n"))),
            "isc.yaml:11:15: mirror.operators[0].packages[0].channels[0].maxVersion: a channel range cannot be "
            "combined with the package range (mirror.operators[0].packages[0].minVersion); give the range on the "
            "package or on its channels, not both");
}

TEST(ImageSetConfigValues, MinVersionAndMinBundleAreExclusive) {
  EXPECT_EQ(loadError(v1(oneCatalog("      packages:\n        - name: foo\n          minVersion: 1.0.0\n"
                                    "          minBundle: foo.v1.0.0\n"))),
            "isc.yaml:9:11: mirror.operators[0].packages[0]: minVersion and minBundle cannot both be set; keep "
            "minVersion; minBundle is for a bundle with no semantic version");
}

TEST(ImageSetConfigValues, FullCannotTakeARange) {
  EXPECT_EQ(loadError(v2(oneCatalog("      full: true\n      packages:\n        - name: foo\n"
                                    "          maxVersion: 1.0.0\n"))),
            "isc.yaml:9:11: mirror.operators[0].packages[0].maxVersion: a version range cannot be used with full: "
            "true (mirror.operators[0].full); remove full: true to mirror the range, or remove the range to mirror "
            "every version");
  // full with packages but no range is a whole-package selection.
  auto config = loadImageSetConfigText(v2(oneCatalog("      full: true\n      packages:\n        - name: foo\n")),
                                       "isc.yaml");
  EXPECT_TRUE(config.mirror.operators[0].selection.full);
  EXPECT_FALSE(config.mirror.operators[0].selection.keepsWholeCatalog());
}

TEST(ImageSetConfigValues, DefaultChannelMustBeAListedChannel) {
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - name: foo\n          defaultChannel: stable\n"
                                    "          channels:\n            - name: fast\n            - name: candidate\n"))),
            "isc.yaml:8:27: mirror.operators[0].packages[0].defaultChannel: \"stable\" is not one of the channels "
            "listed for package \"foo\" (fast, candidate); add channel \"stable\" to channels, or set "
            "defaultChannel to one of them");
  // With no channels listed every channel is kept, so any name may be the default (the filter checks it).
  auto config = loadImageSetConfigText(
      v1(oneCatalog("      packages:\n        - name: foo\n          defaultChannel: stable\n")), "isc.yaml");
  EXPECT_EQ(config.mirror.operators[0].selection.packages[0].defaultChannel, "stable");
}

TEST(ImageSetConfigValues, DuplicateCatalogs) {
  // The same catalog spelled two ways.
  EXPECT_EQ(loadError(v2("mirror:\n  operators:\n    - catalog: registry.example.com/cat:v1\n"
                         "    - catalog: docker://registry.example.com/cat:v1\n")),
            "isc.yaml:6:16: mirror.operators[1].catalog: catalog registry.example.com/cat:v1 is already listed at "
            "isc.yaml:5:16 (mirror.operators[0]); merge the two entries, or give one a different targetCatalog or "
            "targetTag");
  // Two catalogs sent to one destination.
  EXPECT_EQ(loadError(v2("mirror:\n  operators:\n    - catalog: registry.example.com/a:v1\n"
                         "      targetCatalog: mirrored/cat\n"
                         "    - catalog: registry.example.com/b:v1\n      targetCatalog: mirrored/cat\n")),
            "isc.yaml:7:16: mirror.operators[1].catalog: catalog registry.example.com/mirrored/cat:v1 is already "
            "listed at isc.yaml:5:16 (mirror.operators[0]); merge the two entries, or give one a different "
            "targetCatalog or targetTag");
  // One catalog twice under two tags is fine.
  auto config = loadImageSetConfigText(v2("mirror:\n  operators:\n    - catalog: registry.example.com/cat:v1\n"
                                          "    - catalog: registry.example.com/cat:v1\n      targetTag: heads\n"),
                                       "isc.yaml");
  ASSERT_EQ(config.mirror.operators.size(), 2u);
  EXPECT_EQ(catalogTargetName(config.mirror.operators[1]), "registry.example.com/cat:heads");
}

TEST(ImageSetConfigValues, DuplicatePackagesAndChannels) {
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - name: foo\n        - name: foo\n"))),
            "isc.yaml:8:17: mirror.operators[0].packages[1].name: package \"foo\" is listed twice in this catalog "
            "(also at isc.yaml:7:17); merge the two entries");
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - name: foo\n          channels:\n"
                                    "            - name: stable\n            - name: stable\n"))),
            "isc.yaml:10:21: mirror.operators[0].packages[0].channels[1].name: channel \"stable\" is listed twice "
            "in package \"foo\" (also at isc.yaml:9:21); merge the two entries");
}

TEST(ImageSetConfigValues, ReleaseChannelsAndArchitectures) {
  std::string text = v2(
      "mirror:\n  platform:\n    architectures: [amd64, x86_64]\n    platforms:\n"
      "      - os: linux\n        architecture: amd64\n    channels:\n      - name: stable-4.18\n"
      "      - name: stable-4.18\n        type: rhel\n");
  EXPECT_EQ(loadError(text, acceptingUnsupported()),
            "isc.yaml:5:28: mirror.platform.architectures[1]: \"x86_64\" is not a release architecture; use amd64, "
            "arm64, ppc64le, s390x or multi\n"
            "isc.yaml:6:5: mirror.platform: platforms and architectures cannot be used together; keep platforms "
            "(only the listed platforms of a multi payload) or architectures (whole payloads)\n"
            "isc.yaml:11:15: mirror.platform.channels[1].name: release channel \"stable-4.18\" is listed twice (also "
            "at isc.yaml:10:15); merge the two entries\n"
            "isc.yaml:12:15: mirror.platform.channels[1].type: \"rhel\" is not a release type; use ocp (the default) "
            "or okd");
  auto config = loadImageSetConfigText(v1("mirror:\n  platform:\n    channels:\n      - name: stable-4.14\n"),
                                       "isc.yaml", acceptingUnsupported());
  EXPECT_EQ(config.mirror.platform->architectures, (std::vector<std::string>{"amd64"}));
}

TEST(ImageSetConfigValues, PlatformListsTakeBothForms) {
  // Mappings with an optional variant, and the string form, on every list that has platforms.
  auto config = loadImageSetConfigText(
      v2("mirror:\n  platform:\n    platforms: [linux/amd64, {os: linux, architecture: s390x}]\n"
         "  operators:\n    - catalog: registry.example.com/cat:v1\n      platforms:\n"
         "        - os: linux\n          architecture: arm\n          variant: v7\n        - linux/arm64/v8\n"
         "  additionalImages:\n    - name: registry.example.com/app:v1\n      platforms: [\"linux/ppc64le\"]\n"
         "  helm:\n    local:\n      - name: chart\n        path: /tmp/chart.tgz\n"
         "        platforms: [linux/amd64]\n"),
      "isc.yaml", acceptingUnsupported());
  ASSERT_EQ(config.mirror.operators[0].platforms.size(), 2u);
  EXPECT_EQ(config.mirror.operators[0].platforms[0].str(), "linux/arm/v7");
  EXPECT_EQ(config.mirror.operators[0].platforms[1].str(), "linux/arm64/v8");
  ASSERT_EQ(config.mirror.additionalImages[0].platforms.size(), 1u);
  EXPECT_EQ(config.mirror.additionalImages[0].platforms[0].str(), "linux/ppc64le");
  ASSERT_EQ(config.mirror.platform->platforms.size(), 2u);
  EXPECT_EQ(config.mirror.platform->platforms[1].str(), "linux/s390x");
  ASSERT_EQ(config.mirror.helm->local[0].platforms.size(), 1u);
  EXPECT_EQ(config.mirror.helm->local[0].platforms[0].str(), "linux/amd64");

  // Errors name line and column: a malformed string, a '/' in a field, an alias listed twice, a wrong key.
  EXPECT_EQ(loadError(v2(oneCatalog("      platforms:\n        - linux\n        - os: linux\n"
                                    "          architecture: arm64/v8\n        - linux/aarch64\n"
                                    "        - linux/arm64\n        - os: linux\n          arch: amd64\n"))),
            "isc.yaml:7:11: mirror.operators[0].platforms[0]: invalid platform 'linux': expected "
            "os/architecture[/variant], e.g. linux/arm64; write os/architecture[/variant], e.g. linux/arm64 or "
            "linux/arm/v7\n"
            "isc.yaml:9:25: mirror.operators[0].platforms[1].architecture: \"arm64/v8\" holds a '/'; give the os, "
            "the architecture and the variant in their own fields, e.g. os: linux, architecture: arm64 (or write the "
            "item as the string linux/arm64)\n"
            "isc.yaml:11:11: mirror.operators[0].platforms[3]: platform linux/arm64 is listed twice (also at "
            "isc.yaml:10:11); keep one\n"
            "isc.yaml:12:11: mirror.operators[0].platforms[4]: required field \"architecture\" is missing; add "
            "architecture: amd64\n"
            "isc.yaml:13:11: mirror.operators[0].platforms[4]: unknown field \"arch\"; the fields here are: os, "
            "architecture, variant");
}

TEST(ImageSetConfigValues, BlockedImagesMustCompile) {
  // The middle of the message is the standard library's description of the regex error.
  std::string message = loadError(v2("mirror:\n  blockedImages:\n    - name: \"quay.io/(unclosed\"\n"));
  EXPECT_TRUE(message.starts_with("isc.yaml:5:13: mirror.blockedImages[0].name: \"quay.io/(unclosed\" is not a "
                                  "valid regular expression ("))
      << message;
  EXPECT_TRUE(message.ends_with("); write an ECMAScript regular expression, escaping special characters with \\ "
                                "(e.g. ^quay\\.io/unwanted/)"))
      << message;
}

TEST(ImageSetConfigValues, ReferencesMustParse) {
  EXPECT_EQ(loadError(v2("mirror:\n  operators:\n    - catalog: Registry.example.com/Cat:v1\n")),
            "isc.yaml:5:16: mirror.operators[0].catalog: invalid image reference 'Registry.example.com/Cat:v1': "
            "repository 'Cat' is not valid (lowercase letters, digits and separators '.', '_', '__', '-' between "
            "'/'-separated components); write REGISTRY/REPOSITORY[:TAG][@DIGEST], or oci://DIR for an image in an "
            "OCI layout");
  EXPECT_EQ(loadError(v2("mirror:\n  additionalImages:\n    - name: ftp://example.com/x\n")),
            "isc.yaml:5:13: mirror.additionalImages[0].name: invalid image reference 'ftp://example.com/x': unknown "
            "transport 'ftp'; ferry knows docker://, oci:, oci-archive:, docker-archive:, dir:; write REGISTRY/REPOSITORY[:TAG][@DIGEST], or oci://DIR "
            "for an image in an OCI layout");
  auto config = loadImageSetConfigText(v2("mirror:\n  operators:\n    - catalog: oci:///tmp/catalog\n"
                                          "    - catalog: oci:relative/catalog:v2\n"),
                                       "isc.yaml");
  EXPECT_EQ(catalogTargetName(config.mirror.operators[0]), "oci:/tmp/catalog");
  EXPECT_EQ(catalogTargetName(config.mirror.operators[1]), "oci:relative/catalog:v2");
}

TEST(ImageSetConfigValues, TargetsMustBeRepositoryPathsAndTags) {
  EXPECT_EQ(loadError(v2(oneCatalog("      targetCatalog: My-Org/catalog\n"))),
            "isc.yaml:6:22: mirror.operators[0].targetCatalog: \"My-Org/catalog\" is not a valid repository path; "
            "use lowercase letters, digits and separators . _ __ - between '/'-separated components, e.g. "
            "my-org/redhat-operator-index");
  EXPECT_EQ(loadError(v2(oneCatalog("      targetCatalog: my-org/catalog:v1\n"))),
            "isc.yaml:6:22: mirror.operators[0].targetCatalog: \"my-org/catalog:v1\" holds a tag or digest; give "
            "the repository path alone (e.g. my-org/redhat-operator-index) and the tag in targetTag");
  EXPECT_EQ(loadError(v2(oneCatalog("      targetTag: -bad\n"))),
            "isc.yaml:6:18: mirror.operators[0].targetTag: \"-bad\" is not a valid tag; use up to 128 letters, "
            "digits, '_', '.' and '-', not starting with '.' or '-'");
  EXPECT_EQ(loadError(v2("mirror:\n  additionalImages:\n    - name: nginx\n      targetRepo: a//b\n")),
            "isc.yaml:6:19: mirror.additionalImages[0].targetRepo: \"a//b\" is not a valid repository path; use "
            "lowercase letters, digits and separators . _ __ - between '/'-separated components, e.g. my-org/ubi");
  EXPECT_EQ(loadError(v1(oneCatalog("      targetName: a/b\n"))),
            "isc.yaml:6:19: mirror.operators[0].targetName: \"a/b\" is not one repository path component; use "
            "lowercase letters, digits and separators . _ __ -, or use targetCatalog");
}

TEST(ImageSetConfigValues, RequiredFields) {
  EXPECT_EQ(loadError(v2("mirror:\n  operators:\n    - full: true\n")),
            "isc.yaml:5:7: mirror.operators[0]: required field \"catalog\" is missing; add catalog: "
            "registry.redhat.io/redhat/redhat-operator-index:v4.18");
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - defaultChannel: stable\n"))),
            "isc.yaml:7:11: mirror.operators[0].packages[0]: required field \"name\" is missing; add name: "
            "elasticsearch-operator");
  EXPECT_EQ(loadError(v2(oneCatalog("      packages:\n        - name: \"\"\n"))),
            "isc.yaml:7:17: mirror.operators[0].packages[0].name: must not be empty; e.g. name: "
            "elasticsearch-operator");
  EXPECT_EQ(loadError(v2("mirror:\n  operators:\n    - catalog: registry.example.com/cat:v1\n"
                         "      platforms:\n        - os: linux\n")),
            "isc.yaml:7:11: mirror.operators[0].platforms[0]: required field \"architecture\" is missing; add "
            "architecture: amd64");
}

// --- sections ferry does not mirror ------------------------------------------------------------

TEST(ImageSetConfigSections, PlatformAndHelmLoadSamplesAreRefused) {
  // Releases (release_collector.h) and Helm charts (helm_collector.cc) are mirrored.
  EXPECT_EQ(loadError(v2("mirror:\n  platform:\n    graph: true\n")), "");
  EXPECT_EQ(loadError(v2("mirror:\n  helm:\n    local:\n      - name: c\n        path: /c.tgz\n")), "");
  EXPECT_EQ(loadError(v2("mirror:\n  samples:\n    - name: ruby\n"), acceptingUnsupported()),
            "isc.yaml:4:3: mirror.samples: oc-mirror never implemented samples either; remove it");
  // Empty sections ask for nothing.
  EXPECT_EQ(loadError(v2("mirror:\n  platform: {}\n  helm:\n  samples: []\n")), "");
}

// --- collecting ----------------------------------------------------------------------------------

TEST(ImageSetConfig, CollectsEveryErrorInFileOrder) {
  std::string text = v2("archiveSize: 0\nmirror:\n  operators:\n    - catalog: registry.example.com/cat:v1\n"
                        "      ful: true\n  blockedImages:\n    - name: \"(\"\n");
  std::string message = loadError(text);
  auto first = message.find("isc.yaml:3:14: archiveSize");
  auto second = message.find("isc.yaml:7:7: mirror.operators[0]: unknown field \"ful\"; did you mean \"full\"?");
  auto third = message.find("isc.yaml:9:13: mirror.blockedImages[0].name");
  ASSERT_NE(first, std::string::npos) << message;
  ASSERT_NE(second, std::string::npos) << message;
  ASSERT_NE(third, std::string::npos) << message;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 2);
}

TEST(ImageSetConfig, WarnsAboutDeprecatedFields) {
  auto config = loadImageSetConfigText(
      v1(oneCatalog("      targetName: renamed\n      originalRef: registry.example.com/cat:v1\n")), "isc.yaml");
  ASSERT_EQ(config.warnings.size(), 2u);
  EXPECT_EQ(config.warnings[0],
            "isc.yaml:6:7: mirror.operators[0].targetName: deprecated since oc-mirror 4.13; use targetCatalog");
  EXPECT_EQ(config.warnings[1],
            "isc.yaml:7:7: mirror.operators[0].originalRef: ignored (deprecated since oc-mirror 4.13); remove it");
  const OperatorCatalog& entry = config.mirror.operators[0];
  EXPECT_EQ(entry.targetName, "renamed");
  EXPECT_EQ(entry.originalRef, "registry.example.com/cat:v1");
  EXPECT_EQ(catalogTargetName(entry), "registry.example.com/renamed:v1");
}

TEST(ImageSetConfig, CatalogTargetNames) {
  OperatorCatalog entry;
  entry.catalogRef = ImageReference::parse("registry.example.com/ns/cat@" + kDigest);
  EXPECT_EQ(catalogTargetName(entry), "registry.example.com/ns/cat@" + kDigest);
  entry.targetTag = "v1";
  EXPECT_EQ(catalogTargetName(entry), "registry.example.com/ns/cat:v1");
  entry.targetCatalog = "mirror/cat";
  entry.targetName = "ignored";
  EXPECT_EQ(catalogTargetName(entry), "registry.example.com/mirror/cat:v1");
  entry = OperatorCatalog{};
  entry.catalogRef = ImageReference::parse("registry.example.com/cat");
  EXPECT_EQ(catalogTargetName(entry), "registry.example.com/cat:latest");
}

}  // namespace
}  // namespace ferry::config

namespace ferry::config {
namespace {
TEST(ImageSetConfigErrors, ParseErrorsAreInvalidInput) {
  for (const char* text : {"kind: ImageSetConfiguration\napiVersion: [\n", "42\n",
                           "kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n  nope: 1\n"}) {
    try {
      loadImageSetConfigText(text, "isc.yaml", LoadOptions{});
      ADD_FAILURE() << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
    }
  }
}

bool hasWarning(const ImageSetConfig& config, const std::string& text) {
  for (const auto& warning : config.warnings)
    if (warning.find(text) != std::string::npos) return true;
  return false;
}

TEST(ImageSetConfigV1Leniency, FullWithARangeIsTheRangeInFullMode) {
  auto config = loadImageSetConfigText(
      v1(oneCatalog("      full: true\n      packages:\n        - name: foo\n          maxVersion: 1.0.0\n"
                    "        - name: bar\n")),
      "isc.yaml");
  const auto& selection = config.mirror.operators[0].selection;
  EXPECT_TRUE(selection.full);
  EXPECT_TRUE(selection.rangesWithinFull);
  EXPECT_EQ(selection.packages[0].maxVersion, "1.0.0");
  EXPECT_TRUE(hasWarning(config, "isc.yaml:9:11: mirror.operators[0].packages[0].maxVersion: a version range with "
                                 "full: true (mirror.operators[0].full) is read as oc-mirror v1 does"));
  // v2alpha1 stays strict (FullCannotTakeARange).
  EXPECT_NE(loadError(v2(oneCatalog("      full: true\n      packages:\n        - name: foo\n"
                                    "          maxVersion: 1.0.0\n"))),
            "");
}

TEST(ImageSetConfigV1Leniency, KeysMatchIgnoringCaseAsGosDecoderDoes) {
  auto config = loadImageSetConfigText(v1("mirror:\n  additionalimages:\n    - Name: registry.example.com/a:v1\n"),
                                       "isc.yaml");
  ASSERT_EQ(config.mirror.additionalImages.size(), 1u);
  EXPECT_EQ(config.mirror.additionalImages[0].name, "registry.example.com/a:v1");
  EXPECT_TRUE(hasWarning(config, "isc.yaml:4:3: mirror: key \"additionalimages\" read as \"additionalImages\""));
  EXPECT_TRUE(hasWarning(config, "key \"Name\" read as \"name\""));
  // Both spellings of one key are still a key given twice; v2alpha1 still refuses the spelling.
  EXPECT_NE(loadError(v1("mirror:\n  additionalImages: []\n  additionalimages: []\n")).find("given twice"),
            std::string::npos);
  EXPECT_NE(loadError(v2("mirror:\n  additionalimages: []\n")).find("unknown field \"additionalimages\""),
            std::string::npos);
  // Anything that is not a case variant stays an error.
  EXPECT_NE(loadError(v1("mirror:\n  additionalImage: []\n")).find("did you mean \"additionalImages\"?"),
            std::string::npos);
}

TEST(ImageSetConfigV1Leniency, LocalStorageWithoutAPath) {
  auto config = loadImageSetConfigText(v1("storageConfig:\n  local: {}\nmirror: {}\n"), "isc.yaml");
  ASSERT_TRUE(config.storageConfig);
  EXPECT_TRUE(hasWarning(config, "storageConfig.local: has no path: accepted as oc-mirror v1 does"));
  auto nullLocal = loadImageSetConfigText(v1("storageConfig:\n  local:\nmirror: {}\n"), "isc.yaml");
  EXPECT_TRUE(nullLocal.storageConfig);
  // A registry backend still needs its imageURL.
  EXPECT_NE(loadError(v1("storageConfig:\n  registry: {}\nmirror: {}\n")).find("imageURL"), std::string::npos);
}

TEST(ImageSetConfigV1Leniency, TargetCatalogWithATag) {
  auto config =
      loadImageSetConfigText(v1(oneCatalog("      targetCatalog: my-org/catalog:v1\n")), "isc.yaml");
  EXPECT_EQ(config.mirror.operators[0].targetCatalog, "my-org/catalog");
  EXPECT_EQ(config.mirror.operators[0].targetTag, "v1");
  EXPECT_TRUE(hasWarning(config, "isc.yaml:6:22: mirror.operators[0].targetCatalog: read as targetCatalog: "
                                 "my-org/catalog and targetTag: v1"));
  EXPECT_NE(loadError(v1(oneCatalog("      targetCatalog: my-org/catalog:v1\n      targetTag: v2\n")))
                .find("holds the tag \"v1\" and targetTag is \"v2\" too"),
            std::string::npos);
  EXPECT_NE(loadError(v1(oneCatalog("      targetCatalog: my-org/catalog@sha256:abc\n"))).find("holds a tag or digest"),
            std::string::npos);
}

// Issue 11's repro: yaml-cpp's document loop never ends on a leading ','.
TEST(ImageSetConfigBounds, AFileStartingWithACommaIsASyntaxErrorInBoundedMemoryAndTime) {
  TemporaryDirectory dir;
  auto file = dir.path() / "c.yaml";
  writeFileAtomically(file, ",a\n");
  auto run = test_support::runWithLimits(size_t{1} << 30, 20, [&] { loadImageSetConfig(file); });
  ASSERT_TRUE(run.returned) << run.message;
  EXPECT_TRUE(run.threw);
  EXPECT_EQ(run.message, file.string() +
                             ":1:1: invalid YAML: unexpected ',': no YAML node can start here; fix the syntax at that "
                             "position");
  EXPECT_LT(run.seconds, 10);
}

TEST(ImageSetConfigBounds, SizeDepthAndAliasLimitsAreNamed) {
  TemporaryDirectory dir;
  auto file = dir.path() / "big.yaml";
  writeFileAtomically(file, std::string((size_t{8} << 20) + 1, '#'));
  try {
    loadImageSetConfig(file);
    FAIL() << "expected the size limit";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), file.string() + ": more than 8388608 bytes; ferry's limit for an "
                                                      "ImageSetConfiguration is 8 MiB (see docs/limits.md)");
  }
  std::string deep = "mirror:\n  additionalImages:\n    - name: " + std::string(70, '[') + std::string(70, ']') + "\n";
  EXPECT_NE(loadError(v2(deep)).find("YAML nested deeper than 64 levels; ferry's limit for an ImageSetConfiguration"),
            std::string::npos)
      << loadError(v2(deep));
  std::string laughs = "x: &a [q, q, q, q, q, q, q, q, q, q]\n";
  for (char level = 'b'; level <= 'g'; ++level)
    laughs += std::string("") + level + ": &" + level + " [" + std::string(10, level - 1) + "]\n";
  // Each of the 10 entries of a level names the level below: 10^7 nodes from seven short lines.
  for (char level = 'b'; level <= 'g'; ++level) {
    std::string aliases;
    for (int i = 0; i < 10; ++i) aliases += std::string(i ? ", " : "") + "*" + static_cast<char>(level - 1);
    laughs.replace(laughs.find(std::string(10, level - 1)), 10, aliases);
  }
  EXPECT_NE(loadError(v2(laughs)).find("nodes once its aliases are expanded; ferry's limit for an "
                                       "ImageSetConfiguration is 1000000 nodes"),
            std::string::npos)
      << loadError(v2(laughs));
}

}  // namespace
}  // namespace ferry::config

namespace ferry::config {
namespace {

TEST(DeleteImageSetConfig, ReadsTheDeleteSectionWithTheMirrorSubSchemas) {
  auto config = loadDeleteImageSetConfigText(R"(apiVersion: mirror.openshift.io/v2alpha1
kind: DeleteImageSetConfiguration
delete:
  platform:
    architectures: [amd64]
    channels:
      - name: stable-4.15
        minVersion: 4.15.1
        maxVersion: 4.15.3
  operators:
    - catalog: registry.redhat.io/redhat/redhat-operator-index:v4.15
      packages:
        - name: aws-load-balancer-operator
  additionalImages:
    - name: registry.redhat.io/ubi8/ubi:latest
  helm:
    repositories:
      - name: podinfo
        url: https://stefanprodan.github.io/podinfo
        charts:
          - name: podinfo
            version: 5.0.0
)", "disc.yaml");
  EXPECT_TRUE(config.deleteKind);
  ASSERT_TRUE(config.mirror.platform);
  EXPECT_EQ(config.mirror.platform->channels.at(0).minVersion, "4.15.1");
  ASSERT_EQ(config.mirror.operators.size(), 1u);
  EXPECT_EQ(config.mirror.operators[0].selection.packages.at(0).name, "aws-load-balancer-operator");
  EXPECT_EQ(config.mirror.additionalImages.at(0).ref.str(), "docker://registry.redhat.io/ubi8/ubi:latest");
  ASSERT_TRUE(config.mirror.helm);
  EXPECT_EQ(config.mirror.helm->repositories.at(0).charts.at(0).version, "5.0.0");
}

std::string deleteErrorOf(const std::string& text) {
  try {
    loadDeleteImageSetConfigText(text, "disc.yaml");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "loaded:\n" << text;
  return "";
}

TEST(DeleteImageSetConfig, ErrorsNameLineColumnAndField) {
  EXPECT_NE(deleteErrorOf("apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nmirror: {}\n")
                .find("disc.yaml:2:7: kind: an ImageSetConfiguration says what to mirror"),
            std::string::npos);
  EXPECT_NE(deleteErrorOf("apiVersion: mirror.openshift.io/v1alpha2\nkind: DeleteImageSetConfiguration\ndelete: {}\n")
                .find("disc.yaml:1:13: apiVersion: a DeleteImageSetConfiguration exists only in"),
            std::string::npos);
  auto blocked = deleteErrorOf(
      "apiVersion: mirror.openshift.io/v2alpha1\nkind: DeleteImageSetConfiguration\ndelete:\n  blockedImages:\n"
      "    - name: x\n");
  EXPECT_NE(blocked.find("disc.yaml:4:3: delete: field \"blockedImages\" is not accepted"), std::string::npos)
      << blocked;
  auto typo = deleteErrorOf(
      "apiVersion: mirror.openshift.io/v2alpha1\nkind: DeleteImageSetConfiguration\ndelete:\n  additionalImages:\n"
      "    - nmae: quay.io/a/b:v1\n");
  EXPECT_NE(typo.find("disc.yaml:5:7: delete.additionalImages[0]"), std::string::npos) << typo;
  auto version = deleteErrorOf(
      "apiVersion: mirror.openshift.io/v2alpha1\nkind: DeleteImageSetConfiguration\ndelete:\n  platform:\n"
      "    channels:\n      - name: stable-4.15\n        minVersion: v4.15.1\n");
  EXPECT_NE(version.find("disc.yaml:7:21: delete.platform.channels[0].minVersion"), std::string::npos) << version;
  EXPECT_NE(deleteErrorOf("apiVersion: mirror.openshift.io/v2alpha1\nkind: DeleteImageSetConfiguration\n")
                .find("required field \"delete\" is missing"),
            std::string::npos);
  // And ferry mirror refuses a DeleteImageSetConfiguration, pointing at ferry delete.
  try {
    loadImageSetConfigText("apiVersion: mirror.openshift.io/v2alpha1\nkind: DeleteImageSetConfiguration\ndelete: {}\n",
                           "isc.yaml");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ferry delete --generate"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ferry::config
