// `ferry list tags REFERENCE`: every tag of a registry repository (following
// pagination), or the ref.names of an OCI layout or oci-archive.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "ferry/cli/flags.h"

namespace ferry {

struct ListTagsFlags {
  std::string repository;
  std::string output = "text";
  std::string authFile;
  SideFlags access;
  RetryFlags retries;
};

CLI::App* addListTagsCommand(CLI::App* list, ListTagsFlags& flags);
int runListTags(const ListTagsFlags& flags);

}  // namespace ferry
