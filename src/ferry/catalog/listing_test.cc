#include "ferry/catalog/listing.h"

#include <gtest/gtest.h>

namespace ferry::catalog {
namespace {

Bundle bundle(const std::string& package, const std::string& name, const std::string& version) {
  Bundle b;
  b.package = package;
  b.name = name;
  b.version = version;
  return b;
}

Catalog fooCatalog() {
  Catalog catalog;
  catalog.packages.push_back({.name = "foo", .defaultChannel = "stable"});
  catalog.channels.push_back({.package = "foo",
                              .name = "stable",
                              .entries = {{.name = "foo.v1.0.0"},
                                          {.name = "foo.v1.10.0", .replaces = "foo.v1.2.0"},
                                          {.name = "foo.v1.2.0", .replaces = "foo.v1.0.0"}}});
  catalog.channels.push_back({.package = "foo", .name = "alpha", .entries = {{.name = "foo.v1.0.0"}}});
  catalog.bundles = {bundle("foo", "foo.v1.0.0", "1.0.0"), bundle("foo", "foo.v1.2.0", "1.2.0"),
                     bundle("foo", "foo.v1.10.0", "1.10.0")};
  return catalog;
}

TEST(CatalogListing, PackagesChannelsHeadsAndVersionsNewestFirst) {
  auto packages = listPackages(fooCatalog());
  ASSERT_EQ(packages.size(), 1u);
  EXPECT_EQ(packages[0].defaultChannel, "stable");
  ASSERT_EQ(packages[0].channels.size(), 2u);
  EXPECT_EQ(packages[0].channels[0].name, "alpha");
  const auto& stable = packages[0].channels[1];
  EXPECT_EQ(stable.head, "foo.v1.10.0");
  ASSERT_EQ(stable.bundles.size(), 3u);
  EXPECT_EQ(stable.bundles[0].version, "1.10.0");  // semver order, not text order
  EXPECT_EQ(stable.bundles[1].version, "1.2.0");
  EXPECT_EQ(stable.bundles[2].version, "1.0.0");
}

TEST(CatalogListing, DifferencesNameThePlatformAndWhatDiffers) {
  auto amd = fooCatalog();
  auto s390 = fooCatalog();
  s390.channels[0].entries = {{.name = "foo.v1.0.0"}, {.name = "foo.v1.2.0", .replaces = "foo.v1.0.0"}};
  s390.packages.push_back({.name = "bar", .defaultChannel = "x"});
  auto lines = catalogDifferences(listPackages(amd), "linux/amd64", listPackages(s390), "linux/s390x");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "package \"bar\": only on linux/s390x");
  EXPECT_EQ(lines[1], "package \"foo\", channel \"stable\": head foo.v1.10.0 on linux/amd64, foo.v1.2.0 on linux/s390x");
  EXPECT_EQ(lines[2], "package \"foo\", channel \"stable\": bundles only on linux/amd64: foo.v1.10.0");
  EXPECT_TRUE(catalogDifferences(listPackages(amd), "a", listPackages(fooCatalog()), "b").empty());
}

}  // namespace
}  // namespace ferry::catalog
