// `ferry list operators --catalog REF`: what a catalog image offers, read
// platform by platform (catalog/catalog_image.h).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "ferry/cli/flags.h"

namespace ferry {

struct ListOperatorsFlags {
  std::string catalog;
  // --catalogs --version X: which of Red Hat's default catalogs of OpenShift X exist at the source.
  bool catalogs = false;
  std::string version;
  std::vector<std::string> sourceMirrors;
  std::string package;
  std::string channel;
  std::string output = "text";
  std::string authFile;
  SideFlags access;
  RetryFlags retries;
};

CLI::App* addListCommand(CLI::App& app, ListOperatorsFlags& flags);
int runListOperators(const ListOperatorsFlags& flags);

}  // namespace ferry
