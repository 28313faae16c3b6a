// Loading and writing the real catalogs in the shared FBC data set
// ($FERRY_FBC_DATA, default ../shared/fbc-data beside the source tree; skipped when absent).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/fbc/fbc_test_data.h"
#include "ferry/fbc/load.h"
#include "ferry/fbc/write.h"
#include "ferry/fbc/yaml_to_json.h"

namespace ferry::catalog {
namespace {
namespace fs = std::filesystem;


#define REQUIRE_DATA()                                                                  \
  if (!fs::is_directory(fbcDataDirectory())) {                                             \
    GTEST_SKIP() << "no FBC data at " << fbcDataDirectory() << " (set FERRY_FBC_DATA)"; \
  }

// Objects per schema counted from the files' text, independently of the
// loader: top-level `schema:` lines of YAML files (opm writes keys at column
// 0) and `    "schema": "..."` lines of JSON files (opm's 4-space indent).
std::map<std::string, size_t> schemaCounts(const fs::path& root) {
  std::map<std::string, size_t> counts;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.path().filename() == ".indexignore") continue;
    std::string text = readFile(entry.path());
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string_view line(text.data() + start, end - start);
      start = end + 1;
      constexpr std::string_view kYaml = "schema: ";
      constexpr std::string_view kJson = "    \"schema\": \"";
      if (line.substr(0, kYaml.size()) == kYaml) {
        counts[std::string(line.substr(kYaml.size()))]++;
      } else if (line.substr(0, kJson.size()) == kJson) {
        std::string_view value = line.substr(kJson.size());
        counts[std::string(value.substr(0, value.find('"')))]++;
      }
    }
  }
  return counts;
}

std::map<std::string, size_t> loadedCounts(const Catalog& catalog) {
  std::map<std::string, size_t> counts;
  if (!catalog.packages.empty()) counts["olm.package"] = catalog.packages.size();
  if (!catalog.channels.empty()) counts["olm.channel"] = catalog.channels.size();
  if (!catalog.bundles.empty()) counts["olm.bundle"] = catalog.bundles.size();
  if (!catalog.deprecations.empty()) counts["olm.deprecations"] = catalog.deprecations.size();
  for (const auto& other : catalog.others) counts[other.schema]++;
  return counts;
}

const std::vector<std::string> kRoots = {
    "community-operators-v4.17",
    "certified-operators-v4.16",
    "handmade/valid",
    "operator-registry-testdata/alpha/action/testdata/index-declcfgs/latest",
    "operator-registry-testdata/alpha/action/testdata/index-declcfgs/old",
    "operator-registry-testdata/alpha/action/testdata/index-declcfgs/exp-headsonly",
    "operator-registry-testdata/alpha/action/testdata/index-declcfgs/exp-include-pkg",
    "operator-registry-testdata/alpha/action/testdata/index-declcfgs/exp-include-channel",
    "operator-registry-testdata/alpha/action/testdata/index-declcfgs/exp-latest",
    "operator-registry-testdata/alpha/action/testdata/list-index",
    "operator-registry-testdata/alpha/action/testdata/foo-index-v0.2.0-declcfg",
    "catalog-filter-testdata/pkg/filter/mirror-config/v1alpha1/testdata/community-catalog",
    "catalog-filter-testdata/pkg/filter/mirror-config/v1alpha1/testdata/declarative_configs/configs",
};

TEST(CatalogRealData, EveryRootLoadsWithTheObjectsItsFilesHold) {
  REQUIRE_DATA();
  for (const auto& root : kRoots) {
    SCOPED_TRACE(root);
    Catalog catalog = loadCatalog(fbcDataDirectory() / root);
    auto expected = schemaCounts(fbcDataDirectory() / root);
    EXPECT_EQ(loadedCounts(catalog), expected);
    EXPECT_GT(catalog.bundles.size(), 0u);
    size_t withObjects = 0;
    for (const auto& bundle : catalog.bundles) {
      EXPECT_EQ(bundle.packagePropertyCount, 1) << bundle.origin;
      EXPECT_EQ(bundle.packageProperty, bundle.package) << bundle.origin;
      EXPECT_FALSE(bundle.version.empty()) << bundle.origin;
      withObjects += bundle.hasBundleObjects ? 1 : 0;
    }
    if (root == "certified-operators-v4.16") {
      EXPECT_GT(withObjects, 100u);  // olm.bundle.object payloads
    }
  }
}

TEST(CatalogRealData, KnownContents) {
  REQUIRE_DATA();
  Catalog assisted = loadCatalog(
      fbcDataDirectory() / "catalog-filter-testdata/pkg/filter/mirror-config/v1alpha1/testdata/community-catalog");
  ASSERT_EQ(assisted.packages.size(), 1u);
  EXPECT_EQ(assisted.packages[0].name, "assisted-service-operator");
  EXPECT_EQ(assisted.bundles.size(), 93u);

  Catalog valid = loadCatalog(fbcDataDirectory() / "handmade/valid");
  EXPECT_EQ(valid.packages.size(), 3u);
  EXPECT_EQ(valid.deprecations.size(), 1u);
  std::vector<std::string> otherSchemas;
  for (const auto& other : valid.others) otherSchemas.push_back(other.schema + "/" + other.package);
  std::sort(otherSchemas.begin(), otherSchemas.end());
  EXPECT_EQ(otherSchemas, (std::vector<std::string>{"example.com.catalog-info/", "example.com.lifecycle/depr"}));
  bool sawRelease = false;
  for (const auto& bundle : valid.bundles) sawRelease = sawRelease || !bundle.release.empty();
  EXPECT_TRUE(sawRelease);
}

TEST(CatalogRealData, HandmadeRootsLoadOrFailAsTheirReadmeSays) {
  REQUIRE_DATA();
  auto loadError = [](const std::string& root) -> std::string {
    try {
      loadCatalog(fbcDataDirectory() / "handmade" / root);
    } catch (const Error& error) {
      return error.what();
    }
    return "";
  };
  EXPECT_NE(loadError("invalid-missing-schema").find("a/catalog.json, object"), std::string::npos);
  EXPECT_NE(loadError("invalid-missing-schema").find("is missing root schema field"), std::string::npos);
  EXPECT_NE(loadError("invalid-unignored-readme").find("a/README.md"), std::string::npos);
  // The other invalid catalogs load; what is wrong with them is for validation.
  for (const auto& entry : fs::directory_iterator(fbcDataDirectory() / "handmade")) {
    std::string name = entry.path().filename();
    if (!entry.is_directory() || name == "invalid-missing-schema" || name == "invalid-unignored-readme") continue;
    EXPECT_EQ(loadError(name), "") << name;
  }
}

// The long-scalar shortcut of the YAML conversion must change nothing: the
// documents of the YAML catalogs convert to the same JSON with and without it.
// A full parse is slow, so the test takes every third file (all of them
// passed when the shortcut was written).
TEST(CatalogRealData, YamlShortcutGivesTheSameJsonAsAFullParse) {
  REQUIRE_DATA();
  size_t documents = 0;
  for (std::string root : {"community-operators-v4.17", "certified-operators-v4.16"}) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(fbcDataDirectory() / root)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (size_t f = 0; f < files.size(); f += 3) {
      std::string text = readFile(files[f]);
      std::string name = files[f].string();
      for (const auto& document : splitYamlDocuments(text, name)) {
        std::string where = fmt::format("{} (line {})", name, document.firstLine);
        auto fast = yamlDocumentToJson(document, where, true);
        auto full = yamlDocumentToJson(document, where, false);
        ASSERT_EQ(fast.has_value(), full.has_value()) << where;
        if (fast) {
          ASSERT_TRUE(*fast == *full) << where;
        }
        ++documents;
      }
    }
  }
  EXPECT_GT(documents, 300u);
}

template <typename T>
std::vector<const T*> sortedByKey(const std::vector<T>& objects) {
  std::vector<const T*> sorted;
  for (const auto& object : objects) sorted.push_back(&object);
  std::stable_sort(sorted.begin(), sorted.end(), [](const T* a, const T* b) { return a->json < b->json; });
  return sorted;
}

void expectSameCatalog(const Catalog& a, const Catalog& b) {
  ASSERT_EQ(a.packages.size(), b.packages.size());
  ASSERT_EQ(a.channels.size(), b.channels.size());
  ASSERT_EQ(a.bundles.size(), b.bundles.size());
  ASSERT_EQ(a.deprecations.size(), b.deprecations.size());
  ASSERT_EQ(a.others.size(), b.others.size());
  auto packagesA = sortedByKey(a.packages), packagesB = sortedByKey(b.packages);
  for (size_t i = 0; i < packagesA.size(); ++i) {
    EXPECT_EQ(packagesA[i]->json, packagesB[i]->json);
    EXPECT_EQ(packagesA[i]->name, packagesB[i]->name);
    EXPECT_EQ(packagesA[i]->defaultChannel, packagesB[i]->defaultChannel);
  }
  auto channelsA = sortedByKey(a.channels), channelsB = sortedByKey(b.channels);
  for (size_t i = 0; i < channelsA.size(); ++i) {
    const Channel& x = *channelsA[i];
    const Channel& y = *channelsB[i];
    EXPECT_EQ(x.json, y.json);
    EXPECT_EQ(x.package + "/" + x.name, y.package + "/" + y.name);
    ASSERT_EQ(x.entries.size(), y.entries.size()) << x.name;
    for (size_t e = 0; e < x.entries.size(); ++e) {
      EXPECT_EQ(x.entries[e].name, y.entries[e].name);
      EXPECT_EQ(x.entries[e].replaces, y.entries[e].replaces);
      EXPECT_EQ(x.entries[e].skips, y.entries[e].skips);
      EXPECT_EQ(x.entries[e].skipRange, y.entries[e].skipRange);
    }
  }
  auto bundlesA = sortedByKey(a.bundles), bundlesB = sortedByKey(b.bundles);
  for (size_t i = 0; i < bundlesA.size(); ++i) {
    const Bundle& x = *bundlesA[i];
    const Bundle& y = *bundlesB[i];
    ASSERT_TRUE(x.json == y.json) << x.origin << " vs " << y.origin;
    EXPECT_EQ(x.package + "/" + x.name + " " + x.image, y.package + "/" + y.name + " " + y.image);
    EXPECT_EQ(x.packagePropertyCount, y.packagePropertyCount);
    EXPECT_EQ(x.packageProperty + " " + x.version + " " + x.release, y.packageProperty + " " + y.version + " " + y.release);
    EXPECT_EQ(x.providedApis, y.providedApis);
    EXPECT_EQ(x.requiredApis, y.requiredApis);
    ASSERT_EQ(x.requiredPackages.size(), y.requiredPackages.size());
    for (size_t r = 0; r < x.requiredPackages.size(); ++r) {
      EXPECT_EQ(x.requiredPackages[r].packageName, y.requiredPackages[r].packageName);
      EXPECT_EQ(x.requiredPackages[r].versionRange, y.requiredPackages[r].versionRange);
    }
    ASSERT_EQ(x.relatedImages.size(), y.relatedImages.size());
    for (size_t r = 0; r < x.relatedImages.size(); ++r) {
      EXPECT_EQ(x.relatedImages[r].name + "=" + x.relatedImages[r].image,
                y.relatedImages[r].name + "=" + y.relatedImages[r].image);
    }
    EXPECT_EQ(x.hasBundleObjects, y.hasBundleObjects);
  }
  auto deprecationsA = sortedByKey(a.deprecations), deprecationsB = sortedByKey(b.deprecations);
  for (size_t i = 0; i < deprecationsA.size(); ++i) {
    EXPECT_EQ(deprecationsA[i]->json, deprecationsB[i]->json);
    EXPECT_EQ(deprecationsA[i]->package, deprecationsB[i]->package);
    ASSERT_EQ(deprecationsA[i]->entries.size(), deprecationsB[i]->entries.size());
  }
  auto othersA = sortedByKey(a.others), othersB = sortedByKey(b.others);
  for (size_t i = 0; i < othersA.size(); ++i) {
    EXPECT_EQ(othersA[i]->json, othersB[i]->json);
    EXPECT_EQ(othersA[i]->schema + " " + othersA[i]->package + " " + othersA[i]->name,
              othersB[i]->schema + " " + othersB[i]->package + " " + othersB[i]->name);
  }
}

TEST(CatalogRealData, LargestCatalogRoundTripsThroughWriteAndLoad) {
  REQUIRE_DATA();
  Catalog original = loadCatalog(fbcDataDirectory() / "certified-operators-v4.16");
  TemporaryDirectory directory("ferry-catalog-roundtrip");
  writeCatalog(original, directory.path() / "one");
  Catalog reloaded = loadCatalog(directory.path() / "one");
  expectSameCatalog(original, reloaded);

  // Writing what was read back gives the same bytes.
  writeCatalog(reloaded, directory.path() / "two");
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(directory.path() / "one")) {
    if (!entry.is_regular_file()) continue;
    auto relative = fs::relative(entry.path(), directory.path() / "one");
    ASSERT_TRUE(readFile(entry.path()) == readFile(directory.path() / "two" / relative)) << relative;
    ++files;
  }
  EXPECT_EQ(files, original.packages.size());
}

// The catalog-filter test data was written by opm: writing it again gives the same bytes.
TEST(CatalogRealData, RewritesOpmWrittenJsonByteForByte) {
  REQUIRE_DATA();
  fs::path testdata = fbcDataDirectory() / "catalog-filter-testdata/pkg/filter/mirror-config/v1alpha1/testdata";
  TemporaryDirectory directory("ferry-catalog-opm-bytes");
  writeCatalog(loadCatalog(testdata / "community-catalog"), directory.path() / "community");
  EXPECT_TRUE(readFile(directory.path() / "community/assisted-service-operator/catalog.json") ==
              readFile(testdata / "community-catalog/config.json"));
  writeCatalog(loadCatalog(testdata / "declarative_configs/configs"), directory.path() / "jaeger");
  EXPECT_TRUE(readFile(directory.path() / "jaeger/jaeger-product/catalog.json") ==
              readFile(testdata / "declarative_configs/configs/jaeger-product/catalog.json"));
}

TEST(CatalogRealData, HandmadeCatalogRoundTrips) {
  REQUIRE_DATA();
  Catalog original = loadCatalog(fbcDataDirectory() / "handmade/valid");
  TemporaryDirectory directory("ferry-catalog-roundtrip");
  writeCatalog(original, directory.path() / "out");
  expectSameCatalog(original, loadCatalog(directory.path() / "out"));
  EXPECT_TRUE(fs::exists(directory.path() / "out" / "catalog.json"));  // the root-level custom object
}

}  // namespace
}  // namespace ferry::catalog
