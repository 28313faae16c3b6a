#include "ferry/base/yaml_bounds.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/base/memory_limit_test_support.h"

namespace ferry {
namespace {

YamlLimits small() {
  YamlLimits limits = configurationYamlLimits("a test file");
  limits.maxBytes = 1000;
  limits.maxDepth = 4;
  limits.maxAliases = 3;
  limits.maxNodes = 50;
  limits.maxDocuments = 2;
  return limits;
}

std::string errorOf(std::string_view text, const YamlLimits& limits) {
  try {
    loadYamlDocuments(text, "t.yaml", limits);
  } catch (const YAML::Exception& e) {
    return "yaml " + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + " " + e.msg;
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(YamlBounds, ATokenTheParserCannotConsumeIsASyntaxErrorNotAnEndlessDocumentLoop) {
  // yaml-cpp's LoadAll alone allocates empty documents for ever on these.
  auto run = test_support::runWithLimits(size_t{512} << 20, 20, [] {
    loadYamlDocuments(",a\n", "c.yaml", configurationYamlLimits("an ImageSetConfiguration"));
  });
  ASSERT_TRUE(run.returned) << run.message;
  EXPECT_TRUE(run.threw);
  EXPECT_EQ(run.message, "yaml-cpp: error at line 1, column 1: unexpected ',': no YAML node can start here");
  EXPECT_LT(run.seconds, 10);

  EXPECT_EQ(errorOf("\"a\" ,\n", small()), "yaml 1:5 unexpected ',': no YAML node can start here");
}

TEST(YamlBounds, ValidDocumentsLoad) {
  auto documents = loadYamlDocuments("a: &x [1, 2]\nb: *x\n---\n- c\n", "t.yaml", small());
  ASSERT_EQ(documents.size(), 2u);
  EXPECT_EQ(documents[0]["b"][1].as<int>(), 2);
  EXPECT_EQ(documents[1][0].as<std::string>(), "c");
  EXPECT_TRUE(loadYamlDocuments("", "t.yaml", small()).empty());
}

TEST(YamlBounds, EachLimitIsNamedInItsError) {
  EXPECT_EQ(errorOf(std::string(1001, ' '), small()),
            "t.yaml: 1001 bytes; ferry's limit for a test file is 1000 bytes (see docs/limits.md)");
  EXPECT_EQ(errorOf("a: [[[[1]]]]\n", small()),
            "t.yaml:1:7: YAML nested deeper than 4 levels; ferry's limit for a test file is 4 levels (see "
            "docs/limits.md)");
  EXPECT_EQ(errorOf("a: &x 1\nb: [*x, *x, *x, *x]\n", small()),
            "t.yaml:2:17: more than 3 YAML aliases (*name); ferry's limit for a test file is 3 aliases (see "
            "docs/limits.md)");
  EXPECT_EQ(errorOf("a\n---\nb\n---\nc\n", small()),
            "t.yaml: more than 2 YAML documents; ferry's limit for a test file is 2 documents (see docs/limits.md)");
}

TEST(YamlBounds, AliasExpansionIsCountedBillionLaughs) {
  YamlLimits limits = small();
  limits.maxAliases = 100;
  // Each level holds the one below four times: 4^3 = 64 leaves from 3 lines.
  std::string text = "a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n";
  std::string error = errorOf(text, limits);
  EXPECT_NE(error.find("expands to more than 50 nodes once its aliases are expanded"), std::string::npos) << error;
  limits.maxNodes = 100;
  EXPECT_EQ(errorOf("a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\n", limits), "");
}

TEST(YamlBounds, AFileLargerThanTheLimitIsRefusedBeforeItIsRead) {
  TemporaryDirectory dir;  // under $TMPDIR, not a fixed /tmp path
  const std::string name = (dir.path() / "big.yaml").string();
  writeFileAtomically(name, std::string(2000, '#'));
  try {
    readYamlFile(name, small());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), std::string(name) +
                                         ": more than 1000 bytes; ferry's limit for a test file is 1000 bytes (see "
                                         "docs/limits.md)");
  }
}

}  // namespace
}  // namespace ferry
