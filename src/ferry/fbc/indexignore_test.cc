#include "ferry/fbc/indexignore.h"

#include <gtest/gtest.h>

namespace ferry::catalog {
namespace {

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

TEST(CatalogGlob, MatchesLikeGoFilepathMatch) {
  EXPECT_TRUE(globMatches("*.md", "README.md"));
  EXPECT_FALSE(globMatches("*.md", "README.mdx"));
  EXPECT_TRUE(globMatches("READ?E.md", "README.md"));
  EXPECT_TRUE(globMatches("?", "\xc3\xa9"));  // one character, two bytes
  EXPECT_TRUE(globMatches("[a-c]x", "bx"));
  EXPECT_FALSE(globMatches("[^a-c]x", "bx"));
  EXPECT_TRUE(globMatches("[^a-c]x", "dx"));
  EXPECT_TRUE(globMatches("\\*", "*"));
  EXPECT_FALSE(globMatches("\\*", "a"));
  EXPECT_TRUE(globMatches("*", ""));
  EXPECT_FALSE(globMatches("[a-", "a"));  // malformed: matches nothing
}

TEST(CatalogIndexIgnore, SkipsCommentsAndBlankLinesAndTrimsSpaces) {
  IndexIgnore ignore;
  ignore.addFile({}, "# a comment\n\n   README.md   \n\t\n");
  EXPECT_TRUE(ignore.ignores(split("README.md")));
  EXPECT_TRUE(ignore.ignores(split("pkg/README.md")));  // no slash: any depth
  EXPECT_FALSE(ignore.ignores(split("# a comment")));
  EXPECT_FALSE(ignore.ignores(split("pkg/catalog.json")));
}

TEST(CatalogIndexIgnore, ScopesPatternsToTheirDirectory) {
  IndexIgnore ignore;
  ignore.addFile({"a"}, "*.md\n");
  EXPECT_TRUE(ignore.ignores(split("a/README.md")));
  EXPECT_TRUE(ignore.ignores(split("a/deep/x.md")));
  EXPECT_FALSE(ignore.ignores(split("b/README.md")));
  EXPECT_FALSE(ignore.ignores(split("README.md")));
}

TEST(CatalogIndexIgnore, AnchorsPatternsWithASlash) {
  IndexIgnore ignore;
  ignore.addFile({}, "/top.yaml\ndocs/notes.txt\n");
  EXPECT_TRUE(ignore.ignores(split("top.yaml")));
  EXPECT_FALSE(ignore.ignores(split("pkg/top.yaml")));
  EXPECT_TRUE(ignore.ignores(split("docs/notes.txt")));
  EXPECT_FALSE(ignore.ignores(split("pkg/docs/notes.txt")));
}

TEST(CatalogIndexIgnore, DirectoryPatternsExcludeEverythingBelow) {
  IndexIgnore ignore;
  ignore.addFile({}, "drafts/\nold\n");
  EXPECT_TRUE(ignore.ignores(split("drafts/a.json")));
  EXPECT_TRUE(ignore.ignores(split("pkg/drafts/deep/a.json")));
  EXPECT_FALSE(ignore.ignores(split("drafts")));  // a file named like the directory
  EXPECT_TRUE(ignore.ignores(split("old/a.json")));
  EXPECT_TRUE(ignore.ignores(split("old")));
}

TEST(CatalogIndexIgnore, DoubleStarMatchesAnyDepth) {
  IndexIgnore ignore;
  ignore.addFile({}, "**/tmp/*.yaml\nbuild/**\n");
  EXPECT_TRUE(ignore.ignores(split("tmp/a.yaml")));
  EXPECT_TRUE(ignore.ignores(split("x/y/tmp/a.yaml")));
  EXPECT_FALSE(ignore.ignores(split("x/y/tmp/a.json")));
  EXPECT_TRUE(ignore.ignores(split("build/a/b/c.json")));
  EXPECT_FALSE(ignore.ignores(split("pkg/build/c.json")));
}

TEST(CatalogIndexIgnore, LaterNegationReincludes) {
  IndexIgnore ignore;
  ignore.addFile({}, "*.yaml\n!keep.yaml\n");
  EXPECT_TRUE(ignore.ignores(split("pkg/drop.yaml")));
  EXPECT_FALSE(ignore.ignores(split("pkg/keep.yaml")));

  // A deeper .indexignore is added later and wins.
  ignore.addFile({"pkg"}, "keep.yaml\n");
  EXPECT_TRUE(ignore.ignores(split("pkg/keep.yaml")));
  EXPECT_FALSE(ignore.ignores(split("other/keep.yaml")));
}

}  // namespace
}  // namespace ferry::catalog
