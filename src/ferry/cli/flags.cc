#include "ferry/cli/flags.h"

#include <unistd.h>

#include <cstdio>

#include "ferry/base/error.h"

namespace ferry {

void addSideFlags(CLI::App* command, SideFlags& flags, const std::string& skopeoPrefix, const std::string& ocPrefix,
                  const std::string& side) {
  command->add_option("--" + skopeoPrefix + "-tls-verify", flags.tlsVerify,
                      "Verify the " + side + " registry's TLS certificate (default true; =false to skip)")
      ->default_str("true");
  command->add_flag("--" + ocPrefix + "-skip-tls", flags.skipTls, "Do not verify the " + side + " registry's TLS certificate");
  command->add_flag("--" + ocPrefix + "-use-http", flags.useHttp, "Talk plain HTTP to the " + side + " registry");
  command->add_option("--" + skopeoPrefix + "-cert-dir", flags.certDir,
                      "Folder with *.crt CA files (and *.cert/*.key client certificate) for the " + side + " registry");
  command->add_option("--" + skopeoPrefix + "-creds", flags.creds, "USER:PASSWORD for the " + side + " registry");
}

void printWarning(const std::string& line) {
  // On a terminal the progress line is wiped first; the display redraws it.
  std::fprintf(stderr, "%swarning: %s\n", ::isatty(STDERR_FILENO) ? "\r\033[K" : "", line.c_str());
}

void addRetryFlags(CLI::App* command, RetryFlags& flags) {
  command->add_option("--retry-times", flags.times,
                      "Retries of a request that failed for a reason that may pass (a dropped connection, HTTP 5xx, "
                      "429, 408)")
      ->default_val(5);
  command->add_option("--retry-delay", flags.delay,
                      "Wait before the first retry (500ms, 2s, 1.5); it doubles for each next one, and a registry's "
                      "Retry-After is honoured")
      ->default_val("1s");
}

void addSourceMirrorFlag(CLI::App* command, std::vector<std::string>& flags) {
  command->add_option("--source-mirror", flags,
                      "PREFIX=LOCATION: read images named PREFIX/... from LOCATION (a registry path, or oci:DIR); "
                      "names stay as they are (repeatable)")
      ->allow_extra_args(false);
}

void addPlatformFlags(CLI::App* command, PlatformFlags& flags) {
  command->add_option("--platform", flags.platforms,
                      "Copy only these platforms (os/arch[/variant]; repeat or comma-separate): a new filtered index, "
                      "or the one matching image itself")
      ->allow_extra_args(false);
  command->add_flag("--keep-index", flags.keepIndex, "With --platform: push a one-entry index when one platform matches");
  command->add_flag("--sparse", flags.sparse,
                    "With --platform: push the original index unchanged (digest kept) with only the selected children; "
                    "the registry must accept indexes with missing children");
}

}  // namespace ferry
