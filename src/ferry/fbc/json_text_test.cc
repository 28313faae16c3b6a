#include "ferry/fbc/json_text.h"

#include <gtest/gtest.h>

namespace ferry::catalog {
namespace {

std::string indent(std::string_view json) {
  std::string out;
  appendIndentedJson(out, json);
  return out;
}

std::string quote(std::string_view text) {
  std::string out;
  appendJsonString(out, text);
  return out;
}

TEST(CatalogJsonText, IndentsLikeGoEncoder) {
  EXPECT_EQ(indent(R"({"a":1,"b":[true,null,"x"],"c":{"d":-1.50e3}})"),
            "{\n"
            "    \"a\": 1,\n"
            "    \"b\": [\n"
            "        true,\n"
            "        null,\n"
            "        \"x\"\n"
            "    ],\n"
            "    \"c\": {\n"
            "        \"d\": -1.50e3\n"
            "    }\n"
            "}");
}

TEST(CatalogJsonText, KeepsEmptyContainersOnOneLine) {
  EXPECT_EQ(indent(R"({"a":{},"b":[],"c":[{}]})"),
            "{\n    \"a\": {},\n    \"b\": [],\n    \"c\": [\n        {}\n    ]\n}");
}

TEST(CatalogJsonText, CopiesStringsVerbatimIncludingEscapesAndStructuralCharacters) {
  std::string json = R"({"k\"ey":"a,b:{c}[d] \\\" \u00e9 \\","x":"\\"})";
  EXPECT_EQ(indent(json), "{\n    \"k\\\"ey\": \"a,b:{c}[d] \\\\\\\" \\u00e9 \\\\\",\n    \"x\": \"\\\\\"\n}");
}

TEST(CatalogJsonText, IgnoresWhitespaceOfIndentedInput) {
  std::string once = indent(R"({"a":[1,2],"b":"c d"})");
  EXPECT_EQ(indent(once), once);
}

TEST(CatalogJsonText, QuotesStringsAsGoDoesWithoutHtmlEscaping) {
  EXPECT_EQ(quote("plain <b>&</b>"), "\"plain <b>&</b>\"");
  EXPECT_EQ(quote("q\"b\\n\nr\rt\t"), "\"q\\\"b\\\\n\\nr\\rt\\t\"");
  EXPECT_EQ(quote(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(quote("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");
  EXPECT_EQ(quote("line\xe2\x80\xa8sep\xe2\x80\xa9"), "\"line\\u2028sep\\u2029\"");
  EXPECT_EQ(quote("bad\xff\xc3"), "\"bad\xef\xbf\xbd\xef\xbf\xbd\"");
}

TEST(CatalogJsonText, MatchesKeysCaseInsensitively) {
  EXPECT_TRUE(keyMatches("schema", "schema"));
  EXPECT_TRUE(keyMatches("SCHEMA", "schema"));
  EXPECT_TRUE(keyMatches("defaultchannel", "defaultChannel"));
  EXPECT_TRUE(keyMatches("\xc5\xbf"
                         "chema",
                         "schema"));  // U+017F folds to s
  EXPECT_TRUE(keyMatches("pac\xe2\x84\xaa"
                         "age",
                         "package"));  // U+212A KELVIN SIGN folds to k
  EXPECT_FALSE(keyMatches("schemas", "schema"));
  EXPECT_FALSE(keyMatches("schem", "schema"));
  EXPECT_FALSE(keyMatches("", "name"));
}

}  // namespace
}  // namespace ferry::catalog
