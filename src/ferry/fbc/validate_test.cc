#include "ferry/fbc/validate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <iostream>

#include "ferry/base/error.h"

namespace ferry::catalog {
namespace {

Package makePackage(std::string name, std::string defaultChannel) {
  Package package;
  package.name = std::move(name);
  package.defaultChannel = std::move(defaultChannel);
  package.json = "{}";
  return package;
}

ChannelEntry entry(std::string name, std::string replaces = "", std::vector<std::string> skips = {},
                   std::string skipRange = "") {
  return ChannelEntry{std::move(name), std::move(replaces), std::move(skips), std::move(skipRange)};
}

Channel makeChannel(std::string package, std::string name, std::vector<ChannelEntry> entries) {
  Channel channel;
  channel.package = std::move(package);
  channel.name = std::move(name);
  channel.entries = std::move(entries);
  channel.json = "{}";
  return channel;
}

Bundle makeBundle(std::string package, std::string name, std::string version) {
  Bundle bundle;
  bundle.package = package;
  bundle.name = std::move(name);
  std::string tag = "v" + version;
  std::replace(tag.begin(), tag.end(), '+', '_');  // '+' is not allowed in a tag
  bundle.image = "quay.io/example/" + package + "-bundle:" + tag;
  bundle.packagePropertyCount = 1;
  bundle.packageProperty = std::move(package);
  bundle.version = std::move(version);
  bundle.json = "{}";
  return bundle;
}

// Two packages with the graph shapes opm accepts: a tail that replaces a
// bundle that is not there, fan-in made valid by a skip, a skipRange, a
// bundle in two channels, deprecations of every kind.
Catalog validCatalog() {
  Catalog catalog;
  catalog.packages = {makePackage("foo", "stable"), makePackage("bar", "alpha")};
  catalog.channels = {
      makeChannel("foo", "stable",
                  {entry("foo.v0.1.0"), entry("foo.v0.2.0", "foo.v0.1.0"),
                   entry("foo.v0.3.0", "foo.v0.2.0", {}, ">=0.1.0 <0.3.0")}),
      makeChannel("foo", "beta", {entry("foo.v0.1.0"), entry("foo.v0.3.0", "foo.v0.1.0")}),
      makeChannel("bar", "alpha",
                  {entry("bar.v1.0.0", "bar.v0.9.0"), entry("bar.v1.0.1", "bar.v1.0.0"),
                   entry("bar.v1.1.0", "bar.v1.0.0"), entry("bar.v1.2.0", "bar.v1.1.0", {"bar.v1.0.1"})}),
  };
  catalog.bundles = {
      makeBundle("foo", "foo.v0.1.0", "0.1.0"),   makeBundle("foo", "foo.v0.2.0", "0.2.0"),
      makeBundle("foo", "foo.v0.3.0", "0.3.0"),   makeBundle("bar", "bar.v1.0.0", "1.0.0+1"),
      makeBundle("bar", "bar.v1.0.1", "1.0.0+2"), makeBundle("bar", "bar.v1.1.0", "1.1.0"),
      makeBundle("bar", "bar.v1.2.0", "1.2.0-rc.1"),
  };
  catalog.deprecations = {Deprecation{"foo",
                                      {{"olm.package", "", "foo is going away"},
                                       {"olm.channel", "beta", "use stable"},
                                       {"olm.bundle", "foo.v0.1.0", "broken"}},
                                      "{}",
                                      ""}};
  catalog.others = {OtherObject{"example.com.lifecycle", "foo", "x", "{}", ""}};
  return catalog;
}

Channel* findChannel(Catalog& catalog, const std::string& package, const std::string& name) {
  for (auto& channel : catalog.channels)
    if (channel.package == package && channel.name == name) return &channel;
  throw std::logic_error("no channel " + name);
}

Bundle* findBundle(Catalog& catalog, const std::string& name) {
  for (auto& bundle : catalog.bundles)
    if (bundle.name == name) return &bundle;
  throw std::logic_error("no bundle " + name);
}

std::string joined(const std::vector<std::string>& problems) {
  std::string text;
  for (const auto& problem : problems) text += "\n  " + problem;
  return text;
}

// The catalog has exactly one problem, and it contains every fragment.
void expectOneProblem(const Catalog& catalog, const std::vector<std::string>& fragments) {
  auto problems = validationProblems(catalog);
  ASSERT_EQ(problems.size(), 1u) << joined(problems);
  for (const auto& fragment : fragments)
    EXPECT_NE(problems[0].find(fragment), std::string::npos) << "missing '" << fragment << "' in: " << problems[0];
}

// Some problem contains every fragment.
void expectSomeProblem(const Catalog& catalog, const std::vector<std::string>& fragments) {
  auto problems = validationProblems(catalog);
  for (const auto& problem : problems) {
    bool all = true;
    for (const auto& fragment : fragments) all = all && problem.find(fragment) != std::string::npos;
    if (all) return;
  }
  ADD_FAILURE() << "no problem has all of the fragments; problems:" << joined(problems);
}

TEST(CatalogValidate, ValidCatalogHasNoProblems) {
  auto catalog = validCatalog();
  EXPECT_EQ(validationProblems(catalog), std::vector<std::string>{});
  EXPECT_NO_THROW(validateCatalog(catalog, "test catalog"));
}

TEST(CatalogValidate, PackageWithNoName) {
  auto catalog = validCatalog();
  catalog.packages.push_back(makePackage("", "stable"));
  catalog.packages.back().origin = "pkg/catalog.json, object 9";
  expectOneProblem(catalog, {"config contains package with no name", "pkg/catalog.json, object 9"});
}

TEST(CatalogValidate, DuplicatePackage) {
  auto catalog = validCatalog();
  catalog.packages.push_back(makePackage("foo", "beta"));
  expectOneProblem(catalog, {"duplicate package \"foo\""});
}

TEST(CatalogValidate, PackageNameMustBeADns1123Label) {
  for (const std::string& name : std::vector<std::string>{"Foo", "foo_bar", "-foo", "foo-", "foo.bar", std::string(64, 'a')}) {
    SCOPED_TRACE(name);
    Catalog catalog;
    catalog.packages = {makePackage(name, "stable")};
    catalog.channels = {makeChannel(name, "stable", {entry("b.v1")})};
    catalog.bundles = {makeBundle(name, "b.v1", "1.0.0")};
    catalog.bundles[0].image = "quay.io/example/bundle:v1";
    expectOneProblem(catalog, {"invalid package name \"" + name + "\""});
  }
  auto longName = validationProblems(Catalog{{makePackage(std::string(64, 'a'), "")}, {}, {}, {}, {}});
  EXPECT_NE(joined(longName).find("at most 63"), std::string::npos) << joined(longName);
}

TEST(CatalogValidate, ChannelOfUnknownPackage) {
  auto catalog = validCatalog();
  catalog.channels.push_back(makeChannel("nope", "stable", {entry("nope.v1")}));
  expectOneProblem(catalog, {"unknown package \"nope\" for channel \"stable\""});
}

TEST(CatalogValidate, ChannelWithNoNameOrNoPackage) {
  auto catalog = validCatalog();
  catalog.channels.push_back(makeChannel("foo", "", {entry("foo.v0.3.0")}));
  expectOneProblem(catalog, {"package \"foo\" contains channel with no name"});

  catalog = validCatalog();
  catalog.channels.push_back(makeChannel("", "stable", {entry("foo.v0.3.0")}));
  expectOneProblem(catalog, {"olm.channel \"stable\"", "has no package"});
}

TEST(CatalogValidate, DuplicateChannel) {
  auto catalog = validCatalog();
  catalog.channels.push_back(makeChannel("foo", "beta", {entry("foo.v0.3.0")}));
  expectOneProblem(catalog, {"package \"foo\" has duplicate channel \"beta\""});
}

TEST(CatalogValidate, DuplicateEntry) {
  auto catalog = validCatalog();
  findChannel(catalog, "foo", "beta")->entries.push_back(entry("foo.v0.1.0"));
  expectSomeProblem(catalog, {"package \"foo\", channel \"beta\"", "duplicate entry \"foo.v0.1.0\""});
}

TEST(CatalogValidate, EntryWithNoName) {
  auto catalog = validCatalog();
  // The nameless entry also spoils the graph (here: the tail's empty
  // "replaces" points at it, a cycle, as opm sees it too).
  findChannel(catalog, "foo", "beta")->entries.push_back(entry("", "foo.v0.3.0"));
  expectSomeProblem(catalog, {"package \"foo\", channel \"beta\": an entry has no name"});
}

TEST(CatalogValidate, BundleWithNoPackageOrUnknownPackage) {
  auto catalog = validCatalog();
  catalog.bundles.push_back(makeBundle("", "lost.v1", "1.0.0"));
  expectOneProblem(catalog, {"olm.bundle \"lost.v1\"", "has no package"});

  catalog = validCatalog();
  catalog.bundles.push_back(makeBundle("nope", "nope.v1", "1.0.0"));
  expectOneProblem(catalog, {"unknown package \"nope\" for bundle \"nope.v1\""});
}

TEST(CatalogValidate, BundleWithNoName) {
  auto catalog = validCatalog();
  catalog.bundles.push_back(makeBundle("foo", "", "9.0.0"));
  expectOneProblem(catalog, {"package \"foo\": olm.bundle", "has no name"});
}

TEST(CatalogValidate, DuplicateBundle) {
  auto catalog = validCatalog();
  catalog.bundles.push_back(makeBundle("foo", "foo.v0.2.0", "0.2.1"));
  expectOneProblem(catalog, {"package \"foo\" has duplicate bundle \"foo.v0.2.0\""});
}

TEST(CatalogValidate, ExactlyOnePackageProperty) {
  for (int count : {0, 2}) {
    auto catalog = validCatalog();
    findBundle(catalog, "foo.v0.2.0")->packagePropertyCount = count;
    expectOneProblem(catalog, {"package \"foo\", bundle \"foo.v0.2.0\"",
                               "must have exactly 1 \"olm.package\" property, found " + std::to_string(count)});
  }
}

TEST(CatalogValidate, PackagePropertyMustNameTheBundlesPackage) {
  auto catalog = validCatalog();
  findBundle(catalog, "foo.v0.2.0")->packageProperty = "bar";
  expectOneProblem(catalog,
                   {"bundle \"foo.v0.2.0\"", "package \"foo\" does not match \"olm.package\" property \"bar\""});
}

TEST(CatalogValidate, VersionMustBeStrictSemver) {
  for (const std::string& version : std::vector<std::string>{"v0.2.0", "0.2", "0.02.0", "0.2.0-", ""}) {
    SCOPED_TRACE(version);
    auto catalog = validCatalog();
    findBundle(catalog, "foo.v0.2.0")->version = version;
    expectOneProblem(catalog, {"package \"foo\", bundle \"foo.v0.2.0\": invalid version",
                               "version \"" + version + "\""});
  }
}

TEST(CatalogValidate, DuplicateVersionsComparedAsText) {
  auto catalog = validCatalog();
  findBundle(catalog, "foo.v0.2.0")->version = "0.1.0";
  expectOneProblem(catalog, {"package \"foo\": duplicate versions found in bundles: [{0.1.0: [foo.v0.1.0, foo.v0.2.0]}]"});
  // 1.0.0+1 and 1.0.0+2 (in the valid catalog) differ as text: no problem there.
  catalog = validCatalog();
  findBundle(catalog, "bar.v1.0.1")->version = "1.0.0+1";
  expectOneProblem(catalog, {"{1.0.0+1: [bar.v1.0.0, bar.v1.0.1]}"});
}

TEST(CatalogValidate, ReleaseRules) {
  Catalog catalog;
  catalog.packages = {makePackage("rel", "stable")};
  catalog.channels = {makeChannel("rel", "stable", {entry("rel-v1.0.0-1"), entry("rel-v1.0.0-2", "rel-v1.0.0-1")})};
  catalog.bundles = {makeBundle("rel", "rel-v1.0.0-1", "1.0.0"), makeBundle("rel", "rel-v1.0.0-2", "1.0.0")};
  catalog.bundles[0].release = "1";
  catalog.bundles[1].release = "2";
  EXPECT_EQ(validationProblems(catalog), std::vector<std::string>{});

  auto wrongName = catalog;
  wrongName.bundles[1].release = "3";
  expectOneProblem(wrongName, {"bundle \"rel-v1.0.0-2\"", "does not match normalized name \"rel-v1.0.0-3\""});

  auto badRelease = catalog;
  badRelease.bundles[1].release = "01";
  expectOneProblem(badRelease, {"bundle \"rel-v1.0.0-2\"", "invalid release \"01\""});
  badRelease.bundles[1].release = std::string(21, 'a');
  expectOneProblem(badRelease, {"invalid release", "at most 20"});

  auto withBuild = catalog;
  withBuild.bundles[1].version = "1.0.0+b";
  withBuild.bundles[1].name = "rel-v1.0.0+b-2";
  withBuild.channels[0].entries[1].name = "rel-v1.0.0+b-2";
  expectOneProblem(withBuild, {"cannot use build metadata in version with a release version"});

  // The release is part of the compared version text: 1.0.0 release 1 collides with 1.0.0-1.
  auto collision = catalog;
  collision.bundles[1].release = "";
  collision.bundles[1].version = "1.0.0-1";
  expectOneProblem(collision, {"{1.0.0-1: [rel-v1.0.0-1, rel-v1.0.0-2]}"});
}

TEST(CatalogValidate, ChannelEntriesNeedBundles) {
  auto catalog = validCatalog();
  findChannel(catalog, "foo", "beta")->entries.push_back(entry("foo.v0.4.0", "foo.v0.3.0"));
  expectOneProblem(catalog, {"package \"foo\": no olm.bundle blobs found for olm.channel entries [foo.v0.4.0]",
                             "in channels beta"});
}

TEST(CatalogValidate, EveryBundleInSomeChannel) {
  auto catalog = validCatalog();
  catalog.bundles.push_back(makeBundle("foo", "foo.v0.9.0", "0.9.0"));
  expectOneProblem(catalog, {"package \"foo\", bundle \"foo.v0.9.0\" not found in any channel entries"});
}

TEST(CatalogValidate, ChannelMustNotBeEmpty) {
  auto catalog = validCatalog();
  findChannel(catalog, "foo", "beta")->entries.clear();
  expectOneProblem(catalog, {"package \"foo\", channel \"beta\": channel must contain at least one bundle"});
}

TEST(CatalogValidate, ExactlyOneHead) {
  auto catalog = validCatalog();
  findChannel(catalog, "foo", "beta")->entries = {entry("foo.v0.1.0"), entry("foo.v0.3.0")};
  expectOneProblem(catalog,
                   {"package \"foo\", channel \"beta\": multiple channel heads found in graph: foo.v0.1.0, foo.v0.3.0"});

  catalog = validCatalog();
  findChannel(catalog, "foo", "beta")->entries = {entry("foo.v0.1.0", "foo.v0.3.0"), entry("foo.v0.3.0", "foo.v0.1.0")};
  expectOneProblem(catalog, {"package \"foo\", channel \"beta\": no channel head found in graph"});
}

TEST(CatalogValidate, SkipRangeDoesNotMakeAHead) {
  // opm ignores skipRange when it looks for the head: two heads.
  auto catalog = validCatalog();
  findChannel(catalog, "foo", "beta")->entries = {entry("foo.v0.1.0"), entry("foo.v0.3.0", "", {}, ">=0.1.0 <0.3.0")};
  expectOneProblem(catalog, {"multiple channel heads found in graph: foo.v0.1.0, foo.v0.3.0"});
}

TEST(CatalogValidate, ReplacesCycle) {
  // Head v0.3.0 -> v0.2.0 -> v0.1.0 -> v0.2.0.
  auto catalog = validCatalog();
  findChannel(catalog, "foo", "stable")->entries = {entry("foo.v0.1.0", "foo.v0.2.0"),
                                                    entry("foo.v0.2.0", "foo.v0.1.0"),
                                                    entry("foo.v0.3.0", "foo.v0.2.0")};
  expectOneProblem(catalog, {"package \"foo\", channel \"stable\": detected cycle in replaces chain of upgrade graph: "
                             "foo.v0.2.0 -> foo.v0.1.0 -> foo.v0.2.0"});
}

TEST(CatalogValidate, StrandedBundles) {
  // v0.1.0 and v0.2.0 replace each other off the head's chain.
  auto catalog = validCatalog();
  findChannel(catalog, "foo", "beta")->entries = {entry("foo.v0.2.0", "foo.v0.1.0"), entry("foo.v0.1.0", "foo.v0.2.0"),
                                                  entry("foo.v0.3.0", "foo.v0.0.1")};
  expectOneProblem(catalog, {"package \"foo\", channel \"beta\": channel contains one or more stranded bundles: "
                             "foo.v0.1.0, foo.v0.2.0 (",
                             "the head foo.v0.3.0"});
}

TEST(CatalogValidate, SkippedReplacesTargetEndsTheChain) {
  // v0.3.0 skips v0.2.0, which it also replaces: opm's walk stops there, so
  // v0.1.0 (replaced only by the skipped v0.2.0) is stranded.
  auto catalog = validCatalog();
  findChannel(catalog, "foo", "beta")->entries = {entry("foo.v0.1.0"), entry("foo.v0.2.0", "foo.v0.1.0"),
                                                  entry("foo.v0.3.0", "foo.v0.2.0", {"foo.v0.2.0"})};
  expectOneProblem(catalog, {"channel contains one or more stranded bundles: foo.v0.1.0 ("});

  // Skipping v0.1.0 as well makes it reachable again.
  findChannel(catalog, "foo", "beta")->entries[2].skips.push_back("foo.v0.1.0");
  EXPECT_EQ(validationProblems(catalog), std::vector<std::string>{});
}

TEST(CatalogValidate, InvalidSkipRangeAndEmptySkip) {
  auto catalog = validCatalog();
  findChannel(catalog, "foo", "stable")->entries[2].skipRange = ">=0.1 <0.3.0";
  expectOneProblem(catalog, {"package \"foo\", channel \"stable\", entry \"foo.v0.3.0\": invalid skipRange "
                             "\">=0.1 <0.3.0\""});

  catalog = validCatalog();
  findChannel(catalog, "foo", "stable")->entries[2].skips = {"foo.v0.1.0", ""};
  expectOneProblem(catalog, {"package \"foo\", channel \"stable\", entry \"foo.v0.3.0\": skip[1] is empty"});
}

TEST(CatalogValidate, DefaultChannelRules) {
  auto catalog = validCatalog();
  catalog.packages[0].defaultChannel = "";
  expectOneProblem(catalog, {"package \"foo\": default channel must be set", "beta, stable"});

  catalog = validCatalog();
  catalog.packages[0].defaultChannel = "fast";
  expectOneProblem(catalog, {"package \"foo\": default channel \"fast\" not found in channels list (beta, stable)"});

  catalog = validCatalog();
  catalog.packages.push_back(makePackage("empty", "stable"));
  expectOneProblem(catalog, {"package \"empty\": package must contain at least one channel"});
}

TEST(CatalogValidate, BundleImageOrObjects) {
  auto catalog = validCatalog();
  findBundle(catalog, "foo.v0.2.0")->image = "";
  expectOneProblem(catalog, {"package \"foo\", bundle \"foo.v0.2.0\": bundle image must be set"});
  findBundle(catalog, "foo.v0.2.0")->hasBundleObjects = true;
  EXPECT_EQ(validationProblems(catalog), std::vector<std::string>{});
}

TEST(CatalogValidate, ImagePullSpecs) {
  auto catalog = validCatalog();
  findBundle(catalog, "foo.v0.2.0")->image = "quay.io/Example/Bundle:v1";
  expectOneProblem(catalog, {"package \"foo\", bundle \"foo.v0.2.0\": image: invalid image pull spec "
                             "\"quay.io/Example/Bundle:v1\""});

  catalog = validCatalog();
  findBundle(catalog, "foo.v0.2.0")->relatedImages = {{"ok", "quay.io/a/b:1"}, {"", ""}, {"bad", "quay.io/a/b:"}};
  expectOneProblem(catalog, {"relatedImages[2].image: invalid image pull spec \"quay.io/a/b:\""});
}

TEST(CatalogValidate, DeprecationRules) {
  struct Case {
    DeprecationEntry entry;
    std::string fragment;
  };
  for (const auto& [badEntry, fragment] : std::vector<Case>{
           {{"olm.bundle", "foo.v9", "gone"}, "package \"foo\": cannot deprecate bundle \"foo.v9\": bundle not found"},
           {{"olm.channel", "gone", "gone"}, "package \"foo\": cannot deprecate channel \"gone\": channel not found"},
           {{"olm.package", "foo", "named"}, "package name must be empty for deprecated package (specified \"foo\")"},
           {{"olm.thing", "x", "what"}, "object schema unknown"},
           {{"", "x", "what"}, "package \"foo\": schema must be set for deprecation entry [3]"},
           {{"olm.bundle", "foo.v0.2.0", ""}, "deprecation entry [3] (olm.bundle \"foo.v0.2.0\") must have a message"},
           {{"olm.channel", "beta", "again"}, "duplicate deprecation entry for olm.channel \"beta\""},
       }) {
    SCOPED_TRACE(fragment);
    auto catalog = validCatalog();
    catalog.deprecations[0].entries.push_back(badEntry);
    expectOneProblem(catalog, {fragment});
  }

  auto catalog = validCatalog();
  catalog.deprecations.push_back(Deprecation{"", {}, "{}", "foo/catalog.json, object 7"});
  expectOneProblem(catalog, {"package name must be set for deprecation item 1", "foo/catalog.json, object 7"});

  catalog = validCatalog();
  catalog.deprecations.push_back(Deprecation{"nope", {}, "{}", ""});
  expectOneProblem(catalog, {"cannot apply deprecations to an unknown package \"nope\""});

  catalog = validCatalog();
  catalog.deprecations.push_back(Deprecation{"foo", {}, "{}", ""});
  expectOneProblem(catalog, {"package \"foo\": expected a maximum of one deprecation per package"});
}

TEST(CatalogValidate, CollectsEveryProblemGroupedByPackage) {
  auto catalog = validCatalog();
  findBundle(catalog, "foo.v0.2.0")->version = "bad";
  findBundle(catalog, "bar.v1.1.0")->image = "";
  catalog.channels.push_back(makeChannel("nope", "stable", {}));
  auto problems = validationProblems(catalog);
  ASSERT_EQ(problems.size(), 3u) << joined(problems);
  EXPECT_NE(problems[0].find("unknown package \"nope\""), std::string::npos);  // catalog-level first
  EXPECT_NE(problems[1].find("bar.v1.1.0"), std::string::npos);
  EXPECT_NE(problems[2].find("foo.v0.2.0"), std::string::npos);
}

TEST(CatalogValidate, ValidateCatalogListsEveryProblem) {
  auto catalog = validCatalog();
  findBundle(catalog, "foo.v0.2.0")->version = "bad";
  findBundle(catalog, "bar.v1.1.0")->image = "";
  try {
    validateCatalog(catalog, "catalog quay.io/example/index:v1");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_TRUE(message.starts_with("catalog quay.io/example/index:v1 is not a valid catalog (2 problems):\n  - "))
        << message;
    EXPECT_NE(message.find("\n  - package \"bar\", bundle \"bar.v1.1.0\": bundle image must be set"), std::string::npos)
        << message;
    EXPECT_NE(message.find("\n  - package \"foo\", bundle \"foo.v0.2.0\": invalid version"), std::string::npos)
        << message;
  }
}

// A catalog the size of a big operator index: 10,000 bundles in 250 packages,
// two channels each, with skips and skipRanges.
Catalog bigCatalog() {
  Catalog catalog;
  for (int p = 0; p < 250; ++p) {
    std::string package = "operator-" + std::to_string(p);
    catalog.packages.push_back(makePackage(package, "stable"));
    std::vector<ChannelEntry> stable, fast;
    for (int b = 0; b < 40; ++b) {
      std::string version = "1." + std::to_string(b) + ".0";
      std::string name = package + ".v" + version;
      std::string previous = b == 0 ? "" : package + ".v1." + std::to_string(b - 1) + ".0";
      stable.push_back(entry(name, previous, {}, ">=1.0.0 <" + version));
      if (b % 2 == 0) fast.push_back(entry(name, b == 0 ? "" : package + ".v1." + std::to_string(b - 2) + ".0",
                                           b == 0 ? std::vector<std::string>{} : std::vector<std::string>{previous}));
      catalog.bundles.push_back(makeBundle(package, name, version));
      catalog.bundles.back().image = "registry.example.com/" + package + "/bundle@sha256:" + std::string(64, 'a');
      catalog.bundles.back().relatedImages = {
          {"operator", "registry.example.com/" + package + "/operator@sha256:" + std::string(64, 'b')},
          {"", "registry.example.com/" + package + "/operand:v" + version}};
    }
    catalog.channels.push_back(makeChannel(package, "stable", stable));
    catalog.channels.push_back(makeChannel(package, "fast", fast));
  }
  return catalog;
}

TEST(CatalogValidate, FastOnABigCatalog) {
  auto catalog = bigCatalog();
  ASSERT_EQ(catalog.bundles.size(), 10000u);
  // CPU time rather than wall time: the machine running the tests may be busy.
  std::clock_t start = std::clock();
  auto problems = validationProblems(catalog);
  double milliseconds = 1000.0 * static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  EXPECT_EQ(problems, std::vector<std::string>{});
  // About 15-30 ms; the bound leaves room for slow or shared machines.
  EXPECT_LT(milliseconds, 250) << "validating 10,000 bundles took " << milliseconds << " ms of CPU time";
  std::cout << "validating 10,000 bundles took " << milliseconds << " ms of CPU time\n";
}

}  // namespace
}  // namespace ferry::catalog
