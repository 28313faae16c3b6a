// The phases of a mirror run against an OCI layout read through a source
// mirror (support/mirror_scenario.h builds it), written into an archive.
#include <gtest/gtest.h>

#include "ferry/archive/archive_reader.h"
#include "ferry/archive/archive_summary.h"
#include "ferry/mirror/mapping_file.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/catalog/catalog_image.h"
#include "ferry/config/image_set_config.h"
#include "ferry/mirror/collectors.h"
#include "ferry/mirror/mirror.h"
#include "ferry/mirror/phases.h"
#include "support/mirror_scenario.h"

namespace ferry::mirror {
namespace {

constexpr const char* kRegistryName = "registry.example.com/demo";

class MirrorPhasesTest : public ::testing::Test {
 protected:
  TemporaryDirectory work{"ferry-mirror-phases"};
  std::filesystem::path layoutDir = work.path() / "source";
  testing::ScenarioLayout layout = testing::buildScenarioLayout(
      layoutDir, kRegistryName,
      {{"foo", {"1.0.0", "1.1.0"}}, {"bar", {"2.0.0"}}}, {}, 4 << 10);
  EndpointOptions endpointOptions{.sourceMirrors = {{kRegistryName, "oci:" + layoutDir.string()}}};
  Endpoints endpoints{endpointOptions};
  Workspace workspace{work.path() / "archive" / "working-dir"};
  RunLog log;

  void SetUp() override { std::filesystem::create_directories(workspace.root); }

  std::filesystem::path writeConfig(const std::string& packages) {
    auto path = work.path() / "isc.yaml";
    writeFileAtomically(path, fmt::format(R"(apiVersion: mirror.openshift.io/v2alpha1
kind: ImageSetConfiguration
mirror:
  operators:
    - catalog: {0}/ferry-test/catalog:v1
      packages:
{1}  additionalImages:
    - name: {0}/ferry-test/extra:stable
)",
                                          kRegistryName, packages));
    return path;
  }

  const testing::ScenarioBundle& bundle(const std::string& package) {
    for (const auto& bundle : layout.bundles)
      if (bundle.package == package) return bundle;
    throw Error("no bundle of " + package);
  }
  const testing::ScenarioBundle& head(const std::string& package) {
    const testing::ScenarioBundle* last = nullptr;
    for (const auto& bundle : layout.bundles)
      if (bundle.package == package) last = &bundle;
    return *last;
  }
};

TEST_F(MirrorPhasesTest, PlanNamesEveryImageWithItsKindAndOwner) {
  auto config = config::loadImageSetConfig(writeConfig("        - name: foo\n        - name: bar\n"));
  RegistryReader reader(endpoints);
  auto planned = planFromConfiguration({config, reader, workspace, log}, defaultCollectors());
  const auto& plan = planned.plan;
  EXPECT_TRUE(log.errors.empty()) << log.errors.front();

  ASSERT_EQ(plan.catalogs.size(), 1u);
  EXPECT_EQ(plan.catalogs[0].packages, (std::set<std::string>{"bar", "foo"}));
  EXPECT_TRUE(plan.catalogs[0].rebuilt);
  EXPECT_EQ(plan.catalogs[0].sourceDigest, layout.images.back().image.digest);
  EXPECT_EQ(plan.catalogs[0].archiveTag, "v1");
  ASSERT_EQ(planned.contents.size(), 1u);
  ASSERT_TRUE(planned.contents[0]);

  // Heads only: foo 1.1.0 and bar 2.0.0, each a bundle and an operator image; and the additional image.
  std::map<std::string, const PlannedImage*> bySource;
  for (const auto& image : plan.images) bySource[image.source.str()] = &image;
  ASSERT_EQ(plan.images.size(), 5u);
  const auto* fooBundle = bySource.at("docker://" + head("foo").bundleImage);
  EXPECT_EQ(fooBundle->kind, ImageKind::Bundle);
  EXPECT_EQ(fooBundle->neededBy, (std::set<PackageOwner>{{0, "foo"}}));
  const auto* barOperator = bySource.at("docker://" + bundle("bar").operatorImage);
  EXPECT_EQ(barOperator->kind, ImageKind::RelatedImage);
  EXPECT_EQ(barOperator->neededBy, (std::set<PackageOwner>{{0, "bar"}}));
  const auto* extra = bySource.at(std::string("docker://") + kRegistryName + "/ferry-test/extra:stable");
  EXPECT_EQ(extra->kind, ImageKind::Additional);
  EXPECT_TRUE(extra->neededBy.empty());
  EXPECT_FALSE(bySource.count("docker://" + bundle("foo").bundleImage)) << "foo 1.0.0 is not a head";

  // The plan is data: it reads back as written.
  EXPECT_EQ(planToJson(planFromJson(planToJson(plan, "r"), "plan.json"), "r"), planToJson(plan, "r"));
}

TEST_F(MirrorPhasesTest, CopyThenFinalizeLeavesTheFailedOperatorOutOfTheArchivedCatalog) {
  // bar's operator image is lost from the source: its index is gone.
  auto barOperator = ImageReference::parse(bundle("bar").operatorImage);
  ASSERT_TRUE(std::filesystem::remove(layoutDir / "blobs" / "sha256" / std::string(barOperator.digest->hex())));
  auto configFile = writeConfig("        - name: foo\n        - name: bar\n");
  auto config = config::loadImageSetConfig(configFile);
  RegistryReader reader(endpoints);
  auto archiveDir = work.path() / "archive";
  ArchiveImageWriter writer({.directory = archiveDir, .partSizeBytes = 1 << 30, .runId = "run-1", .configFile = configFile},
                            workspace);
  auto planned = planFromConfiguration({config, reader, workspace, log}, defaultCollectors());
  auto& plan = planned.plan;
  nameDestinations(plan, writer);
  writer.begin(plan, log);
  Copier copier(endpoints, CopyOptions{.parallel = 2});

  auto copied = copyImages(plan, reader, writer, copier, log);
  ASSERT_EQ(copied.images.size(), plan.images.size());
  for (size_t i = 0; i < plan.images.size(); ++i) {
    bool isBarOperator = plan.images[i].source.str() == "docker://" + bundle("bar").operatorImage;
    EXPECT_EQ(copied.images[i].ok, !isBarOperator) << plan.images[i].source.str() << ": " << copied.images[i].error;
  }
  EXPECT_EQ(copied.failedOperators(plan), (std::set<PackageOwner>{{0, "bar"}}));
  EXPECT_EQ(copyResultsFromJson(copyResultsToJson(copied), "results").images, copied.images);

  auto catalogs = finalizeCatalogs(plan, planned.contents, copied, reader, writer, copier, log);
  ASSERT_EQ(catalogs.size(), 1u);
  EXPECT_EQ(catalogs[0].leftOut, (std::set<std::string>{"bar"}));
  ASSERT_TRUE(catalogs[0].rebuiltDigest);
  ASSERT_TRUE(catalogs[0].copy.ok) << catalogs[0].copy.error;
  EXPECT_EQ(catalogs[0].copy.digest, catalogs[0].rebuiltDigest);
  writer.finish({plan, copied, catalogs}, log);
  EXPECT_EQ(log.exitCode, kExitOperator);
  ASSERT_EQ(writer.archiveParts(), std::vector<std::string>{"mirror_000001.tar"});

  // The archive lists the rebuilt catalog under its own name, and it holds foo only.
  auto archive = ArchiveReader::open(archiveDir);
  std::optional<Digest> listed;
  for (const auto& image : archive->images())
    if (image.reference == std::string(kRegistryName) + "/ferry-test/catalog:v1") listed = image.digest;
  EXPECT_EQ(listed, catalogs[0].rebuiltDigest);
  auto name = std::string(kRegistryName) + "/ferry-test/catalog";
  auto rebuilt = catalog::readCatalogImage(*archive->source(name), ImageReference::parse(name + ":v1"),
                                           work.path() / "reread");
  ASSERT_EQ(rebuilt.variants.size(), 1u);
  std::set<std::string> packages;
  for (const auto& package : rebuilt.variants[0].catalog.packages) packages.insert(package.name);
  EXPECT_EQ(packages, std::set<std::string>{"foo"});
}

// An interrupted mirror-to-disk keeps its finished parts: their content is in
// the history as each part completes, so the next run does not carry it again.
TEST_F(MirrorPhasesTest, AnInterruptedMirrorToDiskDoesNotShipItsFinishedPartsAgain) {
  auto archiveDir = work.path() / "archive";
  MirrorOptions options{.workflow = Workflow::MirrorToDisk,
                        .configFile = writeConfig("        - name: foo\n"),
                        .archiveDirectory = archiveDir,
                        .parallel = 1,
                        .endpoints = endpointOptions,
                        .archivePartSizeBytes = 12 << 10};
  options.afterArchivePart = [](const std::string&) { throw Error("interrupted after the first part"); };
  try {
    MirrorRun(options).run();
  } catch (const Error&) {
    // The interruption: what matters is what it leaves behind.
  }
  ASSERT_TRUE(std::filesystem::exists(archiveDir / "mirror_000001.tar"));
  ASSERT_FALSE(std::filesystem::exists(archiveDir / "mirror_000002.tar"));
  auto first = ArchiveReader::open(archiveDir / "mirror_000001.tar");
  auto firstBlobs = first->carriedBlobs();
  std::set<std::string> firstImages;
  for (const auto& image : first->images()) firstImages.insert(image.reference);
  ASSERT_FALSE(firstBlobs.empty());

  options.afterArchivePart = nullptr;
  auto report = MirrorRun(options).run();
  ASSERT_EQ(report.exitCode, 0) << (report.errors.empty() ? "" : report.errors.front());
  ASSERT_FALSE(report.archiveParts.empty());
  EXPECT_EQ(report.archiveParts.front(), "mirror_000002.tar");
  for (const auto& part : report.archiveParts) {
    auto reader = ArchiveReader::open(archiveDir / part);
    for (const auto& image : reader->images()) EXPECT_FALSE(firstImages.count(image.reference)) << image.reference;
    for (const auto& [digest, size] : reader->carriedBlobs()) {
      if (!firstBlobs.count(digest)) continue;
      // Only manifests come again: each part carries the manifests of the images it lists.
      StringWriter collect;
      reader->readBlob({.digest = digest, .size = size}, collect);
      EXPECT_NE(collect.bytes.find("\"schemaVersion\""), std::string::npos) << digest.str() << " (a layer or config) sent twice";
    }
  }
  // The whole archive loads: nothing it needs is missing.
  EXPECT_TRUE(ArchiveReader::open(archiveDir)->missingBlobs().empty());
}

}  // namespace
}  // namespace ferry::mirror

namespace ferry::mirror {
namespace {

// Four platforms; each platform of the catalog lists other packages (so each
// platform's /configs is told apart); a mirror-to-disk run keeps two.
class MirrorPlatformsTest : public ::testing::Test {
 protected:
  TemporaryDirectory work{"ferry-mirror-platforms"};
  std::filesystem::path layoutDir = work.path() / "source";
  std::vector<testing::Platform> four{testing::Platform::parse("linux/amd64"), testing::Platform::parse("linux/arm64"),
                                      testing::Platform::parse("linux/s390x"), testing::Platform::parse("linux/ppc64le")};
  testing::ScenarioLayout layout = testing::buildScenarioLayout(
      layoutDir, kRegistryName, {{"foo", {"1.0.0"}}, {"bar", {"2.0.0"}}},
      {{"foo", "bar"}, {"foo"}, {"bar"}, {"foo", "bar"}}, 4 << 10, four);
  EndpointOptions endpointOptions{.sourceMirrors = {{kRegistryName, "oci:" + layoutDir.string()}}};
  std::filesystem::path archiveDir = work.path() / "archive";

  std::filesystem::path writeConfig() {
    auto path = work.path() / "isc.yaml";
    writeFileAtomically(path, fmt::format(R"(apiVersion: mirror.openshift.io/v2alpha1
kind: ImageSetConfiguration
mirror:
  operators:
    - catalog: {0}/ferry-test/catalog:v1
      platforms:
        - linux/amd64
        - os: linux
          architecture: arm64
      packages:
        - name: foo
        - name: bar
  additionalImages:
    - name: {0}/ferry-test/extra:stable
      platforms: [linux/s390x, linux/ppc64le]
    - name: {0}/ferry-test/extra@{1}
      platforms: [linux/amd64]
)",
                                          kRegistryName, imageNamed("ferry-test/extra").digest.str()));
    return path;
  }

  const testing::FixtureImage& imageNamed(const std::string& repository) {
    for (const auto& image : layout.images)
      if (image.repository == repository) return image.image;
    throw Error("no image " + repository);
  }
};

// Children of an index, by platform ("linux/amd64" → digest).
std::map<std::string, Digest> childrenOf(const RawManifest& raw) {
  std::map<std::string, Digest> children;
  for (const auto& child : Manifest::parse(raw.bytes, raw.mediaType).manifests)
    if (child.platform) children.emplace(child.platform->str(), child.digest);
  return children;
}

TEST_F(MirrorPlatformsTest, MirrorToDiskCarriesOnlyTheChosenPlatforms) {
  MirrorOptions options{.workflow = Workflow::MirrorToDisk,
                        .configFile = writeConfig(),
                        .archiveDirectory = archiveDir,
                        .parallel = 2,
                        .endpoints = endpointOptions};
  auto report = MirrorRun(options).run();
  ASSERT_EQ(report.exitCode, 0) << (report.errors.empty() ? "" : report.errors.front());

  // The plan says what each image keeps, and how.
  for (const auto& image : report.plan.images) {
    if (image.kind == ImageKind::Additional && image.source.digest) {
      EXPECT_EQ(image.platforms.platforms, (std::vector<std::string>{"linux/amd64"}));
      EXPECT_TRUE(image.platforms.sparse) << "pinned by digest: a sparse index";
    } else if (image.kind == ImageKind::Additional) {
      EXPECT_EQ(image.platforms.platforms, (std::vector<std::string>{"linux/s390x", "linux/ppc64le"}));
      EXPECT_FALSE(image.platforms.sparse) << "named by tag: a filtered index";
    } else {
      EXPECT_EQ(image.platforms.platforms, (std::vector<std::string>{"linux/amd64", "linux/arm64"}));
      EXPECT_TRUE(image.platforms.sparse) << image.source.str() << " is named by digest";
    }
  }
  EXPECT_EQ(report.plan.catalogs.at(0).platforms.platforms, (std::vector<std::string>{"linux/amd64", "linux/arm64"}));

  auto archive = ArchiveReader::open(archiveDir);
  EXPECT_TRUE(archive->missingBlobs().empty());
  auto summary = describeArchive(*archive);
  std::string name = std::string(kRegistryName) + "/ferry-test/";

  // Operator images (by digest): the original index, only amd64 and arm64 carried.
  for (const auto& bundle : layout.bundles) {
    auto reference = ImageReference::parse(bundle.operatorImage);
    auto source = archive->source(reference.registry + "/" + reference.repository);
    auto index = source->getManifest(reference.digest->str());
    EXPECT_EQ(index.digest, *reference.digest);
    auto children = childrenOf(index);
    ASSERT_EQ(children.size(), 4u);
    EXPECT_TRUE(archive->blobSize(children.at("linux/amd64")));
    EXPECT_TRUE(archive->blobSize(children.at("linux/arm64")));
    EXPECT_FALSE(archive->blobSize(children.at("linux/s390x"))) << "a dropped platform was carried";
    EXPECT_FALSE(archive->blobSize(children.at("linux/ppc64le")));
    bool described = false;
    for (const auto& image : summary.images) {
      if (image.digest != *reference.digest) continue;
      described = true;
      EXPECT_EQ(std::set<std::string>(image.platforms.begin(), image.platforms.end()),
                (std::set<std::string>{"linux/amd64", "linux/arm64"}));
      EXPECT_EQ(std::set<std::string>(image.absentPlatforms.begin(), image.absentPlatforms.end()),
                (std::set<std::string>{"linux/s390x", "linux/ppc64le"}));
    }
    EXPECT_TRUE(described) << bundle.operatorImage;
  }

  // The additional image (by tag): a filtered index of s390x and ppc64le, a new digest, in the mapping.
  const auto& extra = imageNamed("ferry-test/extra");
  auto filtered = archive->source(name + "extra")->getManifest("stable");
  EXPECT_NE(filtered.digest, extra.digest);
  auto kept = childrenOf(filtered);
  EXPECT_EQ(kept.size(), 2u);
  EXPECT_TRUE(kept.count("linux/s390x") && kept.count("linux/ppc64le"));
  bool mapped = false;
  for (const auto& entry : readMappingTxt(report.mappingFile))
    if (entry.source.repository == "demo/ferry-test/extra" && entry.source.tag) {
      mapped = true;
      EXPECT_EQ(entry.destination.digest, filtered.digest) << entry.destination.str();
    }
  EXPECT_TRUE(mapped);

  // The additional image pinned by digest: sparse, the original index with its amd64 child.
  auto pinned = archive->source(name + "extra")->getManifest(extra.digest.str());
  EXPECT_EQ(pinned.digest, extra.digest);
  auto pinnedChildren = childrenOf(pinned);
  ASSERT_EQ(pinnedChildren.size(), 4u);
  EXPECT_TRUE(archive->blobSize(pinnedChildren.at("linux/amd64")));
  EXPECT_FALSE(archive->blobSize(pinnedChildren.at("linux/arm64"))) << "no entry asked for arm64 of it";

  // The rebuilt catalog lists exactly the chosen platforms, each with its own catalog.
  auto catalogName = name + "catalog";
  auto catalogIndex = archive->source(catalogName)->getManifest("v1");
  auto platforms = childrenOf(catalogIndex);
  EXPECT_EQ(platforms.size(), 2u);
  EXPECT_TRUE(platforms.count("linux/amd64") && platforms.count("linux/arm64"));
  auto rebuilt = catalog::readCatalogImage(*archive->source(catalogName), ImageReference::parse(catalogName + ":v1"),
                                           work.path() / "reread");
  ASSERT_EQ(rebuilt.platforms.size(), 2u);
  for (const auto& platform : rebuilt.platforms) {
    std::set<std::string> packages;
    for (const auto& package : rebuilt.variants[platform.variant].catalog.packages) packages.insert(package.name);
    if (platform.platform.str() == "linux/amd64") EXPECT_EQ(packages, (std::set<std::string>{"bar", "foo"}));
    if (platform.platform.str() == "linux/arm64") EXPECT_EQ(packages, (std::set<std::string>{"foo"}));
  }

  // A second run with the same configuration carries nothing: what the sparse and filtered images need shipped.
  auto again = MirrorRun(options).run();
  EXPECT_EQ(again.exitCode, 0) << (again.errors.empty() ? "" : again.errors.front());
  EXPECT_TRUE(again.nothingNew);
}

TEST_F(MirrorPlatformsTest, WithSparseTaggedImagesKeepTheirDigestToo) {
  MirrorOptions options{.workflow = Workflow::MirrorToDisk,
                        .configFile = writeConfig(),
                        .archiveDirectory = archiveDir,
                        .parallel = 2,
                        .endpoints = endpointOptions};
  options.sparseTagged = true;
  auto report = MirrorRun(options).run();
  ASSERT_EQ(report.exitCode, 0) << (report.errors.empty() ? "" : report.errors.front());
  auto archive = ArchiveReader::open(archiveDir);
  auto stored = archive->source(std::string(kRegistryName) + "/ferry-test/extra")->getManifest("stable");
  EXPECT_EQ(stored.digest, imageNamed("ferry-test/extra").digest);
  auto children = childrenOf(stored);
  ASSERT_EQ(children.size(), 4u);
  EXPECT_TRUE(archive->blobSize(children.at("linux/s390x")));
  EXPECT_FALSE(archive->blobSize(children.at("linux/arm64"))) << "a dropped platform was carried";
}

TEST_F(MirrorPlatformsTest, AnImageWithNoneOfTheChosenPlatformsIsReported) {
  auto path = work.path() / "isc.yaml";
  writeFileAtomically(path, fmt::format("apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\n"
                                        "mirror:\n  additionalImages:\n    - name: {}/ferry-test/extra:stable\n"
                                        "      platforms: [linux/riscv64]\n",
                                        kRegistryName));
  MirrorOptions options{.workflow = Workflow::MirrorToDisk,
                        .configFile = path,
                        .archiveDirectory = archiveDir,
                        .parallel = 2,
                        .endpoints = endpointOptions};
  auto report = MirrorRun(options).run();
  EXPECT_EQ(report.exitCode, kExitAdditional);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_NE(report.errors[0].find("has none of the selected platforms (linux/riscv64)"), std::string::npos)
      << report.errors[0];
}

}  // namespace
}  // namespace ferry::mirror
