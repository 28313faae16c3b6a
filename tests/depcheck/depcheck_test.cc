#include "depcheck.h"

#include <gtest/gtest.h>

#include <fstream>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry::depcheck {
namespace {

namespace fs = std::filesystem;

// A seeded source tree: src/ferry/FOLDER/FILE with the given text.
class SeededTree {
 public:
  void write(const std::string& relative, const std::string& text) {
    auto path = dir_.path() / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  // One empty header in each of low, mid and high.
  void writeEmptyLayers() {
    write("low/a.h", "");
    write("mid/b.h", "");
    write("high/d.h", "");
  }
  const fs::path& root() const { return dir_.path(); }

 private:
  TemporaryDirectory dir_{"depcheck"};
};

// low <- mid <- high, each depending on the one below.
const char* kLayers =
    "# folder target deps\n"
    "low ferry_low fmt::fmt\n"
    "mid ferry_mid ferry_low\n"
    "high ferry_high ferry_mid nlohmann_json::nlohmann_json\n";

std::vector<std::string> messages(const CheckResult& result) {
  std::vector<std::string> out;
  for (const auto& violation : result.violations)
    out.push_back(violation.file + ":" + std::to_string(violation.line) + ": " + violation.message);
  return out;
}

TEST(DependencyCheck, CleanTreePasses) {
  SeededTree tree;
  tree.write("low/a.h", "#include <string>\n");
  tree.write("mid/b.h", "#include \"ferry/low/a.h\"\n#include \"ferry/mid/c.h\"\n");
  tree.write("high/d.cc", "#include \"ferry/mid/b.h\"\n#include \"ferry/low/a.h\"\n");  // low only through mid
  auto result = checkDependencies(parseLayerGraph(kLayers, "layers"), tree.root());
  EXPECT_TRUE(result.violations.empty()) << testing::PrintToString(messages(result));
  EXPECT_EQ(result.filesChecked, 3);
  EXPECT_EQ(result.includesChecked, 4);
}

TEST(DependencyCheck, LowerLayerIncludingHigherFails) {
  SeededTree tree;
  tree.write("low/a.h", "#include <string>\n");
  tree.write("mid/b.cc", "#include \"ferry/low/a.h\"\n\n  #  include \"ferry/high/d.h\"\n");
  tree.write("high/d.h", "");
  auto result = checkDependencies(parseLayerGraph(kLayers, "layers"), tree.root());
  ASSERT_EQ(result.violations.size(), 1u) << testing::PrintToString(messages(result));
  EXPECT_EQ(result.violations[0].file, "src/ferry/mid/b.cc");
  EXPECT_EQ(result.violations[0].line, 3);
  EXPECT_NE(result.violations[0].message.find("the lower layer 'mid' includes ferry/high/d.h of the higher layer 'high'"),
            std::string::npos)
      << result.violations[0].message;
}

TEST(DependencyCheck, IncludeOfALibraryNotDependedOnFails) {
  SeededTree tree;
  // high depends on low only: mid is a lower layer, but high does not link it.
  tree.write("low/a.h", "");
  tree.write("mid/b.h", "");
  tree.write("high/d.cc", "#include \"ferry/mid/b.h\"\n");
  auto graph = parseLayerGraph("low ferry_low\nmid ferry_mid ferry_low\nhigh ferry_high ferry_low\n", "layers");
  auto result = checkDependencies(graph, tree.root());
  ASSERT_EQ(result.violations.size(), 1u) << testing::PrintToString(messages(result));
  EXPECT_EQ(result.violations[0].file, "src/ferry/high/d.cc");
  EXPECT_EQ(result.violations[0].line, 1);
  EXPECT_NE(result.violations[0].message.find("ferry_high does not depend on ferry_mid"), std::string::npos)
      << result.violations[0].message;
}

TEST(DependencyCheck, UnitTestsAreNotChecked) {
  SeededTree tree;
  tree.write("low/a_test.cc", "#include \"ferry/high/d.h\"\n");  // built into ferry_unit_tests, which links all
  tree.writeEmptyLayers();
  auto result = checkDependencies(parseLayerGraph(kLayers, "layers"), tree.root());
  EXPECT_TRUE(result.violations.empty()) << testing::PrintToString(messages(result));
  EXPECT_EQ(result.filesChecked, 3);
}

TEST(DependencyCheck, FolderOutsideTheLayerListFails) {
  SeededTree tree;
  tree.writeEmptyLayers();
  tree.write("stray/e.h", "");
  tree.write("mid/c.cc", "#include \"ferry/nowhere/x.h\"\n");
  auto result = checkDependencies(parseLayerGraph(kLayers, "layers"), tree.root());
  auto found = messages(result);
  ASSERT_EQ(found.size(), 2u) << testing::PrintToString(found);
  EXPECT_NE(found[0].find("'nowhere' is not a library of the layer list"), std::string::npos) << found[0];
  EXPECT_NE(found[1].find("folder 'stray' is not a library of the layer list"), std::string::npos) << found[1];
}

TEST(DependencyCheck, DepsPointingUpFail) {
  SeededTree tree;
  tree.writeEmptyLayers();
  auto graph = parseLayerGraph("low ferry_low ferry_high\nmid ferry_mid ferry_low\nhigh ferry_high ferry_mid\n", "layers");
  auto result = checkDependencies(graph, tree.root());
  ASSERT_EQ(result.violations.size(), 1u) << testing::PrintToString(messages(result));
  EXPECT_EQ(result.violations[0].file, "src/ferry/low/CMakeLists.txt");
  EXPECT_NE(result.violations[0].message.find("ferry_low depends on ferry_high, which is not in a lower layer"),
            std::string::npos)
      << result.violations[0].message;
}

TEST(DependencyCheck, MalformedLayerFileIsRefused) {
  EXPECT_THROW(parseLayerGraph("", "layers"), Error);
  EXPECT_THROW(parseLayerGraph("lonely\n", "layers"), Error);
  try {
    parseLayerGraph("low ferry_low\nlow ferry_low2\n", "layers.txt");
    FAIL() << "a folder listed twice was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layers.txt:2: folder 'low' is listed twice"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ferry::depcheck
