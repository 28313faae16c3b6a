#include "ferry/fbc/write.h"

#include <gtest/gtest.h>

#include <fstream>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/fbc/load.h"

namespace ferry::catalog {
namespace {
namespace fs = std::filesystem;

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

Catalog fromText(std::string_view text, const std::string& fileName = "input.json") {
  Catalog catalog;
  loadCatalogText(text, fileName, catalog);
  return catalog;
}

std::vector<std::string> filesUnder(const fs::path& root) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), root).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

constexpr std::string_view kCatalog = R"(
{"schema":"olm.bundle","name":"b.v2","package":"b","image":"img/b:2","properties":[{"type":"olm.package","value":{"packageName":"b","version":"2.0.0"}}],"x-unknown":{"n":1.50E+3}}
{"schema":"olm.channel","name":"stable","package":"b","entries":[{"name":"b.v2","replaces":"b.v1","x-entry-extra":true},{"name":"b.v1"}],"x-channel-extra":"kept"}
{"schema":"olm.bundle","name":"b.v1","package":"b","image":"img/b:1","properties":[{"type":"olm.package","value":{"packageName":"b","version":"1.0.0"}}]}
{"schema":"olm.deprecations","package":"b","entries":[{"reference":{"schema":"olm.bundle","name":"b.v1"},"message":"old"}]}
{"schema":"zz.custom","package":"b","name":"z"}
{"schema":"aa.custom","package":"b","name":"a"}
{"schema":"olm.channel","name":"alpha","package":"b","entries":[{"name":"b.v1"}]}
{"schema":"olm.package","name":"b","defaultChannel":"stable","description":"B <ok> & fine"}
{"schema":"olm.package","name":"a","defaultChannel":"s"}
{"schema":"olm.channel","name":"s","package":"a","entries":[{"name":"a.v1"}]}
{"schema":"example.com.root","data":[]}
)";

std::string read(const fs::path& path) { return readFile(path); }

TEST(CatalogWrite, WritesOneFilePerPackageInOpmsOrder) {
  TemporaryDirectory directory("ferry-catalog-write");
  fs::path out = directory.path() / "out";
  writeCatalog(fromText(kCatalog), out);
  EXPECT_EQ(filesUnder(out), (std::vector<std::string>{"a/catalog.json", "b/catalog.json", "catalog.json"}));

  std::string b = read(out / "b" / "catalog.json");
  std::vector<size_t> positions = {
      b.find("\"schema\": \"olm.package\""), b.find("\"name\": \"alpha\""), b.find("\"name\": \"stable\""),
      b.find("\"name\": \"b.v1\",\n    \"package\""), b.find("\"name\": \"b.v2\",\n    \"package\""),
      b.find("\"schema\": \"aa.custom\""), b.find("\"schema\": \"zz.custom\""), b.find("\"schema\": \"olm.deprecations\""),
  };
  for (size_t i = 0; i < positions.size(); ++i) {
    ASSERT_NE(positions[i], std::string::npos) << "item " << i << " in\n" << b;
    if (i > 0) {
      EXPECT_LT(positions[i - 1], positions[i]) << "item " << i << " in\n" << b;
    }
  }
  EXPECT_EQ(read(out / "catalog.json"), "{\n    \"schema\": \"example.com.root\",\n    \"data\": []\n}\n");
  EXPECT_EQ(read(out / "a" / "catalog.json"),
            "{\n"
            "    \"schema\": \"olm.package\",\n"
            "    \"name\": \"a\",\n"
            "    \"defaultChannel\": \"s\"\n"
            "}\n"
            "{\n"
            "    \"schema\": \"olm.channel\",\n"
            "    \"name\": \"s\",\n"
            "    \"package\": \"a\",\n"
            "    \"entries\": [\n"
            "        {\n"
            "            \"name\": \"a.v1\"\n"
            "        }\n"
            "    ]\n"
            "}\n");
}

TEST(CatalogWrite, KeepsUnknownFieldsAndRoundTrips) {
  TemporaryDirectory directory("ferry-catalog-write");
  Catalog original = fromText(kCatalog);
  writeCatalog(original, directory.path() / "one");
  std::string b = read(directory.path() / "one" / "b" / "catalog.json");
  EXPECT_CONTAINS(b, "\"x-unknown\": {\n        \"n\": 1.50E+3\n    }");
  EXPECT_CONTAINS(b, "\"x-channel-extra\": \"kept\"");
  EXPECT_CONTAINS(b, "\"x-entry-extra\": true");
  EXPECT_CONTAINS(b, "\"description\": \"B <ok> & fine\"");

  Catalog reloaded = loadCatalog(directory.path() / "one");
  ASSERT_EQ(reloaded.bundles.size(), 2u);
  ASSERT_EQ(reloaded.channels.size(), 3u);
  ASSERT_EQ(reloaded.others.size(), 3u);
  // Objects come back sorted, each with the same compact text as read.
  auto textOf = [](const Catalog& catalog, std::string_view name) -> std::string {
    for (const auto& bundle : catalog.bundles) {
      if (bundle.name == name) return bundle.json;
    }
    for (const auto& channel : catalog.channels) {
      if (channel.name == name) return channel.json;
    }
    return "";
  };
  for (std::string name : {"b.v1", "b.v2", "stable", "alpha", "s"}) {
    EXPECT_EQ(textOf(reloaded, name), textOf(original, name)) << name;
  }

  writeCatalog(reloaded, directory.path() / "two");
  for (const auto& file : filesUnder(directory.path() / "one")) {
    EXPECT_EQ(read(directory.path() / "two" / file), read(directory.path() / "one" / file)) << file;
  }
}

TEST(CatalogWrite, RewritesOnlyTheFieldsTheFilterChanges) {
  Catalog catalog = fromText(kCatalog);
  Channel& stable = catalog.channels[0];
  ASSERT_EQ(stable.name, "stable");
  // Unchanged: the original text, re-indented.
  EXPECT_CONTAINS(channelJson(stable), "\"x-entry-extra\": true");

  stable.entries.pop_back();  // b.v1 removed; b.v2 unchanged keeps its unknown field
  stable.entries[0].replaces.clear();
  std::string json = channelJson(stable);
  EXPECT_EQ(json,
            "{\n"
            "    \"schema\": \"olm.channel\",\n"
            "    \"name\": \"stable\",\n"
            "    \"package\": \"b\",\n"
            "    \"entries\": [\n"
            "        {\n"
            "            \"name\": \"b.v2\"\n"
            "        }\n"
            "    ],\n"
            "    \"x-channel-extra\": \"kept\"\n"
            "}");

  Package& package = catalog.packages[0];
  ASSERT_EQ(package.name, "b");
  package.defaultChannel = "alpha";
  EXPECT_EQ(packageJson(package),
            "{\n"
            "    \"schema\": \"olm.package\",\n"
            "    \"name\": \"b\",\n"
            "    \"defaultChannel\": \"alpha\",\n"
            "    \"description\": \"B <ok> & fine\"\n"
            "}");

  Deprecation& deprecation = catalog.deprecations[0];
  deprecation.entries.push_back({"olm.channel", "alpha", "use stable"});
  EXPECT_EQ(deprecationJson(deprecation),
            "{\n"
            "    \"schema\": \"olm.deprecations\",\n"
            "    \"package\": \"b\",\n"
            "    \"entries\": [\n"
            "        {\n"
            "            \"reference\": {\n"
            "                \"schema\": \"olm.bundle\",\n"
            "                \"name\": \"b.v1\"\n"
            "            },\n"
            "            \"message\": \"old\"\n"
            "        },\n"
            "        {\n"
            "            \"reference\": {\n"
            "                \"schema\": \"olm.channel\",\n"
            "                \"name\": \"alpha\"\n"
            "            },\n"
            "            \"message\": \"use stable\"\n"
            "        }\n"
            "    ]\n"
            "}");
}

TEST(CatalogWrite, ReplacesCaseVariantKeysOnce) {
  Catalog catalog = fromText(R"({"schema":"olm.channel","package":"p","name":"c","Entries":[{"name":"x"}],"z":1})");
  catalog.channels[0].entries = {{"y", "", {"x"}, ">=1.0.0 <2.0.0"}};
  EXPECT_EQ(channelJson(catalog.channels[0]),
            "{\n    \"schema\": \"olm.channel\",\n    \"package\": \"p\",\n    \"name\": \"c\",\n    \"entries\": [\n"
            "        {\n            \"name\": \"y\",\n            \"skips\": [\n                \"x\"\n            ],\n"
            "            \"skipRange\": \">=1.0.0 <2.0.0\"\n        }\n    ],\n    \"z\": 1\n}");
}

TEST(CatalogWrite, WritesObjectsMadeInCode) {
  Catalog catalog;
  catalog.packages.push_back({"p", "stable", "", ""});
  catalog.channels.push_back({"p", "stable", {{"p.v1", "", {}, ""}}, "", ""});
  Bundle bundle;
  bundle.package = "p";
  bundle.name = "p.v1";
  bundle.image = "img/p:1";
  bundle.packagePropertyCount = 1;
  bundle.packageProperty = "p";
  bundle.version = "1.0.0";
  bundle.relatedImages = {{"", "img/p:1"}};
  catalog.bundles.push_back(bundle);
  TemporaryDirectory directory("ferry-catalog-write");
  writeCatalog(catalog, directory.path() / "out");
  Catalog reloaded = loadCatalog(directory.path() / "out");
  ASSERT_EQ(reloaded.bundles.size(), 1u);
  EXPECT_EQ(reloaded.bundles[0].version, "1.0.0");
  EXPECT_EQ(reloaded.bundles[0].packageProperty, "p");
  EXPECT_EQ(reloaded.bundles[0].image, "img/p:1");
  ASSERT_EQ(reloaded.bundles[0].relatedImages.size(), 1u);
  EXPECT_EQ(reloaded.packages.at(0).defaultChannel, "stable");
  EXPECT_EQ(reloaded.channels.at(0).entries.at(0).name, "p.v1");
}

TEST(CatalogWrite, RefusesUnsafePackageNamesAndNonEmptyTargets) {
  TemporaryDirectory directory("ferry-catalog-write");
  for (std::string name : {"../escape", "a/b", ".", ".."}) {
    Catalog catalog;
    catalog.packages.push_back({name, "s", "", ""});
    try {
      writeCatalog(catalog, directory.path() / "unsafe");
      FAIL() << name;
    } catch (const Error& error) {
      EXPECT_CONTAINS(error.what(), "cannot write package \"" + name + "\"");
    }
    fs::remove_all(directory.path() / "unsafe");
  }
  EXPECT_FALSE(fs::exists(directory.path() / "escape"));

  std::ofstream(directory.path() / "file") << "x";
  try {
    writeCatalog(fromText(kCatalog), directory.path());
    FAIL() << "wrote into a non-empty directory";
  } catch (const Error& error) {
    EXPECT_CONTAINS(error.what(), "the directory is not empty");
  }
}

}  // namespace
}  // namespace ferry::catalog
