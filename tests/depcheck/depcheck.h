// The dependency rules of ferry's libraries, checked against the sources.
//
// The build writes the libraries in layer order, lowest first, one line each:
// `FOLDER TARGET DEP...` (CMake's FERRY_LAYERS list and each folder's DEPS; see
// the top CMakeLists.txt). The check then reads every header and source of
// every folder under src/ferry (unit tests, `*_test.cc`, excepted: they are
// built into ferry_unit_tests, which links every library) and reports
//   - a folder that is not in the layer list;
//   - a library whose DEPS name a library of a higher layer;
//   - an `#include "ferry/OTHER/..."` where OTHER is a higher layer than the
//     file's own folder, or a library the folder's target does not depend on,
//     directly or through its dependencies.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::depcheck {

struct Library {
  std::string folder;  // under src/ferry
  std::string target;  // the CMake target
  std::vector<std::string> deps;  // as given to target_link_libraries, ferry's and others'
};

// Libraries lowest layer first.
struct LayerGraph {
  std::vector<Library> libraries;
};

// Parses the file the build writes; `name` is used in messages. Throws ferry::Error
// for a malformed line or a folder listed twice.
LayerGraph parseLayerGraph(std::string_view text, const std::string& name);

struct Violation {
  std::string file;  // relative to the source root, or the graph's name
  int line = 0;      // 0: not about one line
  std::string message;
};

struct CheckResult {
  std::vector<Violation> violations;
  int filesChecked = 0;
  int includesChecked = 0;
};

// Checks the folders under `sourceRoot` (the src/ferry directory) against `graph`.
CheckResult checkDependencies(const LayerGraph& graph, const std::filesystem::path& sourceRoot);

}  // namespace ferry::depcheck
