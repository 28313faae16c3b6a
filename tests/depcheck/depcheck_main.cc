// ferry-depcheck LAYERS_FILE SOURCE_ROOT: checks ferry's include dependencies
// against the layer order and DEPS the build declared (depcheck.h); exit 1 on a violation.
#include <cstdio>
#include <exception>

#include "depcheck.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: ferry-depcheck LAYERS_FILE SOURCE_ROOT\n");
    return 2;
  }
  try {
    auto graph = ferry::depcheck::parseLayerGraph(ferry::readFile(argv[1]), argv[1]);
    auto result = ferry::depcheck::checkDependencies(graph, argv[2]);
    for (const auto& violation : result.violations) {
      if (violation.line > 0)
        std::fprintf(stderr, "%s:%d: %s\n", violation.file.c_str(), violation.line, violation.message.c_str());
      else
        std::fprintf(stderr, "%s: %s\n", violation.file.c_str(), violation.message.c_str());
    }
    std::printf("ferry-depcheck: %zu libraries, %d files, %d ferry includes checked, %zu violations\n",
                graph.libraries.size(), result.filesChecked, result.includesChecked, result.violations.size());
    return result.violations.empty() ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
