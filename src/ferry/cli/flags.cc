#include "ferry/cli/flags.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>

#include "ferry/base/error.h"
#include "ferry/http/http_client.h"
#include "ferry/s3/s3_client.h"

namespace ferry {

void addSideFlags(CLI::App* command, SideFlags& flags, const std::string& skopeoPrefix, const std::string& ocPrefix,
                  const std::string& side) {
  command->add_option("--" + skopeoPrefix + "-tls-verify", flags.tlsVerify,
                      "Verify the " + side + " registry's TLS certificate (default true); =false also falls back to plain "
                      "HTTP when the registry answers HTTP, as skopeo does")
      ->default_str("true");
  command->add_flag("--" + ocPrefix + "-skip-tls", flags.skipTls, "Do not verify the " + side + " registry's TLS certificate");
  command->add_flag("--" + ocPrefix + "-use-http", flags.useHttp, "Talk plain HTTP to the " + side + " registry");
  command->add_option("--" + skopeoPrefix + "-cert-dir", flags.certDir,
                      "Folder with *.crt CA files (and *.cert/*.key client certificate) for the " + side + " registry");
  command->add_option("--" + skopeoPrefix + "-creds", flags.creds, "USER:PASSWORD for the " + side + " registry");
  command->add_option("--" + skopeoPrefix + "-authfile", flags.authFile,
                      "Auth file for the " + side + " registry only (instead of --authfile)");
}

void printWarning(const std::string& line) {
  // On a terminal the progress line is wiped first; the display redraws it.
  std::fprintf(stderr, "%swarning: %s\n", ::isatty(STDERR_FILENO) ? "\r\033[K" : "", line.c_str());
}

void addS3Flags(CLI::App* command, S3Flags& flags) {
  command->add_option("--s3-endpoint", flags.endpoint,
                      "s3:// archives: the S3-compatible endpoint (http[s]://HOST[:PORT]); default "
                      "$AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, the profile's endpoint_url, else AWS");
  command->add_option("--s3-path-style", flags.pathStyle,
                      "s3:// archives: address buckets as ENDPOINT/BUCKET/KEY (true) or BUCKET.ENDPOINT/KEY (false); "
                      "default true for non-AWS endpoints");
  command->add_option("--s3-region", flags.region,
                      "s3:// archives: the signing region; default $AWS_REGION, $AWS_DEFAULT_REGION, the profile's, "
                      "else us-east-1");
  command->add_option("--s3-part-size", flags.partSize,
                      "s3:// archives: bytes per multipart upload part, each held in memory until sent (5MiB to "
                      "5GiB; default 16MiB)");
}

void S3Flags::apply(const RetryFlags* retries, bool quiet) const {
  S3Overrides overrides{.endpoint = endpoint, .pathStyle = std::nullopt, .region = region};
  if (pathStyle == "true") {
    overrides.pathStyle = true;
  } else if (pathStyle == "false") {
    overrides.pathStyle = false;
  } else if (!pathStyle.empty()) {
    fail(ErrorKind::InvalidInput, "--s3-path-style must be true or false, not '{}'", pathStyle);
  }
  if (!partSize.empty()) overrides.partSize = parseByteSize(partSize);
  if (retries) {
    RetryPolicy policy;
    policy.times = retries->times;
    policy.delay = parseDuration(retries->delay);
    overrides.retry = policy;
  }
  if (!quiet) overrides.warn = printWarning;
  setS3Overrides(std::move(overrides));
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
  command->add_option("--request-timeout", flags.requestTimeout,
                      "The longest one request may take (30s, 5m); a blob transfer gets one second more per 256 KiB "
                      "of its size. A request over it fails and is not retried")
      ->default_val("5m");
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

namespace ferry {
namespace {

// The platform skopeo's --multi-arch system picks: this machine's, in Go's names.
std::string hostPlatform() {
  struct utsname host {};
  std::string machine = ::uname(&host) == 0 ? host.machine : "x86_64";
  if (machine == "x86_64") return "linux/amd64";
  if (machine == "aarch64") return "linux/arm64";
  if (machine == "armv7l") return "linux/arm/v7";
  if (machine == "i686" || machine == "i386") return "linux/386";
  return "linux/" + machine;  // ppc64le, s390x, riscv64 are spelt alike
}

}  // namespace

void printNote(const std::string& line) {
  std::fprintf(stderr, "%snote: %s\n", ::isatty(STDERR_FILENO) ? "\r\033[K" : "", line.c_str());
}

log::Level LogFlags::stderrLevel() const {
  if (!level.empty()) {
    auto parsed = log::parseLevel(level);
    if (!parsed) fail("--log-level '{}' is not a level; use error, warn, info, debug or trace", level);
    return *parsed;
  }
  return verbose ? log::Level::Debug : log::Level::Warn;
}

void addLogFlags(CLI::App& app, LogFlags& flags) {
  app.add_option("--log-level", flags.level,
                 "error, warn (default), info, debug (each request and decision) or trace (also headers, "
                 "credentials redacted); ferry mirror also logs at debug to working-dir/logs/")
      ->option_text("LEVEL");
  app.add_flag("-v,--verbose", flags.verbose, "Same as --log-level debug");
}

namespace {
std::string registriesConfFile;
}  // namespace

void addRegistriesConfFlag(CLI::App& app) {
  app.add_option("--registries-conf", registriesConfFile,
                 "registries.conf to read (mirrors, insecure and blocked registries) instead of "
                 "$CONTAINERS_REGISTRIES_CONF or the system and user files")
      ->option_text("FILE");
}

const RegistriesConf& registriesConf() {
  static const RegistriesConf conf = loadRegistriesConf(
      registriesConfFile.empty() ? std::nullopt : std::optional<std::filesystem::path>(registriesConfFile));
  return conf;
}

std::vector<std::string> SignatureFlags::notes() const {
  std::vector<std::string> notes;
  if (!registriesDirectory.empty() && policy.empty() && !securePolicy)
    notes.push_back(fmt::format("--registries.d {}: read only when a signature policy is checked (--policy FILE or "
                                "--secure-policy)",
                                registriesDirectory));
  return notes;
}

std::shared_ptr<const policy::PolicyChecker> SignatureFlags::checker() const {
  if (policy.empty() && !securePolicy) return nullptr;
  std::filesystem::path file = policy;
  if (file.empty()) {
    auto found = policy::defaultPolicyFile();
    if (!found)
      fail(ErrorKind::NotFound, "--secure-policy: no signature policy found ($HOME/.config/containers/policy.json, "
           "/etc/containers/policy.json); give one with --policy FILE");
    file = *found;
  }
  auto loaded = policy::loadPolicy(file);
  auto directory = registriesDirectory.empty() ? policy::defaultRegistriesDirectory()
                                               : std::filesystem::path(registriesDirectory);
  if (!registriesDirectory.empty() && !std::filesystem::is_directory(directory))
    fail(ErrorKind::NotFound, "--registries.d {}: no such folder", registriesDirectory);
  return std::make_shared<policy::PolicyChecker>(std::move(loaded), policy::RegistriesDirectory::load(directory));
}

bool SignatureFlags::copyAttachments() const {
  if (referrers != "all" && referrers != "none")
    fail("--referrers '{}' is not a mode; use all (signatures and referrers travel with their images) or none", referrers);
  return !removeSignatures && referrers == "all";
}

void addSignatureFlags(CLI::App* command, SignatureFlags& flags, bool ocMirror) {
  command->add_flag("--remove-signatures", flags.removeSignatures,
                    "Leave signatures and referrers behind (cosign .sig/.att/.sbom tags and referrers fallback tags, "
                    "which ferry copies with each image by default)");
  command->add_option("--referrers", flags.referrers,
                      "all (default): copy each image's signatures, attestations, SBOMs and referrers after it; none: "
                      "leave them behind")
      ->option_text("MODE");
  if (ocMirror)
    command->add_flag("--secure-policy", flags.securePolicy,
                      "Check every image against the signature policy (--policy FILE, else "
                      "$HOME/.config/containers/policy.json or /etc/containers/policy.json) before copying it");
  command->add_option("--policy", flags.policy,
                      "Signature policy (containers policy.json) every image must pass before it is copied")
      ->option_text("FILE");
  command->add_option("--registries.d", flags.registriesDirectory,
                      "Folder of registries.d files: lookaside signature locations, use-sigstore-attachments "
                      "(default $HOME/.config/containers/registries.d, else /etc/containers/registries.d)")
      ->option_text("DIR");
}

void SkopeoCopyFlags::apply(PlatformFlags& platforms) const {
  bool platformsGiven = !platforms.platforms.empty();
  if (!multiArch.empty() && multiArch != "system" && multiArch != "all" && multiArch != "index-only")
    fail("--multi-arch '{}' is not a mode; use system, all or index-only", multiArch);
  if (all && !multiArch.empty() && multiArch != "all")
    fail("--all and --multi-arch {} disagree; give one of them", multiArch);
  if ((all || multiArch == "all") && platformsGiven)
    fail("--all copies every platform and --platform selects some; give one of them");
  if (multiArch == "index-only")
    fail("--multi-arch index-only pushes an index without its images, which ferry never does (no partial image at "
         "a destination); use --platform with --sparse to push the original index with only some of its images");
  if (multiArch == "system") {
    if (platformsGiven) fail("--multi-arch system and --platform both select platforms; give one of them");
    platforms.platforms = {hostPlatform()};
  }
}

void addSkopeoCopyFlags(CLI::App* command, SkopeoCopyFlags& flags) {
  command->add_flag("-a,--all", flags.all, "Copy every platform of an index (ferry's default; skopeo's --all)");
  command->add_option("--multi-arch", flags.multiArch,
                      "skopeo's mode: all (ferry's default), system (only this machine's platform, as --platform "
                      "would), index-only (refused: ferry pushes no index without its images)")
      ->option_text("MODE");
  command->add_flag("--preserve-digests", flags.preserveDigests,
                    "Fail rather than change a digest: ferry always does (it never converts an image)");
}

std::chrono::milliseconds parseImageTimeout(const std::string& text) {
  if (text.empty() || text == "0") return std::chrono::milliseconds(0);
  auto timeout = parseDuration(text);
  if (timeout.count() < 0) fail("--image-timeout must be 0 (none) or a duration such as 10m, not '{}'", text);
  return timeout;
}

}  // namespace ferry
