// Flags shared by the commands that talk to registries: each side's TLS,
// certificates and credentials (in skopeo's and oc-mirror's spellings), retries,
// and platform selection.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "ferry/base/error.h"
#include "ferry/base/log.h"
#include "ferry/copy/platform_filter.h"
#include "ferry/http/http_client.h"
#include "ferry/policy/policy.h"
#include "ferry/regconf/registries_conf.h"
#include "ferry/registry/registry_client.h"

namespace ferry {

// Prints a warning line to stderr, wiping a progress line first on a terminal.
void printWarning(const std::string& line);

// The flags of one side (source or destination) of a transfer. Both spellings
// users bring are accepted: skopeo's (--src-tls-verify=false) and oc-mirror's
// (--source-skip-tls, --source-use-http).
//
// --src-tls-verify=false is containers/image's "insecure registry": no
// verification, and plain HTTP when the registry answers HTTP (httpFallback).
// --source-skip-tls only skips verification; --source-use-http only talks HTTP.
struct SideFlags {
  bool tlsVerify = true;
  bool skipTls = false;
  bool useHttp = false;
  std::string certDir;
  std::string creds;
  std::string authFile;  // --src-authfile / --dest-authfile: this side's, instead of --authfile

  RegistryOptions options(const std::string& sharedAuthFile, int parallel) const {
    RegistryOptions options;
    options.tlsVerify = tlsVerify && !skipTls;
    options.plainHttp = useHttp;
    options.httpFallback = !tlsVerify;
    options.certDirectory = certDir;
    if (!creds.empty()) options.credential = Credential::parse(creds);
    options.authFile = authFile.empty() ? sharedAuthFile : authFile;
    options.maxConcurrentRequests = parallel;
    return options;
  }
};

// --retry-times, --retry-delay and --request-timeout (copy, inspect, mirror), --chunk-size (copy).
struct RetryFlags {
  int times = 5;
  std::string delay = "1s";
  std::string requestTimeout = "5m";
  std::string chunkSize;

  // Sets one side's retry policy and upload chunking. Each retry is a warning
  // line on stderr unless quiet, and is added to `total`.
  void apply(RegistryOptions& options, bool quiet, const std::shared_ptr<std::atomic<int64_t>>& total) const {
    if (times < 0) fail("--retry-times must be 0 or more, not {}", times);
    options.retry.times = times;
    options.retry.delay = parseDuration(delay);
    options.requestTimeout = parseDuration(requestTimeout);
    if (options.requestTimeout.count() <= 0) fail(ErrorKind::InvalidInput, "--request-timeout must be more than 0");
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

// Prints "note: LINE" to stderr (wiping a progress line first): what ferry made
// of a flag it accepts from oc-mirror or skopeo but has no use for.
void printNote(const std::string& line);

// --log-level error|warn|info|debug|trace and -v (debug), on the top-level
// command (accepted after the sub-command too).
struct LogFlags {
  std::string level;
  bool verbose = false;

  // The stderr level chosen (warn when neither flag is given); throws Error for an unknown level.
  log::Level stderrLevel() const;
  // The log file's level: debug, or trace when asked (a file is read after a failure).
  log::Level fileLevel() const { return std::min(stderrLevel(), log::Level::Debug); }
};

// Signature flags: --remove-signatures and --referrers none keep signatures and
// referrers behind (copy/attachments.h); --policy FILE (skopeo's) and
// oc-mirror's --secure-policy verify every image against a containers
// policy.json, with --registries.d for where signatures are kept (policy/policy.h).
struct SignatureFlags {
  bool removeSignatures = false;
  std::string referrers = "all";  // all | none
  bool securePolicy = false;
  std::string policy;
  std::string registriesDirectory;

  // One note per flag given that has no effect, saying why.
  std::vector<std::string> notes() const;
  // Whether signatures and referrers travel with their images; throws Error for a --referrers that is no mode.
  bool copyAttachments() const;
  // The policy to check images against: --policy FILE, or with --secure-policy
  // alone the file containers tools read (policy::defaultPolicyFile); null when
  // neither flag is given. Throws Error for a missing or malformed file.
  std::shared_ptr<const policy::PolicyChecker> checker() const;
};

// skopeo copy's multi-platform flags: --all (ferry's default), --multi-arch
// system|all|index-only, --preserve-digests (ferry's default).
struct SkopeoCopyFlags {
  bool all = false;
  std::string multiArch;
  bool preserveDigests = false;

  // Narrows `platforms` for --multi-arch system (the host's platform); refuses
  // index-only, which ferry cannot do, and --all/--multi-arch with --platform.
  void apply(PlatformFlags& platforms) const;
};

void addSideFlags(CLI::App* command, SideFlags& flags, const std::string& skopeoPrefix, const std::string& ocPrefix,
                  const std::string& side);
void addLogFlags(CLI::App& app, LogFlags& flags);

// registries.conf for every command that reads registries: --registries-conf
// FILE (a global flag, as skopeo's), else the files containers tools read
// (regconf/registries_conf.h). Read once, when first asked, so a command that
// reads no registry never fails on a broken file.
void addRegistriesConfFlag(CLI::App& app);
const RegistriesConf& registriesConf();
void addSignatureFlags(CLI::App* command, SignatureFlags& flags, bool ocMirror);
void addSkopeoCopyFlags(CLI::App* command, SkopeoCopyFlags& flags);
// --image-timeout DURATION (10m, 90s; 0 = none) → milliseconds.
std::chrono::milliseconds parseImageTimeout(const std::string& text);


void addRetryFlags(CLI::App* command, RetryFlags& flags);

void addPlatformFlags(CLI::App* command, PlatformFlags& flags);

// S3-compatible archives (docs/scale.md): --s3-endpoint URL, --s3-path-style
// true|false, --s3-region, --s3-part-size; they win over the AWS variables.
struct S3Flags {
  std::string endpoint;
  std::string pathStyle;  // "", "true" or "false"
  std::string region;
  std::string partSize;
  // Hands them to the S3 layer (setS3Overrides), with the retry flags when
  // given (S3 requests retry as registry requests do); throws Error for a bad value.
  void apply(const RetryFlags* retries = nullptr, bool quiet = false) const;
};
void addS3Flags(CLI::App* command, S3Flags& flags);

// --source-mirror PREFIX=LOCATION (repeatable), parsed by parseSourceMirrors (copy/endpoints.h).
void addSourceMirrorFlag(CLI::App* command, std::vector<std::string>& flags);

}  // namespace ferry
