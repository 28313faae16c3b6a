#include "ferry/filter/filter.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "ferry/base/error.h"
#include "ferry/filter/filter_test_support.h"
#include "ferry/fbc/semver.h"

namespace ferry::catalog {
namespace {

using namespace test_support;
using Entries = std::map<std::string, std::set<std::string>>;

std::string filterError(const Catalog& catalog, const CatalogSelection& selection) {
  try {
    filterCatalog(catalog, selection);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected filterCatalog to fail";
  return "";
}

// The "foo" package of operator-registry's test catalog, the one
// catalog-filter's documented cases use: 0.3.0 and 0.3.1 both replace 0.2.0,
// and 0.3.1 skips 0.3.0, so 0.3.0 is reachable only as a skip.
Catalog fooBeta() {
  return catalogFrom(packageObject("foo", "beta") +
                     channelObject("foo", "beta",
                                   {{"foo.v0.1.0", "", {}, "<0.1.0"},
                                    {"foo.v0.2.0", "foo.v0.1.0", {"foo.v0.1.1", "foo.v0.1.2"}, "<0.2.0"},
                                    {"foo.v0.3.0", "foo.v0.2.0"},
                                    {"foo.v0.3.1", "foo.v0.2.0", {"foo.v0.3.0"}}}) +
                     bundleObject("foo", "foo.v0.1.0", "0.1.0") + bundleObject("foo", "foo.v0.2.0", "0.2.0") +
                     bundleObject("foo", "foo.v0.3.0", "0.3.0") + bundleObject("foo", "foo.v0.3.1", "0.3.1"));
}

CatalogSelection fooRange(const std::string& minVersion, const std::string& maxVersion) {
  CatalogSelection selection;
  selection.skipDependencies = true;
  PackageSelection foo{"foo"};
  foo.channels.push_back({"beta", minVersion, maxVersion, ""});
  selection.packages.push_back(foo);
  return selection;
}

TEST(CatalogFilterVersionRange, CatalogFilterDocumentedCases) {
  auto catalog = fooBeta();
  EXPECT_EQ(channelEntries(filterCatalog(catalog, fooRange("0.2.0", "0.3.1")).catalog),
            (Entries{{"foo/beta", {"foo.v0.2.0", "foo.v0.3.0", "foo.v0.3.1"}}}));
  EXPECT_EQ(channelEntries(filterCatalog(catalog, fooRange("0.3.1", "0.3.1")).catalog),
            (Entries{{"foo/beta", {"foo.v0.3.1"}}}));

  // 0.3.0 is in range but reachable only as a skip of 0.3.1, which is out of
  // range: 0.3.1 is kept to connect it, with a warning.
  auto maxOnly = filterCatalog(catalog, fooRange("", "0.3.0"));
  EXPECT_EQ(channelEntries(maxOnly.catalog),
            (Entries{{"foo/beta", {"foo.v0.1.0", "foo.v0.2.0", "foo.v0.3.0", "foo.v0.3.1"}}}));
  ASSERT_EQ(maxOnly.warnings.size(), 1u);
  EXPECT_NE(maxOnly.warnings[0].find("kept foo.v0.3.1 (version 0.3.1), outside the range <=0.3.0"), std::string::npos)
      << maxOnly.warnings[0];
  EXPECT_EQ(defaultChannels(maxOnly.catalog), (std::map<std::string, std::string>{{"foo", "beta"}}));
  EXPECT_EQ(bundleNames(maxOnly.catalog).at("foo"),
            (std::set<std::string>{"foo.v0.1.0", "foo.v0.2.0", "foo.v0.3.0", "foo.v0.3.1"}));
}

TEST(CatalogFilterVersionRange, MinimumKeepsTheTopOfTheChain) {
  auto catalog = fooBeta();
  auto result = filterCatalog(catalog, fooRange("0.3.0", ""));
  EXPECT_EQ(channelEntries(result.catalog), (Entries{{"foo/beta", {"foo.v0.3.0", "foo.v0.3.1"}}}));
  EXPECT_TRUE(result.warnings.empty());
  // Pinning a bundle reachable only as a skip keeps it alone: a one-entry channel.
  EXPECT_EQ(channelEntries(filterCatalog(catalog, fooRange("0.3.0", "0.3.0")).catalog),
            (Entries{{"foo/beta", {"foo.v0.3.0"}}}));
}

TEST(CatalogFilterVersionRange, NothingInRangeOnTheOnlyChannelIsAnError) {
  auto catalog = fooBeta();
  auto message = filterError(catalog, fooRange("", "0.0.5"));
  EXPECT_NE(message.find("package \"foo\": no channel is left after filtering: channel \"beta\" has no bundle in "
                         "the range <=0.0.5"),
            std::string::npos)
      << message;
  message = filterError(catalog, fooRange("0.2.5", "0.2.5"));
  EXPECT_NE(message.find("channel \"beta\" has no bundle with version 0.2.5"), std::string::npos) << message;
}

TEST(CatalogFilterVersionRange, KeptEntriesKeepTheirOriginalEdges) {
  auto result = filterCatalog(fooBeta(), fooRange("0.2.0", "0.3.1"));
  for (const auto& entry : result.catalog.channels.at(0).entries) {
    if (entry.name == "foo.v0.2.0") {
      EXPECT_EQ(entry.replaces, "foo.v0.1.0");  // dangling now, as catalog-filter leaves it
      EXPECT_EQ(entry.skips, (std::vector<std::string>{"foo.v0.1.1", "foo.v0.1.2"}));
      EXPECT_EQ(entry.skipRange, "<0.2.0");
    }
  }
  expectJsonMatchesFields(result.catalog);
}

// Package "app": three channels sharing bundles, fan-in (1.0.1 and 1.1.0 both
// replace 1.0.0; 1.1.0 skips 1.0.1), a skipRange, a pre-release, a custom
// schema object and deprecations. Package "rh": Red Hat style versions
// (1.2.3-4, pre-releases in semver terms). A catalog-level custom object.
Catalog appCatalog() {
  std::string text = packageObject("app", "stable");
  text += channelObject("app", "stable",
                        {{"app.v1.0.0"},
                         {"app.v1.0.1", "app.v1.0.0"},
                         {"app.v1.1.0", "app.v1.0.0", {"app.v1.0.1"}},
                         {"app.v1.2.0", "app.v1.1.0", {}, ">=1.0.0 <1.2.0"},
                         {"app.v2.0.0", "app.v1.2.0"}});
  text += channelObject("app", "candidate", {{"app.v2.0.0"}, {"app.v2.1.0-rc.1", "app.v2.0.0"}});
  text += channelObject("app", "fast", {{"app.v1.2.0"}, {"app.v2.0.0", "app.v1.2.0"}});
  for (const char* version : {"1.0.0", "1.0.1", "1.1.0", "1.2.0", "2.0.0", "2.1.0-rc.1"}) {
    text += bundleObject("app", std::string("app.v") + version, version);
  }
  text += deprecationObject(
      "app",
      {{"olm.package", ""}, {"olm.channel", "fast"}, {"olm.bundle", "app.v1.0.0"}, {"olm.bundle", "app.v2.1.0-rc.1"}});
  text += R"({"schema":"example.com.lifecycle","package":"app","name":"app-lifecycle","phase":"ga"})"
          "\n";
  text += packageObject("rh", "stable");
  text +=
      channelObject("rh", "stable", {{"rh.v1.0.0-1"}, {"rh.v1.1.0-2", "rh.v1.0.0-1"}, {"rh.v1.2.0-1", "rh.v1.1.0-2"}});
  for (const char* version : {"1.0.0-1", "1.1.0-2", "1.2.0-1"}) {
    text += bundleObject("rh", std::string("rh.v") + version, version);
  }
  text += deprecationObject("rh", {{"olm.bundle", "rh.v1.0.0-1"}});
  text += R"({"schema":"example.com.catalog-info","name":"info"})"
          "\n";
  return catalogFrom(text);
}

PackageSelection appWith(std::vector<ChannelSelection> channels, const std::string& defaultChannel = "") {
  PackageSelection app{"app"};
  app.channels = std::move(channels);
  app.defaultChannel = defaultChannel;
  return app;
}

CatalogSelection only(std::vector<PackageSelection> packages, bool full = false) {
  CatalogSelection selection;
  selection.full = full;
  selection.packages = std::move(packages);
  return selection;
}

TEST(CatalogFilter, NoPackagesKeepsTheHeadOfEveryChannel) {
  auto catalog = appCatalog();
  auto result = filterCatalog(catalog, CatalogSelection{});
  EXPECT_EQ(channelEntries(result.catalog), (Entries{{"app/candidate", {"app.v2.1.0-rc.1"}},
                                                     {"app/fast", {"app.v2.0.0"}},
                                                     {"app/stable", {"app.v2.0.0"}},
                                                     {"rh/stable", {"rh.v1.2.0-1"}}}));
  EXPECT_EQ(bundleNames(result.catalog),
            (Entries{{"app", {"app.v2.0.0", "app.v2.1.0-rc.1"}}, {"rh", {"rh.v1.2.0-1"}}}));
  EXPECT_EQ(defaultChannels(result.catalog), (std::map<std::string, std::string>{{"app", "stable"}, {"rh", "stable"}}));
  // Deprecations: the dropped bundle's reference goes; rh's only reference
  // was to a dropped bundle, so its deprecation object goes.
  EXPECT_EQ(deprecationReferences(result.catalog),
            (Entries{{"app", {"olm.package ", "olm.channel fast", "olm.bundle app.v2.1.0-rc.1"}}}));
  EXPECT_EQ(otherNames(result.catalog),
            (std::set<std::string>{"example.com.lifecycle app/app-lifecycle", "example.com.catalog-info /info"}));
  EXPECT_TRUE(result.warnings.empty());
  EXPECT_TRUE(result.dependencyNotes.empty());
  expectJsonMatchesFields(result.catalog);
}

TEST(CatalogFilter, FullWithoutPackagesIsTheCatalogAsItIs) {
  auto catalog = appCatalog();
  CatalogSelection selection;
  selection.full = true;
  ASSERT_TRUE(selection.keepsWholeCatalog());
  auto result = filterCatalog(catalog, selection);
  ASSERT_EQ(result.catalog.channels.size(), catalog.channels.size());
  for (size_t i = 0; i < catalog.channels.size(); ++i)
    EXPECT_EQ(result.catalog.channels[i].json, catalog.channels[i].json);
  EXPECT_EQ(result.catalog.bundles.size(), catalog.bundles.size());
  EXPECT_EQ(result.catalog.deprecations.size(), 2u);
  EXPECT_EQ(result.catalog.textBytes(), catalog.textBytes());
}

TEST(CatalogFilter, ListedPackageWithoutChannelsKeepsEveryChannelHeadOrEverything) {
  auto catalog = appCatalog();
  auto heads = filterCatalog(catalog, only({PackageSelection{"rh"}}));
  EXPECT_EQ(channelEntries(heads.catalog), (Entries{{"rh/stable", {"rh.v1.2.0-1"}}}));
  EXPECT_EQ(deprecationReferences(heads.catalog), Entries{});
  EXPECT_EQ(otherNames(heads.catalog), (std::set<std::string>{"example.com.catalog-info /info"}));

  auto full = filterCatalog(catalog, only({PackageSelection{"app"}}, true));
  EXPECT_EQ(channelEntries(full.catalog),
            (Entries{{"app/candidate", {"app.v2.0.0", "app.v2.1.0-rc.1"}},
                     {"app/fast", {"app.v1.2.0", "app.v2.0.0"}},
                     {"app/stable", {"app.v1.0.0", "app.v1.0.1", "app.v1.1.0", "app.v1.2.0", "app.v2.0.0"}}}));
  EXPECT_EQ(bundleNames(full.catalog).at("app").size(), 6u);
  EXPECT_EQ(
      deprecationReferences(full.catalog),
      (Entries{{"app", {"olm.package ", "olm.channel fast", "olm.bundle app.v1.0.0", "olm.bundle app.v2.1.0-rc.1"}}}));
  EXPECT_EQ(otherNames(full.catalog),
            (std::set<std::string>{"example.com.lifecycle app/app-lifecycle", "example.com.catalog-info /info"}));
}

TEST(CatalogFilter, DefaultChannelFilteredOutNeedsDefaultChannel) {
  auto catalog = appCatalog();
  auto message = filterError(catalog, only({appWith({{"candidate"}})}));
  EXPECT_NE(message.find("package \"app\": the default channel \"stable\" was filtered out; set `defaultChannel` for "
                         "this package in the ImageSetConfiguration to one of the kept channels: candidate"),
            std::string::npos)
      << message;

  message = filterError(catalog, only({appWith({{"candidate"}}, "fast")}));
  EXPECT_NE(message.find("package \"app\": defaultChannel \"fast\" set in the ImageSetConfiguration is not among the "
                         "kept channels: candidate"),
            std::string::npos)
      << message;

  auto result = filterCatalog(catalog, only({appWith({{"candidate"}}, "candidate")}));
  EXPECT_EQ(channelEntries(result.catalog), (Entries{{"app/candidate", {"app.v2.1.0-rc.1"}}}));
  EXPECT_EQ(defaultChannels(result.catalog), (std::map<std::string, std::string>{{"app", "candidate"}}));
  // The channel reference to "fast" and the bundle reference to 1.0.0 go; the package reference stays.
  EXPECT_EQ(deprecationReferences(result.catalog), (Entries{{"app", {"olm.package ", "olm.bundle app.v2.1.0-rc.1"}}}));
  expectJsonMatchesFields(result.catalog);

  auto full = filterCatalog(catalog, only({appWith({{"candidate"}}, "candidate")}, true));
  EXPECT_EQ(channelEntries(full.catalog), (Entries{{"app/candidate", {"app.v2.0.0", "app.v2.1.0-rc.1"}}}));
}

TEST(CatalogFilter, DefaultChannelOfTheSelectionOnlyReplacesAFilteredOutDefault) {
  auto result = filterCatalog(appCatalog(), only({appWith({{"stable"}, {"fast"}}, "fast")}));
  EXPECT_EQ(defaultChannels(result.catalog), (std::map<std::string, std::string>{{"app", "stable"}}));
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find("defaultChannel \"fast\" from the ImageSetConfiguration is not used"),
            std::string::npos);
}

TEST(CatalogFilter, MissingChannelIsAWarningMissingPackageToo) {
  auto catalog = appCatalog();
  auto result = filterCatalog(catalog, only({appWith({{"stable"}, {"nightly"}}), PackageSelection{"nope"}}));
  EXPECT_EQ(channelEntries(result.catalog), (Entries{{"app/stable", {"app.v2.0.0"}}}));
  EXPECT_TRUE(containsText(result.warnings,
                           "package \"app\": channel \"nightly\" is not in the catalog (its "
                           "channels: stable, candidate, fast)"));
  // A package the catalog lacks fails that operator (not a warning), with the nearest name.
  EXPECT_FALSE(containsText(result.warnings, "package \"nope\""));
  EXPECT_TRUE(containsText(result.errors, "package \"nope\" is not in the catalog"));
  auto typo = filterCatalog(catalog, only({appWith({{"stable"}}), PackageSelection{"rhh"}}));
  ASSERT_EQ(typo.errors.size(), 1u);
  EXPECT_NE(typo.errors[0].find("package \"rhh\" is not in the catalog; nothing is mirrored for it; did you mean "
                                "\"rh\"?"),
            std::string::npos)
      << typo.errors[0];

  auto message = filterError(catalog, only({appWith({{"nightly"}})}));
  EXPECT_NE(message.find("package \"app\": no channel is left after filtering: channel \"nightly\" is not in the "
                         "catalog"),
            std::string::npos)
      << message;
  message = filterError(catalog, only({PackageSelection{"nope"}}));
  EXPECT_NE(message.find("no package is left after filtering"), std::string::npos) << message;
}

TEST(CatalogFilterVersionRange, FanInAndSkips) {
  auto result = filterCatalog(appCatalog(), only({appWith({{"stable", "1.0.1", "1.1.0", ""}})}));
  // 1.1.0 is the lowest chain entry holding both in-range bundles; 1.0.1 is its skip.
  EXPECT_EQ(channelEntries(result.catalog), (Entries{{"app/stable", {"app.v1.0.1", "app.v1.1.0"}}}));
  EXPECT_TRUE(result.warnings.empty());
}

TEST(CatalogFilterVersionRange, PackageRangeAppliesToEachChannel) {
  PackageSelection app{"app"};
  app.maxVersion = "1.2.0";
  auto result = filterCatalog(appCatalog(), only({app}));
  EXPECT_EQ(channelEntries(result.catalog),
            (Entries{{"app/fast", {"app.v1.2.0"}},
                     {"app/stable", {"app.v1.0.0", "app.v1.0.1", "app.v1.1.0", "app.v1.2.0"}}}));
  EXPECT_EQ(defaultChannels(result.catalog), (std::map<std::string, std::string>{{"app", "stable"}}));
  EXPECT_TRUE(containsText(result.warnings,
                           "package \"app\": channel \"candidate\" has no bundle in the range <=1.2.0; the channel is "
                           "left out"));
  // The candidate channel is gone, and so is the deprecation of 2.1.0-rc.1.
  EXPECT_EQ(deprecationReferences(result.catalog),
            (Entries{{"app", {"olm.package ", "olm.channel fast", "olm.bundle app.v1.0.0"}}}));
  expectJsonMatchesFields(result.catalog);
}

TEST(CatalogFilterVersionRange, DefaultChannelEmptiedByARange) {
  PackageSelection app{"app"};
  app.minVersion = "2.1.0-0";
  auto message = filterError(appCatalog(), only({app}));
  EXPECT_NE(message.find("the default channel \"stable\" was filtered out"), std::string::npos) << message;
  app.defaultChannel = "candidate";
  auto result = filterCatalog(appCatalog(), only({app}));
  EXPECT_EQ(channelEntries(result.catalog), (Entries{{"app/candidate", {"app.v2.1.0-rc.1"}}}));
  EXPECT_EQ(defaultChannels(result.catalog), (std::map<std::string, std::string>{{"app", "candidate"}}));
}

TEST(CatalogFilterVersionRange, PreReleasesAreOrdinaryVersions) {
  // blang semantics: 2.1.0-rc.1 is within <=2.1.0 (Masterminds would drop it).
  auto result = filterCatalog(appCatalog(), only({appWith({{"candidate", "2.0.0", "2.1.0", ""}}, "candidate")}));
  EXPECT_EQ(channelEntries(result.catalog), (Entries{{"app/candidate", {"app.v2.0.0", "app.v2.1.0-rc.1"}}}));

  // Red Hat versions are pre-releases: 1.1.0-2 is within >=1.0.0 (oc-mirror v2
  // would empty the channel), but lower than 1.1.0 itself.
  PackageSelection rh{"rh"};
  rh.minVersion = "1.0.0";
  EXPECT_EQ(channelEntries(filterCatalog(appCatalog(), only({rh})).catalog),
            (Entries{{"rh/stable", {"rh.v1.1.0-2", "rh.v1.2.0-1"}}}));
  rh.minVersion = "1.1.0";
  EXPECT_EQ(channelEntries(filterCatalog(appCatalog(), only({rh})).catalog), (Entries{{"rh/stable", {"rh.v1.2.0-1"}}}));
  rh.minVersion = "1.1.0-0";
  EXPECT_EQ(channelEntries(filterCatalog(appCatalog(), only({rh})).catalog),
            (Entries{{"rh/stable", {"rh.v1.1.0-2", "rh.v1.2.0-1"}}}));
}

TEST(CatalogFilterVersionRange, PinnedVersionComesFromThatChannelOnly) {
  auto result = filterCatalog(appCatalog(), only({appWith({{"stable"}, {"fast", "1.1.0", "1.1.0", ""}})}));
  // app.v1.1.0 exists in the package (channel stable) but not in fast.
  EXPECT_EQ(channelEntries(result.catalog), (Entries{{"app/stable", {"app.v2.0.0"}}}));
  EXPECT_TRUE(containsText(result.warnings, "channel \"fast\" has no bundle with version 1.1.0"));

  auto pinned = filterCatalog(appCatalog(), only({appWith({{"stable", "1.0.1", "1.0.1", ""}})}));
  EXPECT_EQ(channelEntries(pinned.catalog), (Entries{{"app/stable", {"app.v1.0.1"}}}));
}

TEST(CatalogFilterVersionRange, MinBundleStandsForItsVersion) {
  auto result = filterCatalog(appCatalog(), only({appWith({{"stable", "", "", "app.v1.2.0"}})}));
  EXPECT_EQ(channelEntries(result.catalog), (Entries{{"app/stable", {"app.v1.2.0", "app.v2.0.0"}}}));
  auto message = filterError(appCatalog(), only({appWith({{"stable", "", "", "app.v9.9.9"}})}));
  EXPECT_NE(message.find("package \"app\" channel \"stable\": minBundle \"app.v9.9.9\" is not a bundle of package "
                         "\"app\""),
            std::string::npos)
      << message;
}

TEST(CatalogFilterVersionRange, SelectionMistakesAreErrors) {
  auto catalog = appCatalog();
  PackageSelection both{"app"};
  both.minVersion = "1.0.0";
  both.channels.push_back({"stable", "", "1.2.0", ""});
  EXPECT_NE(filterError(catalog, only({both}))
                .find("version bounds are set both for the package and for channel "
                      "\"stable\""),
            std::string::npos);

  PackageSelection ranged{"app"};
  ranged.maxVersion = "1.2.0";
  EXPECT_NE(filterError(catalog, only({ranged}, true))
                .find("`full: true` keeps every bundle of the selected channels "
                      "and cannot be combined with minVersion"),
            std::string::npos);
  EXPECT_NE(filterError(catalog, only({appWith({{"stable", "1.0.0", "", ""}})}, true)).find("cannot be combined"),
            std::string::npos);

  // oc-mirror v1 reads a range inside full mode as that range; unranged packages stay full.
  auto v1 = only({ranged, PackageSelection{"rh"}}, true);
  v1.rangesWithinFull = true;
  auto ranges = filterCatalog(catalog, v1);
  EXPECT_EQ(channelEntries(ranges.catalog).at("app/stable"), (std::set<std::string>{"app.v1.0.0", "app.v1.0.1", "app.v1.1.0", "app.v1.2.0"}));
  EXPECT_EQ(channelEntries(ranges.catalog).at("rh/stable"),
            (std::set<std::string>{"rh.v1.0.0-1", "rh.v1.1.0-2", "rh.v1.2.0-1"}));

  PackageSelection badVersion{"app"};
  badVersion.minVersion = "v1.2";
  EXPECT_NE(filterError(catalog, only({badVersion})).find("minVersion \"v1.2\" is not a semantic version"),
            std::string::npos);

  PackageSelection inverted{"app"};
  inverted.minVersion = "2.0.0";
  inverted.maxVersion = "1.0.0";
  EXPECT_NE(filterError(catalog, only({inverted})).find("the minimum version 2.0.0 is greater than maxVersion 1.0.0"),
            std::string::npos);

  PackageSelection minTwice{"app"};
  minTwice.minVersion = "1.0.0";
  minTwice.minBundle = "app.v1.0.0";
  EXPECT_NE(filterError(catalog, only({minTwice})).find("set minVersion or minBundle, not both"), std::string::npos);

  EXPECT_NE(filterError(catalog, only({PackageSelection{"app"}, PackageSelection{"app"}})).find("listed twice"),
            std::string::npos);
}

TEST(CatalogFilter, InvalidSourceIsReportedAsSuch) {
  // The head's bundle object is missing: the filtered catalog cannot be valid.
  auto catalog =
      catalogFrom(packageObject("broken", "stable") +
                  channelObject("broken", "stable", {{"broken.v1.0.0"}, {"broken.v1.1.0", "broken.v1.0.0"}}) +
                  bundleObject("broken", "broken.v1.0.0", "1.0.0"));
  auto message = filterError(catalog, CatalogSelection{});
  EXPECT_NE(message.find("the filtered catalog is not valid"), std::string::npos) << message;
  EXPECT_NE(message.find("because the source catalog is not valid either"), std::string::npos) << message;
  EXPECT_NE(message.find("broken.v1.1.0"), std::string::npos) << message;
}

TEST(CatalogFilter, RelatedImagesAreBundleAndRelatedImagesDeduplicatedSorted) {
  Catalog catalog;
  Bundle a;
  a.image = "quay.io/b/bundle@sha256:1";
  a.relatedImages = {{"operator", "quay.io/a/operator@sha256:2"}, {"", "quay.io/b/bundle@sha256:1"}, {"x", ""}};
  Bundle b;
  b.image = "";
  b.relatedImages = {{"operator", "quay.io/a/operator@sha256:2"}, {"proxy", "docker.io/proxy:1"}};
  catalog.bundles = {a, b};
  EXPECT_EQ(relatedImages(catalog), (std::vector<std::string>{"docker.io/proxy:1", "quay.io/a/operator@sha256:2",
                                                              "quay.io/b/bundle@sha256:1"}));

  auto filtered = filterCatalog(appCatalog(), only({PackageSelection{"rh"}}));
  EXPECT_EQ(relatedImages(filtered.catalog),
            (std::vector<std::string>{"quay.io/test/rh.v1.2.0-1:bundle", "quay.io/test/rh.v1.2.0-1:operator"}));
}

// --- Real catalogs, when the shared FBC data is there (fbc_test_data.h). ---

Catalog loadOrSkip(const std::optional<std::filesystem::path>& root) { return root ? loadCatalog(*root) : Catalog{}; }

TEST(CatalogFilterRealData, CommunityCatalogFromCatalogFilterTestData) {
  auto root = fbcData("catalog-filter-testdata/pkg/filter/mirror-config/v1alpha1/testdata/community-catalog");
  if (!root) GTEST_SKIP() << "fbc-data not available";
  auto catalog = loadOrSkip(root);
  const std::string p = "assisted-service-operator";
  auto name = [&](const char* version) { return p + ".v" + version; };

  auto heads = filterCatalog(catalog, CatalogSelection{});
  EXPECT_EQ(channelEntries(heads.catalog), (Entries{{p + "/alpha", {name("0.7.74")}},
                                                    {p + "/ocm-2.10", {name("0.7.71")}},
                                                    {p + "/ocm-2.11", {name("0.7.73")}},
                                                    {p + "/ocm-2.13", {name("0.7.74")}},
                                                    {p + "/ocm-2.3", {name("0.0.8")}},
                                                    {p + "/ocm-2.4", {name("0.1.3")}},
                                                    {p + "/ocm-2.5", {name("0.3.30")}},
                                                    {p + "/ocm-2.6", {name("0.4.41")}},
                                                    {p + "/ocm-2.7", {name("0.4.50")}},
                                                    {p + "/ocm-2.8", {name("0.6.65")}},
                                                    {p + "/ocm-2.9", {name("0.7.67")}}}));

  // A range on one channel: 0.2.0 … 0.2.12, head 0.2.12 (every later entry skips them all).
  PackageSelection ranged{p};
  ranged.channels.push_back({"alpha", "0.2.0", "0.2.12", ""});
  auto range = filterCatalog(catalog, only({ranged}));
  std::set<std::string> expected;
  for (int patch = 0; patch <= 12; ++patch) expected.insert(name(("0.2." + std::to_string(patch)).c_str()));
  EXPECT_EQ(channelEntries(range.catalog), (Entries{{p + "/alpha", expected}}));

  // A package-level minimum: channels whose head is older are left out.
  PackageSelection minimum{p};
  minimum.minVersion = "0.7.70";
  auto recent = filterCatalog(catalog, only({minimum}));
  EXPECT_EQ(
      channelEntries(recent.catalog),
      (Entries{{p + "/alpha", {name("0.7.70"), name("0.7.71"), name("0.7.72"), name("0.7.73"), name("0.7.74")}},
               {p + "/ocm-2.10", {name("0.7.70"), name("0.7.71")}},
               {p + "/ocm-2.11", {name("0.7.70"), name("0.7.71"), name("0.7.72"), name("0.7.73")}},
               {p + "/ocm-2.13", {name("0.7.70"), name("0.7.71"), name("0.7.72"), name("0.7.73"), name("0.7.74")}}}));
  for (const char* channel : {"ocm-2.3", "ocm-2.4", "ocm-2.5", "ocm-2.6", "ocm-2.7", "ocm-2.8", "ocm-2.9"}) {
    EXPECT_TRUE(
        containsText(recent.warnings, "channel \"" + std::string(channel) + "\" has no bundle in the range >=0.7.70"))
        << channel;
  }
  EXPECT_EQ(recent.warnings.size(), 7u);

  // Old bundles reachable only as skips of 0.1.0: 0.1.0 connects them.
  PackageSelection old{p};
  old.channels.push_back({"alpha", "", "0.0.8", ""});
  auto oldest = filterCatalog(catalog, only({old}));
  EXPECT_EQ(channelEntries(oldest.catalog),
            (Entries{{p + "/alpha",
                      {name("0.0.1"), name("0.0.2"), name("0.0.3"), name("0.0.4"), name("0.0.5"), name("0.0.5-rc.1"),
                       name("0.0.6"), name("0.0.7"), name("0.0.8"), name("0.1.0")}}}));
  EXPECT_TRUE(containsText(oldest.warnings, "kept " + name("0.1.0") + " (version 0.1.0), outside the range <=0.0.8"));
  // 0.0.1 requires an API no bundle of this catalog provides.
  EXPECT_TRUE(containsText(oldest.warnings, "bundle " + name("0.0.1") + " (package " + p +
                                                "): no bundle in the catalog satisfies olm.gvk.required "
                                                "hive.openshift.io/v1 ClusterDeployment"));

  PackageSelection pinned{p};
  pinned.channels.push_back({"alpha", "0.0.5-rc.1", "0.0.5-rc.1", ""});
  EXPECT_EQ(channelEntries(filterCatalog(catalog, only({pinned})).catalog),
            (Entries{{p + "/alpha", {name("0.0.5-rc.1")}}}));

  auto full = filterCatalog(catalog, only({PackageSelection{p}}, true));
  EXPECT_EQ(bundleNames(full.catalog).at(p).size(), catalog.bundles.size());
  EXPECT_EQ(channelEntries(full.catalog), channelEntries(catalog));
}

TEST(CatalogFilterRealData, JaegerRedHatVersions) {
  auto root = fbcData("catalog-filter-testdata/pkg/filter/mirror-config/v1alpha1/testdata/declarative_configs/configs");
  if (!root) GTEST_SKIP() << "fbc-data not available";
  auto catalog = loadOrSkip(root);
  PackageSelection jaeger{"jaeger-product"};
  jaeger.minVersion = "1.40.0";
  EXPECT_EQ(channelEntries(filterCatalog(catalog, only({jaeger})).catalog),
            (Entries{{"jaeger-product/stable",
                      {"jaeger-operator.v1.42.0-5", "jaeger-operator.v1.42.0-5-0.1687199951.p",
                       "jaeger-operator.v1.47.1-5", "jaeger-operator.v1.51.0-1"}}}));
  jaeger.minVersion = "";
  jaeger.maxVersion = "1.42.0";
  jaeger.defaultChannel = "stable";
  EXPECT_EQ(channelEntries(filterCatalog(catalog, only({jaeger})).catalog),
            (Entries{{"jaeger-product/stable",
                      {"jaeger-operator.v1.30.2", "jaeger-operator.v1.34.1-5", "jaeger-operator.v1.42.0-5",
                       "jaeger-operator.v1.42.0-5-0.1687199951.p"}}}));
  // 1.42.0-5 and 1.42.0-5+0.1687199951.p are equal versions; the one written
  // exactly as asked is kept.
  jaeger.minVersion = "1.42.0-5";
  jaeger.maxVersion = "1.42.0-5";
  EXPECT_EQ(channelEntries(filterCatalog(catalog, only({jaeger})).catalog),
            (Entries{{"jaeger-product/stable", {"jaeger-operator.v1.42.0-5"}}}));
}

// Every package of a real catalog, filtered several ways: the filter checks
// its output with validateCatalog, so any invalid result fails here.
void filterEveryPackage(const Catalog& catalog) {
  auto heads = filterCatalog(catalog, CatalogSelection{});
  EXPECT_EQ(heads.catalog.packages.size(), catalog.packages.size());
  for (const auto& package : catalog.packages) {
    SCOPED_TRACE(package.name);
    std::vector<std::string> versions;
    for (const auto& bundle : catalog.bundles) {
      if (bundle.package == package.name) versions.push_back(bundle.version);
    }
    ASSERT_FALSE(versions.empty());
    std::sort(versions.begin(), versions.end(),
              [](const std::string& a, const std::string& b) { return Version::parse(a) < Version::parse(b); });
    const std::string& middle = versions[versions.size() / 2];
    for (int variant = 0; variant < 4; ++variant) {
      PackageSelection selection{package.name};
      if (variant == 0) selection.minVersion = middle;
      if (variant == 1) selection.maxVersion = middle;
      if (variant == 2) selection.minVersion = selection.maxVersion = middle;
      auto selectionFor = [&] { return only({selection}, variant == 3); };
      try {
        filterCatalog(catalog, selectionFor());
      } catch (const Error& e) {
        // A range may empty the default channel: name another one, as a user would.
        std::string message = e.what();
        if (message.find("no channel is left") != std::string::npos) continue;
        auto kept = message.find("kept channels: ");
        ASSERT_NE(kept, std::string::npos) << "variant " << variant << ": " << message;
        std::string channels = message.substr(kept + 15);
        selection.defaultChannel = channels.substr(0, channels.find(','));
        auto result = filterCatalog(catalog, selectionFor());
        EXPECT_EQ(defaultChannels(result.catalog).at(package.name), selection.defaultChannel);
      }
    }
  }
}

TEST(CatalogFilterRealData, CommunityOperatorsEveryPackageStaysValid) {
  auto root = fbcData("community-operators-v4.17");
  if (!root) GTEST_SKIP() << "fbc-data not available";
  filterEveryPackage(loadCatalog(*root));
}

TEST(CatalogFilterRealData, CertifiedOperatorsEveryPackageStaysValid) {
  auto root = fbcData("certified-operators-v4.16");
  if (!root) GTEST_SKIP() << "fbc-data not available";
  filterEveryPackage(loadCatalog(*root));
}

}  // namespace
}  // namespace ferry::catalog
