// `ferry list releases`: what the update graph offers (release/update_graph.h),
// as oc-mirror's `list releases` shows it, plus each version's updates.
//
//   ferry list releases --channels --version 4.18     the channels 4.18 releases are in
//   ferry list releases --channel stable-4.18         the channel's versions, payloads and updates
//   ferry list releases --version 4.18                the 4.18 versions of stable-4.18
//   --filter-by-archs amd64,arm64 (default amd64), --type okd, --update-url URL, -o json
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "ferry/cli/flags.h"
#include "ferry/mirror/release_collector.h"

namespace ferry {

struct ListReleasesFlags {
  bool channels = false;
  std::string channel;
  std::string version;
  std::vector<std::string> archs;
  std::string type = "ocp";
  std::string updateUrl;
  std::string output = "text";
  RetryFlags retries;
};

CLI::App* addListReleasesCommand(CLI::App* list, ListReleasesFlags& flags);
int runListReleases(const ListReleasesFlags& flags);

// The release options of a command: --update-url, else $UPDATE_URL_OVERRIDE;
// the retry flags; retry warnings on stderr unless quiet.
mirror::ReleaseOptions releaseOptionsFrom(const std::string& updateUrl, const RetryFlags& retries, bool quiet);

}  // namespace ferry
