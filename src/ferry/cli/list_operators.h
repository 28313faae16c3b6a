// `ferry list operators --catalog REF`: what a catalog image offers, read
// platform by platform (catalog/catalog_image.h).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "ferry/cli/flags.h"

namespace ferry {

struct ListOperatorsFlags {
  std::string catalog;
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
