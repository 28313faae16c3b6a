// `ferry delete`: oc-mirror v2's two delete steps (mirror/delete.h, docs/delete.md).
//
//   ferry delete --generate -c delete-isc.yaml --workspace file://DIR docker://HOST[:PORT][/NS]
//   ferry delete --delete-yaml-file DIR/working-dir/delete/delete-images.yaml [--dry-run] docker://HOST[:PORT][/NS]
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "ferry/cli/flags.h"

namespace ferry {

struct DeleteFlags {
  bool generate = false;
  std::string config;
  std::string workspace;
  std::string deleteId;
  std::string deleteYamlFile;
  std::vector<std::string> destination;
  bool dryRun = false;
  bool deleteSignatures = false;
  bool deleteV1Images = false;
  bool forceCacheDelete = false;
  bool v2 = false;
  int port = 0;
  std::string cacheDir;
  std::string authFile;
  SideFlags dest;
  RetryFlags retries;
  bool quiet = false;
  std::string output = "text";
};

CLI::App* addDeleteCommand(CLI::App& app, DeleteFlags& flags);
int runDeleteCommand(const DeleteFlags& flags);

}  // namespace ferry
