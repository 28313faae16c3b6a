#include "ferry/fbc/yaml_to_json.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"

namespace ferry::catalog {
namespace {

std::string toJson(std::string_view yaml, bool shortcut = true) {
  auto json = yamlDocumentToJson({yaml, 1}, "test.yaml, document 1", shortcut);
  return json ? *json : "<skipped>";
}

std::string errorOf(std::string_view yaml) {
  try {
    toJson(yaml);
  } catch (const Error& error) {
    return error.what();
  }
  return "<no error>";
}

TEST(CatalogYamlSplit, SplitsOnSeparatorLinesAndKeepsLineNumbers) {
  std::string text = "---\na: 1\n--- # comment\n\nb: 2\n---   \n---\nc: 3";
  auto documents = splitYamlDocuments(text, "x.yaml");
  ASSERT_EQ(documents.size(), 3u);
  EXPECT_EQ(documents[0].text, "a: 1\n");
  EXPECT_EQ(documents[0].firstLine, 2u);
  EXPECT_EQ(documents[1].text, "\nb: 2\n");
  EXPECT_EQ(documents[1].firstLine, 4u);
  EXPECT_EQ(documents[2].text, "c: 3");
  EXPECT_EQ(documents[2].firstLine, 8u);
}

TEST(CatalogYamlSplit, RejectsTextAfterSeparator) {
  try {
    splitYamlDocuments("a: 1\n--- b: 2\n", "pkg/x.yaml");
    FAIL() << "no error";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("pkg/x.yaml: line 2: invalid YAML document separator"), std::string::npos) << message;
  }
  EXPECT_THROW(splitYamlDocuments("----\n", "x.yaml"), Error);
}

TEST(CatalogYamlScalars, ResolvesPlainScalarsAsGoYamlV2) {
  EXPECT_EQ(toJson("a: yes\nb: No\nc: ON\nd: off\ne: y\nf: TRUE\ng: False\n"),
            R"({"a":true,"b":false,"c":true,"d":false,"e":true,"f":true,"g":false})");
  EXPECT_EQ(toJson("a: ~\nb: null\nc:\nd: NULL\n"), R"({"a":null,"b":null,"c":null,"d":null})");
  EXPECT_EQ(toJson("a: 12\nb: -7\nc: 0x1F\nd: 0o17\ne: 017\nf: 1_000\ng: +3\nh: 0b101\n"),
            R"({"a":12,"b":-7,"c":31,"d":15,"e":15,"f":1000,"g":3,"h":5})");
  EXPECT_EQ(toJson("a: 18446744073709551615\nb: 18446744073709551616\n"),
            R"({"a":18446744073709551615,"b":18446744073709552000})");
  EXPECT_EQ(toJson("a: 1.5\nb: 1.0\nc: .5\nd: 1e3\ne: -2.5e-7\nf: 08\n"),
            R"({"a":1.5,"b":1,"c":0.5,"d":1000,"e":-2.5e-7,"f":8})");
}

TEST(CatalogYamlScalars, KeepsTimestampsVersionsAndQuotedScalarsAsStrings) {
  EXPECT_EQ(toJson("created: 2024-01-15T10:00:00Z\nday: 2024-01-15\nversion: 1.2.3\nrange: <1.2.0\n"),
            R"({"created":"2024-01-15T10:00:00Z","day":"2024-01-15","version":"1.2.3","range":"<1.2.0"})");
  EXPECT_EQ(toJson("a: \"123\"\nb: 'yes'\nc: !!str 12\nd: \"\"\ne: |\n  true\n"),
            R"({"a":"123","b":"yes","c":"12","d":"","e":"true\n"})");
  EXPECT_EQ(toJson("a: 0x\nb: 1.2.3.4\nc: -x\nd: .\ne: 1_\n"), R"({"a":"0x","b":"1.2.3.4","c":"-x","d":".","e":1})");
}

TEST(CatalogYamlScalars, TurnsKeysIntoStrings) {
  EXPECT_EQ(toJson("1: a\ntrue: b\n1.5: c\n\"x\": d\n"), R"({"1":"a","true":"b","1.5":"c","x":"d"})");
  // go-yaml v2 reads the keys y and n as booleans too.
  EXPECT_EQ(toJson("y: 1\nn: 2\n\"y\": 3\n"), R"({"true":1,"false":2,"y":3})");
  EXPECT_NE(errorOf("? [a, b]\n: c\n").find("line 1 is a sequence; JSON keys must be strings"), std::string::npos);
  EXPECT_NE(errorOf("~: a\n").find("is null"), std::string::npos);
}

TEST(CatalogYamlScalars, RejectsValuesJsonCannotHold) {
  EXPECT_NE(errorOf("a: 1\nb: .inf\n").find("'.inf' at line 2 is infinite or not a number"), std::string::npos);
  EXPECT_NE(errorOf("a: .NaN\n").find("infinite or not a number"), std::string::npos);
}

TEST(CatalogYamlStructure, ConvertsNestingAnchorsMergesAndRepeatedKeys) {
  EXPECT_EQ(toJson("a:\n  - x: 1\n    k: [1, \"2\", {z: w}]\n  - []\nb: {}\n"),
            R"({"a":[{"x":1,"k":[1,"2",{"z":"w"}]},[]],"b":{}})");
  EXPECT_EQ(toJson("base: &b {x: 1, k: 2}\nother:\n  <<: *b\n  k: 3\n"),
            R"({"base":{"x":1,"k":2},"other":{"x":1,"k":3}})");
  EXPECT_EQ(toJson("a: &a {x: 1}\nb: &b {x: 2, k: 2}\nc:\n  <<: [*a, *b]\n"),
            R"({"a":{"x":1},"b":{"x":2,"k":2},"c":{"x":1,"k":2}})");
  EXPECT_EQ(toJson("a: 1\nb: 2\na: 3\n"), R"({"a":3,"b":2})");
  EXPECT_EQ(toJson("s: \"caf\\u00e9 \\\"q\\\" <tag>\"\n"), "{\"s\":\"caf\xc3\xa9 \\\"q\\\" <tag>\"}");
}

TEST(CatalogYamlStructure, SkipsBlankDocumentsAndRejectsCommentOnlyOnes) {
  EXPECT_EQ(toJson("\n  \n\n"), "<skipped>");
  EXPECT_NE(errorOf("# just a comment\n").find("holds no object, only comments"), std::string::npos);
}

TEST(CatalogYamlStructure, ATokenNoNodeCanStartWithIsASyntaxErrorNotAnEmptyDocument) {
  EXPECT_EQ(errorOf(",a\n"),
            "test.yaml, document 1: invalid YAML at line 1, column 1: unexpected ',': no YAML node can start here");
  EXPECT_NE(errorOf("# just a comment\n").find("holds no object, only comments"), std::string::npos);
}

TEST(CatalogYamlStructure, ReportsSyntaxErrorsWithTheFileLine) {
  auto json = [] { return yamlDocumentToJson({"a: 1\nb: [1, 2\n", 40}, "pkg/x.yaml, document 3 (line 40)"); };
  try {
    json();
    FAIL() << "no error";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("pkg/x.yaml, document 3 (line 40): invalid YAML at line 4"), std::string::npos) << message;
  }
}

std::string base64Like(size_t length, char seed) {
  std::string text;
  for (size_t i = 0; i < length; ++i) text += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(i * 7 + seed) % 64];
  return text;
}

// The long-scalar shortcut must give exactly what yaml-cpp gives on the original text.
TEST(CatalogYamlShortcut, GivesTheSameJsonAsAFullParse) {
  std::string longToken = base64Like(600, 3);
  std::string block;
  for (int i = 0; i < 30; ++i) block += "      line " + std::to_string(i) + ": {\"json\": [1, 2]} # not a comment\n";
  std::vector<std::string> documents = {
      // plain base64 values, in mappings and sequence items
      "schema: olm.bundle\nproperties:\n- type: olm.bundle.object\n  value:\n    data: " + longToken +
          "\n- type: x\n  value:\n    data: " + base64Like(300, 9) + "   \nicon:\n  base64data: " + longToken + "\n",
      // literal blocks, stripped and clipped, with blank lines inside and after
      "a:\n  b: |-\n" + block + "\n" + block + "\n\n  c: |\n" + block + "\n  d: 1\n",
      // a block at the end of the document
      "x:\n  y: |\n" + block,
      // a base64 line inside a literal block: must stay text
      "a: |\n  data: " + longToken + "\n  more\nb: 2\n",
      // a base64 line inside a double-quoted scalar spanning lines
      "a: \"first\n  data: " + longToken + "\n  last\"\nb: 1\n",
      // a plain scalar continued on the next line: not shortened
      "a:\n  data: " + longToken + "\n    continued\n",
      // digits only: a number, not shortened
      "a: " + std::string(300, '7') + "\n",
      // a block whose content is less indented than its key: an empty block
      "a:\n  b: |\n  c: " + longToken + "\n",
      // an alias to a shortened value appears twice
      "a: &x\n  data: " + longToken + "\nb: *x\n",
  };
  for (const auto& document : documents) {
    std::string full = toJson(document, false);
    EXPECT_EQ(toJson(document, true), full) << document;
  }
  EXPECT_NE(toJson(documents[3]).find("data: " + longToken + "\\nmore\\n"), std::string::npos);
}

}  // namespace
}  // namespace ferry::catalog
