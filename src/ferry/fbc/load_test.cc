#include "ferry/fbc/load.h"

#include <gtest/gtest.h>

#include <fstream>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry::catalog {
namespace {
namespace fs = std::filesystem;

class CatalogLoad : public ::testing::Test {
 protected:
  void put(const std::string& relative, std::string_view text) {
    fs::path path = directory_.path() / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }
  const fs::path& root() const { return directory_.path(); }
  Catalog load() const { return loadCatalog(root()); }
  std::string loadError() const {
    try {
      load();
    } catch (const Error& error) {
      return error.what();
    }
    return "<no error>";
  }

 private:
  TemporaryDirectory directory_{"ferry-catalog-load"};
};

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

constexpr std::string_view kJsonStream = R"(

  {"schema":"olm.package","name":"foo","defaultChannel":"stable","icon":{"base64data":"AAAA","mediatype":"image/png"}}{"schema": "olm.channel",
     "name": "stable", "package": "foo",
  "entries": [ {"name": "foo.v1"}, {"name": "foo.v2", "replaces": "foo.v1", "skips": ["foo.v1.5"], "skipRange": "<2.0.0"} ] }
	{
    "schema": "olm.bundle",
    "name": "foo.v2",
    "package": "foo",
    "image": "quay.io/foo/bundle@sha256:0000000000000000000000000000000000000000000000000000000000000000",
    "properties": [
        {"type": "olm.package", "value": {"packageName": "foo", "version": "2.0.0", "release": "1"}},
        {"type": "olm.gvk", "value": {"group": "foo.io", "kind": "Foo", "version": "v1"}},
        {"type": "olm.gvk.required", "value": {"group": "bar.io", "kind": "Bar", "version": "v1beta1"}},
        {"type": "olm.package.required", "value": {"packageName": "bar", "versionRange": ">=1.0.0"}},
        {"type": "olm.bundle.object", "value": {"data": "eyJraW5kIjoiQ1NWIn0="}},
        {"type": "olm.maxOpenShiftVersion", "value": 4.16},
        {"type": "example.com/custom", "value": {"anything": [1, 2, {"x": null}]}}
    ],
    "relatedImages": [
        {"name": "operator", "image": "quay.io/foo/operator:v2"},
        {"name": "", "image": "quay.io/foo/bundle:v2"}
    ],
    "unknownField": {"kept": true}
}
{"schema":"olm.deprecations","package":"foo","entries":[{"reference":{"schema":"olm.package"},"message":"gone"},{"reference":{"schema":"olm.bundle","name":"foo.v1"},"message":"old"}]}
)";

TEST_F(CatalogLoad, ReadsAJsonStreamWithSeveralObjectsAndOddWhitespace) {
  put("foo/catalog.json", kJsonStream);
  Catalog catalog = load();
  ASSERT_EQ(catalog.packages.size(), 1u);
  ASSERT_EQ(catalog.channels.size(), 1u);
  ASSERT_EQ(catalog.bundles.size(), 1u);
  ASSERT_EQ(catalog.deprecations.size(), 1u);
  EXPECT_TRUE(catalog.others.empty());

  const Package& package = catalog.packages[0];
  EXPECT_EQ(package.name, "foo");
  EXPECT_EQ(package.defaultChannel, "stable");
  EXPECT_EQ(package.origin, "foo/catalog.json, object 1");
  EXPECT_EQ(package.json,
            R"({"schema":"olm.package","name":"foo","defaultChannel":"stable","icon":{"base64data":"AAAA","mediatype":"image/png"}})");

  const Channel& channel = catalog.channels[0];
  EXPECT_EQ(channel.package, "foo");
  EXPECT_EQ(channel.name, "stable");
  EXPECT_EQ(channel.origin, "foo/catalog.json, object 2");
  ASSERT_EQ(channel.entries.size(), 2u);
  EXPECT_EQ(channel.entries[0].name, "foo.v1");
  EXPECT_EQ(channel.entries[0].replaces, "");
  EXPECT_EQ(channel.entries[1].replaces, "foo.v1");
  EXPECT_EQ(channel.entries[1].skips, std::vector<std::string>{"foo.v1.5"});
  EXPECT_EQ(channel.entries[1].skipRange, "<2.0.0");
  EXPECT_EQ(channel.json.find(' '), std::string::npos) << "compact text: " << channel.json;

  const Bundle& bundle = catalog.bundles[0];
  EXPECT_EQ(bundle.origin, "foo/catalog.json, object 3");
  EXPECT_EQ(bundle.name, "foo.v2");
  EXPECT_EQ(bundle.package, "foo");
  EXPECT_EQ(bundle.image, "quay.io/foo/bundle@sha256:0000000000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(bundle.packagePropertyCount, 1);
  EXPECT_EQ(bundle.packageProperty, "foo");
  EXPECT_EQ(bundle.version, "2.0.0");
  EXPECT_EQ(bundle.release, "1");
  ASSERT_EQ(bundle.providedApis.size(), 1u);
  EXPECT_EQ(bundle.providedApis[0], (GroupVersionKind{"foo.io", "v1", "Foo"}));
  ASSERT_EQ(bundle.requiredApis.size(), 1u);
  EXPECT_EQ(bundle.requiredApis[0], (GroupVersionKind{"bar.io", "v1beta1", "Bar"}));
  ASSERT_EQ(bundle.requiredPackages.size(), 1u);
  EXPECT_EQ(bundle.requiredPackages[0].packageName, "bar");
  EXPECT_EQ(bundle.requiredPackages[0].versionRange, ">=1.0.0");
  EXPECT_TRUE(bundle.hasBundleObjects);
  ASSERT_EQ(bundle.relatedImages.size(), 2u);
  EXPECT_EQ(bundle.relatedImages[0].name, "operator");
  EXPECT_EQ(bundle.relatedImages[1].name, "");
  EXPECT_EQ(bundle.relatedImages[1].image, "quay.io/foo/bundle:v2");
  // Unknown properties and fields stay in the text, exactly.
  EXPECT_CONTAINS(bundle.json, R"({"type":"olm.maxOpenShiftVersion","value":4.16})");
  EXPECT_CONTAINS(bundle.json, R"("unknownField":{"kept":true})");

  const Deprecation& deprecation = catalog.deprecations[0];
  EXPECT_EQ(deprecation.package, "foo");
  ASSERT_EQ(deprecation.entries.size(), 2u);
  EXPECT_EQ(deprecation.entries[0].schema, "olm.package");
  EXPECT_EQ(deprecation.entries[0].name, "");
  EXPECT_EQ(deprecation.entries[0].message, "gone");
  EXPECT_EQ(deprecation.entries[1].schema, "olm.bundle");
  EXPECT_EQ(deprecation.entries[1].name, "foo.v1");
}

TEST_F(CatalogLoad, ReadsYamlDocumentsWithSeparatorsAndComments) {
  put("bar/index.yaml",
      "---\n"
      "# the package\n"
      "schema: olm.package\n"
      "name: bar\n"
      "defaultChannel: alpha  # trailing comment\n"
      "--- # channels follow\n"
      "schema: olm.channel\n"
      "package: bar\n"
      "name: alpha\n"
      "entries:\n"
      "  - name: bar.v0.1.0\n"
      "---\n"
      "\n"
      "---\n"
      "schema: olm.bundle\n"
      "package: bar\n"
      "name: bar.v0.1.0\n"
      "image: quay.io/bar/bundle:v0.1.0\n"
      "properties:\n"
      "- type: olm.package\n"
      "  value:\n"
      "    packageName: bar\n"
      "    version: 0.1.0\n");
  Catalog catalog = load();
  ASSERT_EQ(catalog.packages.size(), 1u);
  ASSERT_EQ(catalog.channels.size(), 1u);
  ASSERT_EQ(catalog.bundles.size(), 1u);
  EXPECT_EQ(catalog.packages[0].defaultChannel, "alpha");
  EXPECT_EQ(catalog.packages[0].origin, "bar/index.yaml, document 1 (line 2)");
  EXPECT_EQ(catalog.packages[0].json, R"({"schema":"olm.package","name":"bar","defaultChannel":"alpha"})");
  EXPECT_EQ(catalog.channels[0].origin, "bar/index.yaml, document 2 (line 7)");
  EXPECT_EQ(catalog.channels[0].entries.at(0).name, "bar.v0.1.0");
  EXPECT_EQ(catalog.bundles[0].origin, "bar/index.yaml, document 4 (line 15)");
  EXPECT_EQ(catalog.bundles[0].version, "0.1.0");
}

TEST_F(CatalogLoad, WalksEveryDepthInLexicalOrderWhateverTheFileNames) {
  put("z.json", R"({"schema":"x.test","name":"z"})");
  put("a.json", R"({"schema":"x.test","name":"a.json"})");
  put("a/b/c/deep.yml", "schema: x.test\nname: deep\n");
  put("a/b.txt", "schema: x.test\nname: b.txt\n");
  put("m/catalog", R"({"schema":"x.test","name":"no extension"})");
  Catalog catalog = load();
  std::vector<std::string> names;
  for (const auto& other : catalog.others) names.push_back(other.name);
  // As fs.WalkDir: directory "a" ("a" < "a.json") is walked before the file a.json.
  EXPECT_EQ(names, (std::vector<std::string>{"deep", "b.txt", "a.json", "no extension", "z"}));
}

TEST_F(CatalogLoad, IndexIgnoreExcludesFilesAndDirectories) {
  put("pkg/catalog.json", R"({"schema":"olm.package","name":"pkg","defaultChannel":"a"})");
  put("pkg/README.md", "# Package pkg\n\nSome *markdown* text: not YAML.\n");
  put("drafts/catalog.json", R"({"schema":"olm.package","name":"draft","defaultChannel":"a"})");
  put(".indexignore", "# not catalog files\nREADME.md\n\n/drafts/\n");
  Catalog catalog = load();
  ASSERT_EQ(catalog.packages.size(), 1u);
  EXPECT_EQ(catalog.packages[0].name, "pkg");
}

TEST_F(CatalogLoad, ReadmeWithoutIndexIgnoreBreaksLoadingWithAClearMessage) {
  put("pkg/catalog.json", R"({"schema":"olm.package","name":"pkg","defaultChannel":"a"})");
  put("pkg/README.md", "# Package pkg\n\nSome *markdown* text.\n");
  std::string error = loadError();
  EXPECT_CONTAINS(error, "pkg/README.md, document 1 (line 1)");
  EXPECT_CONTAINS(error, "list it in a .indexignore file");
}

TEST_F(CatalogLoad, IndexIgnoreInASubdirectoryOnlyAppliesThere) {
  put("a/.indexignore", "notes.yaml\n");
  put("a/notes.yaml", "hello: [\n");
  put("a/catalog.yaml", "schema: x.test\nname: a\n");
  put("b/notes.yaml", "schema: x.test\nname: b-notes\n");
  Catalog catalog = load();
  ASSERT_EQ(catalog.others.size(), 2u);
  EXPECT_EQ(catalog.others[0].name, "a");
  EXPECT_EQ(catalog.others[1].name, "b-notes");
}

TEST_F(CatalogLoad, FindsMetaKeysCaseInsensitively) {
  put("c.json", R"({"Schema":"olm.package","NAME":"pkg","defaultchannel":"stable"})"
                R"({"SCHEMA":"olm.channel","Package":"pkg","name":"stable","Entries":[{"NAME":"pkg.v1"}]})");
  Catalog catalog = load();
  ASSERT_EQ(catalog.packages.size(), 1u);
  EXPECT_EQ(catalog.packages[0].name, "pkg");
  EXPECT_EQ(catalog.packages[0].defaultChannel, "stable");
  ASSERT_EQ(catalog.channels.size(), 1u);
  EXPECT_EQ(catalog.channels[0].package, "pkg");
  EXPECT_EQ(catalog.channels[0].entries.at(0).name, "pkg.v1");
}

TEST_F(CatalogLoad, RejectsKeysThatFoldToTheSameMetaKey) {
  put("pkg/catalog.json", R"({"schema":"olm.package","name":"a","Name":"b"})");
  std::string error = loadError();
  EXPECT_CONTAINS(error, "pkg/catalog.json, object 1: duplicate keys for key \"name\": [Name name]");
}

TEST_F(CatalogLoad, RejectsAnObjectWithoutSchema) {
  put("pkg/catalog.json", R"({"schema":"olm.package","name":"a"}  {"name":"b","package":"a"})");
  std::string error = loadError();
  EXPECT_CONTAINS(error, "pkg/catalog.json, object 2: object '{\"name\":\"b\",\"package\":\"a\"}' is missing root schema field");
}

TEST_F(CatalogLoad, RejectsMetaValuesThatAreNotStrings) {
  put("x.yaml", "schema: olm.package\nname: 12\n");
  EXPECT_CONTAINS(loadError(), "x.yaml, document 1 (line 1): expected value for key \"name\" to be a string, got a number");
}

TEST_F(CatalogLoad, RejectsABadYamlSeparator) {
  put("pkg/index.yaml", "schema: x.test\nname: a\n--- schema: x.test\n");
  EXPECT_CONTAINS(loadError(), "pkg/index.yaml: line 3: invalid YAML document separator");
}

TEST_F(CatalogLoad, KeepsCustomSchemasVerbatim) {
  put("root-meta.json", "{ \"schema\": \"example.com.lifecycle\",\n  \"package\": \"\", \"data\": {\"big\": 18446744073709551615, \"f\": 1.50E+3, \"s\": \"\\u003c\\/\"} }");
  Catalog catalog = load();
  ASSERT_EQ(catalog.others.size(), 1u);
  EXPECT_EQ(catalog.others[0].schema, "example.com.lifecycle");
  EXPECT_EQ(catalog.others[0].package, "");
  EXPECT_EQ(catalog.others[0].json,
            R"({"schema":"example.com.lifecycle","package":"","data":{"big":18446744073709551615,"f":1.50E+3,"s":"\u003c\/"}})");
}

TEST_F(CatalogLoad, TypesYamlScalarsAsOpmDoes) {
  put("x.yaml",
      "schema: example.com.scalars\n"
      "created: 2024-01-15T10:00:00Z\n"
      "answer: yes\n"
      "quoted: \"123\"\n"
      "number: 123\n"
      "version: 1.2.3\n"
      "empty:\n");
  Catalog catalog = load();
  ASSERT_EQ(catalog.others.size(), 1u);
  EXPECT_EQ(catalog.others[0].json,
            R"({"schema":"example.com.scalars","created":"2024-01-15T10:00:00Z","answer":true,"quoted":"123","number":123,"version":"1.2.3","empty":null})");
}

TEST_F(CatalogLoad, RejectsMalformedKnownPropertiesNamingTheBundle) {
  put("pkg/catalog.json",
      R"({"schema":"olm.bundle","name":"pkg.v1","package":"pkg","properties":[{"type":"olm.package","value":{"packageName":"pkg","version":1}}]})");
  EXPECT_CONTAINS(loadError(),
                  "pkg/catalog.json, object 1: olm.bundle \"pkg.v1\": properties[0] (olm.package) value.version must be a "
                  "string, not a number");
  put("pkg/catalog.json", R"({"schema":"olm.bundle","name":"pkg.v1","package":"pkg","properties":[{"type":"olm.gvk","value":"x"}]})");
  EXPECT_CONTAINS(loadError(), "olm.bundle \"pkg.v1\": properties[0] (olm.gvk) value must be an object, not a string");
  put("pkg/catalog.json", R"({"schema":"olm.bundle","name":"pkg.v1","properties":[{"value":{}}]})");
  EXPECT_CONTAINS(loadError(), "properties[0]: property type must be set");
  put("pkg/catalog.json", R"({"schema":"olm.bundle","name":"pkg.v1","relatedImages":[{"image":7}]})");
  EXPECT_CONTAINS(loadError(), "relatedImages[0].image must be a string, not a number");
  put("pkg/catalog.json", R"({"schema":"olm.channel","name":"a","package":"pkg","entries":{"name":"x"}})");
  EXPECT_CONTAINS(loadError(), "olm.channel \"a\": entries must be a list, not an object");
}

TEST_F(CatalogLoad, CountsOlmPackageProperties) {
  put("a.json", R"({"schema":"olm.bundle","name":"a.v1","package":"a","properties":[)"
                R"({"type":"olm.package","value":{"packageName":"a","version":"1.0.0"}},)"
                R"({"type":"olm.package","value":{"packageName":"b","version":"2.0.0"}}]})"
                R"({"schema":"olm.bundle","name":"a.v2","package":"a"})");
  Catalog catalog = load();
  ASSERT_EQ(catalog.bundles.size(), 2u);
  EXPECT_EQ(catalog.bundles[0].packagePropertyCount, 2);
  EXPECT_EQ(catalog.bundles[0].packageProperty, "a");
  EXPECT_EQ(catalog.bundles[0].version, "1.0.0");
  EXPECT_EQ(catalog.bundles[1].packagePropertyCount, 0);
  EXPECT_FALSE(catalog.bundles[1].hasBundleObjects);
}

TEST_F(CatalogLoad, ReportsTruncatedAndInvalidJson) {
  put("pkg/catalog.json", "{\"schema\":\"x.test\"}\n{\"schema\":\"x.test\",\n\"name\":");
  EXPECT_CONTAINS(loadError(), "pkg/catalog.json: the file ends inside a JSON object (line 2)");
  put("pkg/catalog.json", "{\"schema\":\"x.test\"}\n\n{\"schema\" \"x.test\"}");
  EXPECT_CONTAINS(loadError(), "pkg/catalog.json: invalid JSON in object 2 (from line 3)");
  put("pkg/catalog.json", "{\"schema\":\"x.test\"} [1, 2]");
  EXPECT_CONTAINS(loadError(), "pkg/catalog.json, object 2: expected an object, found an array");
}

TEST_F(CatalogLoad, RejectsCommentOnlyYamlDocumentsButSkipsBlankOnes) {
  put("a.yaml", "schema: x.test\nname: a\n---\n\n   \n---\nschema: x.test\nname: b\n");
  EXPECT_EQ(load().others.size(), 2u);
  put("a.yaml", "schema: x.test\nname: a\n---\n# nothing here\n");
  EXPECT_CONTAINS(loadError(), "a.yaml, document 2 (line 4): the document holds no object, only comments");
}

TEST_F(CatalogLoad, FollowsSymlinksToFilesInsideTheRootOnly) {
  put("shared/pkg.json", R"({"schema":"olm.package","name":"pkg","defaultChannel":"a"})");
  put("shared/.indexignore", "*\n");
  fs::create_directories(root() / "pkg");
  fs::create_symlink("../shared/pkg.json", root() / "pkg" / "catalog.json");
  Catalog catalog = load();
  ASSERT_EQ(catalog.packages.size(), 1u);
  EXPECT_EQ(catalog.packages[0].origin, "pkg/catalog.json, object 1");

  TemporaryDirectory outside("ferry-catalog-outside");
  std::ofstream(outside.path() / "x.json") << R"({"schema":"x.test"})";
  fs::create_symlink(outside.path() / "x.json", root() / "pkg" / "outside.json");
  EXPECT_CONTAINS(loadError(), "pkg/outside.json: the symbolic link points outside the catalog root");
  fs::remove(root() / "pkg" / "outside.json");

  fs::create_directory_symlink("../shared", root() / "pkg" / "linked-dir");
  EXPECT_CONTAINS(loadError(), "pkg/linked-dir: the symbolic link points to a directory");
}

TEST_F(CatalogLoad, LoadsAnObjectLargerThanAParseBatch) {
  std::string payload(40u << 20, 'A');  // the loader parses JSON in 32 MiB batches
  put("big/catalog.json", R"({"schema":"x.test","name":"small"})"
                          "\n{\"schema\":\"x.test\",\"name\":\"big\",\"data\":\"" + payload + "\"}\n" +
                          R"({"schema":"x.test","name":"after"})");
  Catalog catalog = load();
  ASSERT_EQ(catalog.others.size(), 3u);
  EXPECT_EQ(catalog.others[1].name, "big");
  EXPECT_EQ(catalog.others[1].json.size(), payload.size() + 42);
  EXPECT_EQ(catalog.others[2].origin, "big/catalog.json, object 3");
}

TEST_F(CatalogLoad, FailsOnAMissingRoot) {
  EXPECT_THROW(loadCatalog(root() / "absent"), Error);
}

TEST(CatalogLoadText, LoadsOneFilesText) {
  Catalog catalog;
  loadCatalogText("schema: olm.package\nname: p\ndefaultChannel: s\n", "p/index.yaml", catalog);
  loadCatalogText(R"({"schema":"olm.channel","package":"p","name":"s","entries":[{"name":"p.v1"}]})", "p/c.json", catalog);
  ASSERT_EQ(catalog.packages.size(), 1u);
  ASSERT_EQ(catalog.channels.size(), 1u);
  EXPECT_EQ(catalog.packages[0].origin, "p/index.yaml, document 1 (line 1)");
  EXPECT_EQ(catalog.channels[0].origin, "p/c.json, object 1");
}

}  // namespace
}  // namespace ferry::catalog

namespace ferry::catalog {
namespace {

std::string textLoadError(const std::string& text, const std::string& name) {
  Catalog catalog;
  try {
    loadCatalogText(text, name, catalog);
  } catch (const Error& e) {
    return e.what();
  }
  return "(loaded)";
}

TEST(CatalogLimits, AnObjectLargerThanTheLimitIsRefusedNamingIt) {
  std::string huge(kMaxCatalogObjectBytes, 'a');
  std::string json = "{\"schema\":\"olm.package\",\"name\":\"small\"}\n{\"schema\":\"olm.bundle\",\"name\":\"" + huge + "\"}";
  EXPECT_EQ(textLoadError(json, "pkg/catalog.json"),
            "pkg/catalog.json, object 2 (from line 2): the object is larger than 64 MiB, ferry's limit for one catalog "
            "object (see docs/limits.md)");
  std::string yaml = "schema: olm.package\nname: small\n---\nschema: olm.bundle\nname: " + huge + "\n";
  EXPECT_EQ(textLoadError(yaml, "pkg/index.yaml"),
            "pkg/index.yaml, document 2 (line 4): the object is larger than 64 MiB, ferry's limit for one catalog "
            "object (see docs/limits.md)");
  // Just under the limit loads.
  std::string fits = "{\"schema\":\"olm.bundle\",\"package\":\"p\",\"name\":\"" +
                     std::string(kMaxCatalogObjectBytes - 100, 'b') + "\"}";
  EXPECT_EQ(textLoadError(fits, "pkg/catalog.json"), "(loaded)");
}

TEST(CatalogLimits, ACatalogLargerThanTheLimitIsRefusedBeforeItsFilesAreRead) {
  TemporaryDirectory root;
  fs::create_directories(root.path() / "pkg");
  writeFileAtomically(root.path() / "pkg" / "a.json", "{\"schema\":\"olm.package\",\"name\":\"pkg\"}");
  // Sparse: takes no disk, and is never read.
  { std::ofstream(root.path() / "pkg" / "b.json"); }
  fs::resize_file(root.path() / "pkg" / "b.json", kMaxCatalogBytes);
  try {
    loadCatalog(root.path());
    FAIL() << "expected the limit";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "pkg/b.json: the catalog's files add up to more than 2 GiB, ferry's limit for one catalog (see "
              "docs/limits.md)");
  }
}

}  // namespace
}  // namespace ferry::catalog
