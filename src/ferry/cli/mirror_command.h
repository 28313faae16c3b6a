// `ferry mirror`: the command line of the three workflows (mirror/mirror.h).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "ferry/cli/flags.h"

namespace ferry {

struct MirrorFlags {
  std::string config;
  std::string from;
  std::string workspace;
  std::vector<std::string> destination;
  bool dryRun = false;
  bool strict = false;
  int parallel = 8;
  int maxNestedPaths = 0;
  bool imageContentSourcePolicy = false;
  bool catalogSourceByTag = false;
  std::vector<std::string> sourceMirrors;
  std::string output = "text";
  bool quiet = false;
  bool v2 = false;
  std::string authFile;
  SideFlags source, dest;
  RetryFlags retries;
};

CLI::App* addMirrorCommand(CLI::App& app, MirrorFlags& flags);
int runMirrorCommand(const MirrorFlags& flags);

}  // namespace ferry
