#include "depcheck.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "ferry/base/error.h"

namespace ferry::depcheck {
namespace {

namespace fs = std::filesystem;

// The ferry libraries `target` reaches through its DEPS, itself included.
std::set<std::string> reachable(const std::map<std::string, const Library*>& byTarget, const std::string& target) {
  std::set<std::string> seen;
  std::vector<std::string> work{target};
  while (!work.empty()) {
    auto current = work.back();
    work.pop_back();
    if (!seen.insert(current).second) continue;
    auto found = byTarget.find(current);
    if (found == byTarget.end()) continue;
    for (const auto& dep : found->second->deps)
      if (byTarget.contains(dep)) work.push_back(dep);
  }
  return seen;
}

bool isCheckedSource(const fs::path& file) {
  auto extension = file.extension();
  if (extension != ".h" && extension != ".cc") return false;
  return !file.filename().string().ends_with("_test.cc");
}

}  // namespace

LayerGraph parseLayerGraph(std::string_view text, const std::string& name) {
  LayerGraph graph;
  std::set<std::string> folders;
  std::istringstream lines{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty() || line.front() == '#') continue;
    std::istringstream words(line);
    Library library;
    if (!(words >> library.folder >> library.target))
      fail("{}:{}: expected 'FOLDER TARGET DEP...', got '{}'", name, number, line);
    for (std::string dep; words >> dep;) library.deps.push_back(dep);
    if (!folders.insert(library.folder).second)
      fail("{}:{}: folder '{}' is listed twice; each folder is one library in one layer", name, number,
           library.folder);
    graph.libraries.push_back(std::move(library));
  }
  if (graph.libraries.empty()) fail("{} lists no libraries; is it the file the build writes?", name);
  return graph;
}

CheckResult checkDependencies(const LayerGraph& graph, const fs::path& sourceRoot) {
  CheckResult result;
  std::map<std::string, size_t> layerOf;  // folder -> position in the layer order
  std::map<std::string, const Library*> byFolder, byTarget;
  for (size_t i = 0; i < graph.libraries.size(); ++i) {
    const auto& library = graph.libraries[i];
    layerOf[library.folder] = i;
    byFolder[library.folder] = &library;
    byTarget[library.target] = &library;
  }

  for (const auto& library : graph.libraries) {
    for (const auto& dep : library.deps) {
      auto found = byTarget.find(dep);
      if (found == byTarget.end()) continue;  // not one of ferry's
      if (layerOf[found->second->folder] >= layerOf[library.folder])
        result.violations.push_back(
            {"src/ferry/" + library.folder + "/CMakeLists.txt", 0,
             fmt::format("{} depends on {}, which is not in a lower layer (FERRY_LAYERS in CMakeLists.txt); "
                         "dependencies point down only",
                         library.target, dep)});
    }
  }

  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(sourceRoot))
    if (entry.is_directory()) folders.push_back(entry.path());
  std::sort(folders.begin(), folders.end());

  static const std::regex include(R"(^\s*#\s*include\s*"ferry/([^/"]+)/([^"]+)\")");
  for (const auto& folderPath : folders) {
    std::string folder = folderPath.filename().string();
    auto library = byFolder.find(folder);
    if (library == byFolder.end()) {
      result.violations.push_back(
          {"src/ferry/" + folder, 0,
           fmt::format("folder '{}' is not a library of the layer list; add it to FERRY_LAYERS in CMakeLists.txt "
                       "at its place in the layer order",
                       folder)});
      continue;
    }
    auto reaches = reachable(byTarget, library->second->target);

    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folderPath))
      if (entry.is_regular_file() && isCheckedSource(entry.path())) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      ++result.filesChecked;
      std::string relative = "src/ferry/" + folder + "/" + file.filename().string();
      std::ifstream in(file);
      if (!in) fail("cannot read '{}'", file.string());
      std::string line;
      int number = 0;
      while (std::getline(in, line)) {
        ++number;
        std::smatch match;
        if (!std::regex_search(line, match, include)) continue;
        ++result.includesChecked;
        std::string other = match[1];
        if (other == folder) continue;
        auto included = byFolder.find(other);
        std::string header = "ferry/" + other + "/" + std::string(match[2]);
        if (included == byFolder.end()) {
          result.violations.push_back(
              {relative, number, fmt::format("includes {}, but '{}' is not a library of the layer list", header, other)});
        } else if (layerOf[other] > layerOf[folder]) {
          result.violations.push_back(
              {relative, number,
               fmt::format("the lower layer '{}' includes {} of the higher layer '{}'; dependencies point down only "
                           "(FERRY_LAYERS in CMakeLists.txt)",
                           folder, header, other)});
        } else if (!reaches.contains(included->second->target)) {
          result.violations.push_back(
              {relative, number,
               fmt::format("includes {}, but {} does not depend on {}; add it to DEPS in src/ferry/{}/CMakeLists.txt "
                           "or drop the include",
                           header, library->second->target, included->second->target, folder)});
        }
      }
    }
  }
  return result;
}

}  // namespace ferry::depcheck
