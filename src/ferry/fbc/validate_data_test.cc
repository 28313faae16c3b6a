// Validation of the catalogs in the shared FBC data set ($FERRY_FBC_DATA,
// default ../shared/fbc-data beside the source tree; skipped when absent): the hand-made
// catalogs with one validation error each (handmade/README.md lists opm's
// message for each), and the real, published catalogs, which opm accepts.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "ferry/base/error.h"
#include "ferry/fbc/fbc_test_data.h"
#include "ferry/fbc/load.h"
#include "ferry/fbc/validate.h"

namespace ferry::catalog {
namespace {
namespace fs = std::filesystem;


#define REQUIRE_DATA(subdirectory)                                                                       \
  if (!fs::is_directory(fbcDataDirectory() / (subdirectory))) {                                             \
    GTEST_SKIP() << "no FBC data at " << fbcDataDirectory() / (subdirectory) << " (set FERRY_FBC_DATA)"; \
  }

std::string joined(const std::vector<std::string>& problems) {
  std::string text;
  for (const auto& problem : problems) text += "\n  " + problem;
  return text;
}

TEST(CatalogValidateData, HandmadeValidCatalogHasNoProblems) {
  REQUIRE_DATA("handmade/valid");
  auto catalog = loadCatalog(fbcDataDirectory() / "handmade/valid");
  auto problems = validationProblems(catalog);
  EXPECT_TRUE(problems.empty()) << joined(problems);
}

TEST(CatalogValidateData, HandmadeInvalidCatalogsReportOpmsProblem) {
  REQUIRE_DATA("handmade");
  // Root, then fragments one problem must contain (opm's wording where ferry keeps it).
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"invalid-multiple-heads", {"multiple channel heads found in graph: a.v1, a.v2"}},
      {"invalid-no-head", {"no channel head found in graph"}},
      {"invalid-cycle", {"detected cycle in replaces chain of upgrade graph: a.v2 -> a.v1 -> a.v2"}},
      {"invalid-stranded", {"channel contains one or more stranded bundles: a.x, a.y"}},
      // opm reports the channel it invents for the missing default as empty.
      {"invalid-default-channel-missing", {"package \"a\": default channel \"stable\" not found in channels list"}},
      {"invalid-duplicate-version", {"duplicate versions found in bundles: [{1.0.0: [a.v1, a.v1b]}]"}},
      {"invalid-release-name", {"name \"a.v1.0.0.1\" does not match normalized name \"a-v1.0.0-1\""}},
      {"invalid-bundle-not-in-channel", {"package \"a\", bundle \"a.v2\" not found in any channel entries"}},
      {"invalid-entry-without-bundle", {"package \"a\"", "no olm.bundle blobs found", "[a.v2]"}},
      {"invalid-skiprange", {"invalid skipRange \">=1.0 <2.0.0\""}},
      {"invalid-bad-version", {"bundle \"a.v1\": invalid version", "version \"v1.0.0\""}},
      {"invalid-deprecated-missing-channel", {"package \"a\": cannot deprecate channel \"gone\": channel not found"}},
  };
  for (const auto& [root, fragments] : cases) {
    SCOPED_TRACE(root);
    auto path = fbcDataDirectory() / "handmade" / root;
    ASSERT_TRUE(fs::is_directory(path)) << path;
    auto problems = validationProblems(loadCatalog(path));
    bool found = false;
    for (const auto& problem : problems) {
      bool all = true;
      for (const auto& fragment : fragments) all = all && problem.find(fragment) != std::string::npos;
      found = found || all;
    }
    EXPECT_TRUE(found) << "no problem has all of the expected fragments; problems:" << joined(problems);
    EXPECT_THROW(validateCatalog(loadCatalog(path), root), Error);
  }
}

TEST(CatalogValidateData, HandmadeUnloadableCatalogsFailToLoad) {
  REQUIRE_DATA("handmade");
  for (const char* root : {"invalid-missing-schema", "invalid-unignored-readme"}) {
    SCOPED_TRACE(root);
    EXPECT_THROW(loadCatalog(fbcDataDirectory() / "handmade" / root), Error);
  }
}

// Published catalogs passed opm validation before they were published.
void expectValid(const fs::path& relativeRoot) {
  SCOPED_TRACE(relativeRoot.string());
  auto catalog = loadCatalog(fbcDataDirectory() / relativeRoot);
  EXPECT_FALSE(catalog.bundles.empty());
  auto start = std::chrono::steady_clock::now();
  auto problems = validationProblems(catalog);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems:" << joined(problems);
  std::cout << relativeRoot.string() << ": " << catalog.bundles.size() << " bundles validated in " << elapsed.count()
            << " ms\n";
}

TEST(CatalogValidateData, CommunityOperatorsAreValid) {
  REQUIRE_DATA("community-operators-v4.17");
  expectValid("community-operators-v4.17");
}

TEST(CatalogValidateData, CertifiedOperatorsAreValid) {
  REQUIRE_DATA("certified-operators-v4.16");
  expectValid("certified-operators-v4.16");
}

TEST(CatalogValidateData, CatalogFilterTestCatalogsAreValid) {
  const fs::path testdata = "catalog-filter-testdata/pkg/filter/mirror-config/v1alpha1/testdata";
  REQUIRE_DATA(testdata);
  expectValid(testdata / "community-catalog");
  expectValid(testdata / "declarative_configs/configs");
}

TEST(CatalogValidateData, OperatorRegistryTestCatalogsAreValid) {
  const fs::path testdata = "operator-registry-testdata/alpha/action/testdata";
  REQUIRE_DATA(testdata);
  for (const char* root : {"foo-index-v0.2.0-declcfg", "list-index", "index-declcfgs/old", "index-declcfgs/latest",
                           "index-declcfgs/exp-latest", "index-declcfgs/exp-headsonly",
                           "index-declcfgs/exp-include-channel", "index-declcfgs/exp-include-pkg"})
    expectValid(testdata / root);
}

}  // namespace
}  // namespace ferry::catalog
