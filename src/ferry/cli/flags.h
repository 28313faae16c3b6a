// Flags shared by the commands that talk to registries: each side's TLS,
// certificates and credentials (in skopeo's and oc-mirror's spellings), retries,
// and platform selection.
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "ferry/base/error.h"
#include "ferry/copy/platform_filter.h"
#include "ferry/registry/http.h"
#include "ferry/registry/registry_client.h"

namespace ferry {

// Prints a warning line to stderr, wiping a progress line first on a terminal.
void printWarning(const std::string& line);

// The flags of one side (source or destination) of a transfer. Both spellings
// users bring are accepted: skopeo's (--src-tls-verify=false) and oc-mirror's
// (--source-skip-tls, --source-use-http).
struct SideFlags {
  bool tlsVerify = true;
  bool skipTls = false;
  bool useHttp = false;
  std::string certDir;
  std::string creds;

  RegistryOptions options(const std::string& authFile, int parallel) const {
    RegistryOptions options;
    options.tlsVerify = tlsVerify && !skipTls;
    options.plainHttp = useHttp;
    options.certDirectory = certDir;
    if (!creds.empty()) options.credential = Credential::parse(creds);
    options.authFile = authFile;
    options.maxConcurrentRequests = parallel;
    return options;
  }
};

// --retry-times and --retry-delay (copy, inspect, mirror), --chunk-size (copy).
struct RetryFlags {
  int times = 5;
  std::string delay = "1s";
  std::string chunkSize;

  // Sets one side's retry policy and upload chunking. Each retry is a warning
  // line on stderr unless quiet, and is added to `total`.
  void apply(RegistryOptions& options, bool quiet, const std::shared_ptr<std::atomic<int64_t>>& total) const {
    if (times < 0) fail("--retry-times must be 0 or more, not {}", times);
    options.retry.times = times;
    options.retry.delay = parseDuration(delay);
    if (!chunkSize.empty()) {
      options.uploadChunkSize = parseByteSize(chunkSize);
      if (options.uploadChunkSize <= 0) fail("--chunk-size must be more than 0 bytes");
    }
    options.retryTotal = total;
    if (!quiet) options.warn = printWarning;
  }
};

// --platform (repeatable or comma-separated), --keep-index, --sparse.
struct PlatformFlags {
  std::vector<std::string> platforms;
  bool keepIndex = false;
  bool sparse = false;

  PlatformSelection selection() const {
    PlatformSelection selection{.platforms = PlatformSelection::parseList(platforms), .keepIndex = keepIndex, .sparse = sparse};
    if ((keepIndex || sparse) && !selection.active()) fail("--keep-index and --sparse go with --platform");
    if (keepIndex && sparse) fail("choose one of --keep-index and --sparse");
    return selection;
  }
};

void addSideFlags(CLI::App* command, SideFlags& flags, const std::string& skopeoPrefix, const std::string& ocPrefix,
                  const std::string& side);


void addRetryFlags(CLI::App* command, RetryFlags& flags);

void addPlatformFlags(CLI::App* command, PlatformFlags& flags);

// --source-mirror PREFIX=LOCATION (repeatable), parsed by parseSourceMirrors (copy/endpoints.h).
void addSourceMirrorFlag(CLI::App* command, std::vector<std::string>& flags);

}  // namespace ferry
