#include "ferry/filter/dependencies.h"

#include <gtest/gtest.h>

#include "ferry/fbc/load.h"
#include "ferry/filter/filter.h"
#include "ferry/filter/filter_test_support.h"

namespace ferry::catalog {
namespace {

using namespace test_support;
using Entries = std::map<std::string, std::set<std::string>>;
using Defaults = std::map<std::string, std::string>;

// foo.v1.2.0 requires: etcd in a range, logger below 1.2.0, an API that only
// an older channel of db provides, and an API nothing provides.
// etcd's head skips every older entry, including the one it replaces
// (OCPBUGS-11371: those are jumped over, not kept).
// cache-a and cache-b provide the same API at the same version; only
// cache-b's is in its package's default channel.
Catalog dependencyCatalog() {
  std::string text;
  text += packageObject("foo", "stable");
  text += channelObject("foo", "stable", {{"foo.v1.0.0"}, {"foo.v1.2.0", "foo.v1.0.0"}});
  text += bundleObject("foo", "foo.v1.0.0", "1.0.0", {requiresPackage("etcd", ">=0.6.0")});
  text += bundleObject(
      "foo", "foo.v1.2.0", "1.2.0",
      {requiresPackage("etcd", ">=0.9.0 <0.9.5"), requiresPackage("logger", "<1.2.0"),
       requiresApi("db.example.com", "v1", "Database"), requiresApi("missing.example.com", "v1", "Nothing")});

  text += packageObject("etcd", "stable");
  text += channelObject("etcd", "stable",
                        {{"etcd.v0.9.0"},
                         {"etcd.v0.9.2", "etcd.v0.9.0"},
                         {"etcd.v0.9.4", "etcd.v0.9.2"},
                         {"etcd.v0.9.6", "etcd.v0.9.4"},
                         {"etcd.v1.0.0", "etcd.v0.9.6", {"etcd.v0.9.6", "etcd.v0.9.4", "etcd.v0.9.2", "etcd.v0.9.0"}}});
  for (const char* version : {"0.9.0", "0.9.2", "0.9.4", "0.9.6", "1.0.0"}) {
    text += bundleObject("etcd", std::string("etcd.v") + version, version);
  }

  text += packageObject("db", "stable");
  text += channelObject("db", "stable", {{"db.v2.0.0"}});
  text += channelObject("db", "alpha", {{"db.v1.0.0"}, {"db.v1.1.0", "db.v1.0.0"}});
  text += bundleObject("db", "db.v2.0.0", "2.0.0", {providesApi("db.example.com", "v2", "Database")});
  text += bundleObject("db", "db.v1.0.0", "1.0.0", {providesApi("db.example.com", "v1", "Database")});
  text += bundleObject("db", "db.v1.1.0", "1.1.0",
                       {providesApi("db.example.com", "v1", "Database"), requiresPackage("logger", "")});

  text += packageObject("logger", "stable");
  text += channelObject("logger", "stable",
                        {{"logger.v1.0.0"},
                         {"logger.v1.1.0", "logger.v1.0.0"},
                         {"logger.v1.2.0", "logger.v1.1.0"},
                         {"logger.v2.0.0", "logger.v1.2.0"}});
  for (const char* version : {"1.0.0", "1.1.0", "1.2.0", "2.0.0"}) {
    text += bundleObject("logger", std::string("logger.v") + version, version);
  }

  text += packageObject("cache-a", "stable");
  text += channelObject("cache-a", "stable", {{"cache-a.v0.5.0"}});
  text += channelObject("cache-a", "beta", {{"cache-a.v1.0.0"}});
  text += bundleObject("cache-a", "cache-a.v0.5.0", "0.5.0");
  text += bundleObject("cache-a", "cache-a.v1.0.0", "1.0.0", {providesApi("cache.example.com", "v1", "Cache")});
  text += packageObject("cache-b", "stable");
  text += channelObject("cache-b", "stable", {{"cache-b.v1.0.0"}});
  text += bundleObject("cache-b", "cache-b.v1.0.0", "1.0.0", {providesApi("cache.example.com", "v1", "Cache")});

  text += packageObject("user", "stable");
  text += channelObject("user", "stable", {{"user.v1.0.0"}});
  text += bundleObject("user", "user.v1.0.0", "1.0.0", {requiresApi("cache.example.com", "v1", "Cache")});

  text += packageObject("bar", "stable");
  text += channelObject("bar", "stable", {{"bar.v1.0.0"}});
  text += bundleObject("bar", "bar.v1.0.0", "1.0.0", {requiresPackage("etcd", ">=0.9.3 <0.9.5")});

  text += packageObject("sloppy", "stable");
  text += channelObject("sloppy", "stable", {{"sloppy.v1.0.0"}});
  text += bundleObject("sloppy", "sloppy.v1.0.0", "1.0.0", {requiresPackage("etcd", ">=0.9")});
  return catalogFrom(text);
}

CatalogSelection packages(std::vector<PackageSelection> selected, bool full = false) {
  CatalogSelection selection;
  selection.full = full;
  selection.packages = std::move(selected);
  return selection;
}

TEST(CatalogDependencies, PackageAndApiRequirementsWithUpgradePaths) {
  auto result = filterCatalog(dependencyCatalog(), packages({PackageSelection{"foo"}}));
  EXPECT_EQ(channelEntries(result.catalog),
            (Entries{{"db/alpha", {"db.v1.1.0"}},
                     {"etcd/stable", {"etcd.v0.9.4", "etcd.v1.0.0"}},
                     {"foo/stable", {"foo.v1.2.0"}},
                     {"logger/stable", {"logger.v1.1.0", "logger.v1.2.0", "logger.v2.0.0"}}}));
  // db was not kept and its default channel does not hold the added bundle.
  EXPECT_EQ(defaultChannels(result.catalog),
            (Defaults{{"db", "alpha"}, {"etcd", "stable"}, {"foo", "stable"}, {"logger", "stable"}}));
  EXPECT_EQ(result.dependencyNotes,
            (std::vector<std::string>{
                "added etcd.v0.9.4 (package etcd, channel stable): required by foo.v1.2.0 (olm.package.required etcd "
                ">=0.9.0 <0.9.5)",
                "added etcd.v1.0.0 (package etcd, channel stable): on the upgrade path of etcd.v0.9.4 (required by "
                "foo.v1.2.0)",
                "added logger.v1.1.0 (package logger, channel stable): required by foo.v1.2.0 (olm.package.required "
                "logger <1.2.0)",
                "added logger.v1.2.0 (package logger, channel stable): on the upgrade path of logger.v1.1.0 (required "
                "by foo.v1.2.0)",
                "added logger.v2.0.0 (package logger, channel stable): on the upgrade path of logger.v1.1.0 (required "
                "by foo.v1.2.0)",
                "package db: default channel set to \"alpha\": the catalog's default channel \"stable\" does not hold "
                "db.v1.1.0",
                "added db.v1.1.0 (package db, channel alpha): required by foo.v1.2.0 (olm.gvk.required "
                "db.example.com/v1 Database)",
            }));
  ASSERT_EQ(result.warnings.size(), 2u);
  EXPECT_EQ(result.warnings[0],
            "package db: its default channel in the mirrored catalog is \"alpha\", not the catalog's \"stable\": no "
            "bundle of \"stable\" satisfies olm.gvk.required db.example.com/v1 Database (required by foo.v1.2.0); "
            "subscriptions to db without a channel follow \"alpha\"");
  EXPECT_EQ(result.warnings[1],
            "bundle foo.v1.2.0 (package foo): no bundle in the catalog satisfies olm.gvk.required "
            "missing.example.com/v1 Nothing; OLM will report the missing dependency when the operator is installed");
  expectJsonMatchesFields(result.catalog);
}

// The shape of certified-operators' pg4k-pgd and cloud-native-postgresql: the
// dependency's default channel holds releases that meet the range, a
// `candidate` channel holds newer release candidates (which meet it too).
Catalog prereleaseCatalog() {
  std::string text;
  text += packageObject("pg4k-pgd", "stable");
  text += channelObject("pg4k-pgd", "stable", {{"pg4k-pgd.v1.1.0"}});
  text += bundleObject("pg4k-pgd", "pg4k-pgd.v1.1.0", "1.1.0",
                       {requiresPackage("cloud-native-postgresql", ">=1.22.0")});
  text += packageObject("cloud-native-postgresql", "stable-v1");
  text += channelObject("cloud-native-postgresql", "stable-v1",
                        {{"cloud-native-postgresql.v1.28.0"},
                         {"cloud-native-postgresql.v1.28.1", "cloud-native-postgresql.v1.28.0"}});
  text += channelObject("cloud-native-postgresql", "candidate",
                        {{"cloud-native-postgresql.v1.28.1"},
                         {"cloud-native-postgresql.v1.29.0-rc1", "cloud-native-postgresql.v1.28.1"},
                         {"cloud-native-postgresql.v1.30.0-rc1", "cloud-native-postgresql.v1.29.0-rc1"}});
  for (const char* version : {"1.28.0", "1.28.1", "1.29.0-rc1", "1.30.0-rc1"})
    text += bundleObject("cloud-native-postgresql", std::string("cloud-native-postgresql.v") + version, version);
  // Only prereleases, outside the default channel: taken, with the default channel moved and a warning.
  text += packageObject("edge", "stable");
  text += channelObject("edge", "stable", {{"edge.v1.0.0"}});
  text += channelObject("edge", "candidate", {{"edge.v2.0.0-rc1"}, {"edge.v2.0.0-rc2", "edge.v2.0.0-rc1"}});
  for (const char* version : {"1.0.0", "2.0.0-rc1", "2.0.0-rc2"})
    text += bundleObject("edge", std::string("edge.v") + version, version);
  text += packageObject("edgy", "stable");
  text += channelObject("edgy", "stable", {{"edgy.v1.0.0"}});
  text += bundleObject("edgy", "edgy.v1.0.0", "1.0.0", {requiresPackage("edge", ">=2.0.0-rc1")});
  return catalogFrom(text);
}

TEST(CatalogDependencies, TheDefaultChannelAndReleasesAreTakenBeforeNewerPrereleases) {
  auto result = filterCatalog(prereleaseCatalog(), packages({PackageSelection{"pg4k-pgd"}}));
  EXPECT_EQ(channelEntries(result.catalog),
            (Entries{{"cloud-native-postgresql/stable-v1", {"cloud-native-postgresql.v1.28.1"}},
                     {"pg4k-pgd/stable", {"pg4k-pgd.v1.1.0"}}}));
  EXPECT_EQ(defaultChannels(result.catalog),
            (Defaults{{"cloud-native-postgresql", "stable-v1"}, {"pg4k-pgd", "stable"}}));
  EXPECT_TRUE(result.warnings.empty()) << result.warnings.front();

  result = filterCatalog(prereleaseCatalog(), packages({PackageSelection{"edgy"}}));
  EXPECT_EQ(channelEntries(result.catalog).at("edge/candidate"), (std::set<std::string>{"edge.v2.0.0-rc2"}));
  EXPECT_EQ(defaultChannels(result.catalog).at("edge"), "candidate");
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find("package edge: its default channel in the mirrored catalog is \"candidate\""),
            std::string::npos)
      << result.warnings[0];
}

// The same on the real certified-operators catalog, when the shared data holds both packages.
TEST(CatalogDependencies, RealPg4kPgdTakesReleasedCloudNativePostgresqlFromItsDefaultChannel) {
  auto root = fbcData("certified-operators-v4.16");
  if (!root) GTEST_SKIP() << "fbc-data not available";
  if (!std::filesystem::exists(*root / "pg4k-pgd") || !std::filesystem::exists(*root / "cloud-native-postgresql"))
    GTEST_SKIP() << "this copy of certified-operators-v4.16 lacks pg4k-pgd or cloud-native-postgresql "
                    "(files of 4 MiB and more were left out)";
  auto catalog = loadCatalog(*root);
  std::string originalDefault;
  for (const auto& package : catalog.packages)
    if (package.name == "cloud-native-postgresql") originalDefault = package.defaultChannel;
  auto result = filterCatalog(catalog, packages({PackageSelection{"pg4k-pgd"}}));
  EXPECT_EQ(defaultChannels(result.catalog).at("cloud-native-postgresql"), originalDefault);
  for (const auto& [channel, entries] : channelEntries(result.catalog))
    for (const auto& entry : entries)
      EXPECT_EQ(entry.find("-rc"), std::string::npos) << channel << ": " << entry;
}

TEST(CatalogDependencies, SkipDependencies) {
  auto selection = packages({PackageSelection{"foo"}});
  selection.skipDependencies = true;
  auto result = filterCatalog(dependencyCatalog(), selection);
  EXPECT_EQ(channelEntries(result.catalog), (Entries{{"foo/stable", {"foo.v1.2.0"}}}));
  EXPECT_TRUE(result.dependencyNotes.empty());
  EXPECT_TRUE(result.warnings.empty());
}

TEST(CatalogDependencies, NewestProviderThenWhatKeptBundlesStillMiss) {
  // With full, foo.v1.0.0 comes first: etcd >=0.6.0 takes the newest, the
  // head; foo.v1.2.0 then needs 0.9.4, which the kept head skips directly.
  auto result = filterCatalog(dependencyCatalog(), packages({PackageSelection{"foo"}}, true));
  EXPECT_EQ(channelEntries(result.catalog).at("etcd/stable"), (std::set<std::string>{"etcd.v0.9.4", "etcd.v1.0.0"}));
  EXPECT_EQ(result.dependencyNotes.at(0),
            "added etcd.v1.0.0 (package etcd, channel stable): required by foo.v1.0.0 (olm.package.required etcd "
            ">=0.6.0)");
  EXPECT_EQ(result.dependencyNotes.at(1),
            "added etcd.v0.9.4 (package etcd, channel stable): required by foo.v1.2.0 (olm.package.required etcd "
            ">=0.9.0 <0.9.5)");
}

TEST(CatalogDependencies, EqualVersionsPreferTheDefaultChannel) {
  auto result = filterCatalog(dependencyCatalog(), packages({PackageSelection{"user"}}));
  EXPECT_EQ(channelEntries(result.catalog),
            (Entries{{"cache-b/stable", {"cache-b.v1.0.0"}}, {"user/stable", {"user.v1.0.0"}}}));
  EXPECT_EQ(result.dependencyNotes,
            (std::vector<std::string>{"added cache-b.v1.0.0 (package cache-b, channel stable): required by user.v1.0.0 "
                                      "(olm.gvk.required cache.example.com/v1 Cache)"}));
}

TEST(CatalogDependencies, KeptBundleAlreadySatisfiesTheRequirement) {
  PackageSelection etcd{"etcd"};
  etcd.maxVersion = "0.9.2";
  auto result = filterCatalog(dependencyCatalog(), packages({PackageSelection{"foo"}, etcd}));
  // etcd 0.9.2 meets >=0.9.0 <0.9.5: nothing of etcd is added.
  EXPECT_EQ(channelEntries(result.catalog).at("etcd/stable"), (std::set<std::string>{"etcd.v0.9.0", "etcd.v0.9.2"}));
  EXPECT_FALSE(containsText(result.dependencyNotes, "package etcd"));
}

TEST(CatalogDependencies, DependencyAboveAKeptSegmentConnectsThroughTheHead) {
  PackageSelection etcd{"etcd"};
  etcd.maxVersion = "0.9.2";
  auto result = filterCatalog(dependencyCatalog(), packages({PackageSelection{"bar"}, etcd}));
  EXPECT_EQ(channelEntries(result.catalog).at("etcd/stable"),
            (std::set<std::string>{"etcd.v0.9.0", "etcd.v0.9.2", "etcd.v0.9.4", "etcd.v1.0.0"}));
  EXPECT_EQ(defaultChannels(result.catalog).at("etcd"), "stable");
}

TEST(CatalogDependencies, KeptPackageGetsAnotherChannel) {
  PackageSelection db{"db"};
  db.channels.push_back({"stable"});
  auto result = filterCatalog(dependencyCatalog(), packages({PackageSelection{"foo"}, db}));
  EXPECT_EQ(channelEntries(result.catalog).at("db/stable"), (std::set<std::string>{"db.v2.0.0"}));
  EXPECT_EQ(channelEntries(result.catalog).at("db/alpha"), (std::set<std::string>{"db.v1.1.0"}));
  // db was kept: its default channel stays.
  EXPECT_EQ(defaultChannels(result.catalog).at("db"), "stable");
  EXPECT_FALSE(containsText(result.dependencyNotes, "default channel"));
}

TEST(CatalogDependencies, InvalidRangeIsAWarning) {
  auto result = filterCatalog(dependencyCatalog(), packages({PackageSelection{"sloppy"}}));
  EXPECT_EQ(channelEntries(result.catalog), (Entries{{"sloppy/stable", {"sloppy.v1.0.0"}}}));
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].find("bundle sloppy.v1.0.0 (package sloppy): olm.package.required etcd >=0.9 has an "
                                    "invalid version range"),
            std::string::npos)
      << result.warnings[0];
}

TEST(CatalogDependencies, AddDependenciesDirectly) {
  auto catalog = dependencyCatalog();
  CatalogIndex index(catalog);
  KeptEntries kept;
  kept.channels["user"]["stable"] = {"user.v1.0.0"};
  kept.defaultChannels["user"] = "stable";
  std::vector<std::string> notes, warnings;
  addDependencies(index, kept, notes, warnings);
  EXPECT_EQ(kept.channels.at("cache-b").at("stable"), (std::set<std::string>{"cache-b.v1.0.0"}));
  EXPECT_EQ(kept.defaultChannels.at("cache-b"), "stable");
  EXPECT_EQ(kept.channels.count("cache-a"), 0u);
  EXPECT_EQ(notes.size(), 1u);
  EXPECT_TRUE(warnings.empty());
}

// operator-registry's `opm alpha diff` fixtures (oc-mirror v1 semantics),
// input latest/ and expected outputs.
class CatalogDependenciesOperatorRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fbcData("operator-registry-testdata/alpha/action/testdata/index-declcfgs");
    if (!root_) GTEST_SKIP() << "fbc-data not available";
    latest_ = loadCatalog(*root_ / "latest");
  }
  Catalog expected(const char* name) { return loadCatalog(*root_ / name); }

  std::optional<std::filesystem::path> root_;
  Catalog latest_;
};

TEST_F(CatalogDependenciesOperatorRegistry, HeadsOnlyMatchesExpectedOutput) {
  auto result = filterCatalog(latest_, CatalogSelection{});
  auto want = expected("exp-headsonly");
  // bar.v0.1.0 (foo.v0.3.1 requires bar <0.2.0) and bar.v0.2.0 (which skips it,
  // on the way to the head) are added, as oc-mirror v1 does.
  EXPECT_EQ(channelEntries(result.catalog), channelEntries(want));
  EXPECT_EQ(bundleNames(result.catalog), bundleNames(want));
  EXPECT_EQ(defaultChannels(result.catalog), defaultChannels(want));
  EXPECT_EQ(
      result.dependencyNotes,
      (std::vector<std::string>{
          "added bar.v0.1.0 (package bar, channel alpha): required by foo.v0.3.1 (olm.package.required bar <0.2.0)",
          "added bar.v0.2.0 (package bar, channel alpha): on the upgrade path of bar.v0.1.0 (required by "
          "foo.v0.3.1)"}));
}

// The fixtures include baz "additively" (heads of everything else plus all of
// baz). ferry has no additive mode: the packages listed are the catalog. So
// ferry's result for baz (full) must equal the fixture's baz, and the rest of
// the fixture must equal ferry's heads-only result.
TEST_F(CatalogDependenciesOperatorRegistry, IncludePackageAndChannelMatchExpectedOutput) {
  auto headsOnly = channelEntries(filterCatalog(latest_, CatalogSelection{}).catalog);
  PackageSelection bazStable{"baz"};
  bazStable.channels.push_back({"stable"});
  for (const auto& [fixture, baz] : std::vector<std::pair<const char*, PackageSelection>>{
           {"exp-include-pkg", PackageSelection{"baz"}}, {"exp-include-channel", bazStable}}) {
    SCOPED_TRACE(fixture);
    auto want = channelEntries(expected(fixture));
    auto result = filterCatalog(latest_, packages({baz}, true));
    EXPECT_EQ(channelEntries(result.catalog), (Entries{{"baz/stable", want.at("baz/stable")}}));
    EXPECT_EQ(want.at("baz/stable"), (std::set<std::string>{"baz.v1.0.0", "baz.v1.0.1", "baz.v1.1.0"}));
    for (const auto& [channel, entries] : want) {
      if (channel.rfind("baz/", 0) == 0) continue;
      EXPECT_EQ(headsOnly.at(channel), entries) << channel;
    }
  }
}

}  // namespace
}  // namespace ferry::catalog
