#include "ferry/cli/mirror_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/cli/list_releases.h"
#include "ferry/cli/progress.h"
#include "ferry/base/log.h"
#include "ferry/mirror/history.h"
#include "ferry/mirror/mirror.h"
#include "ferry/release/signature.h"
#include "ferry/s3/s3_client.h"
#include "ferry/mirror/job_manifest.h"
#include "ferry/base/files.h"
#include "ferry/http/http_client.h"
#include <algorithm>
#include <set>

namespace ferry {
namespace {

constexpr const char* kRedHatReleaseKey = "/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release";

// "file://DIR" or a bare path → DIR; "s3://bucket/prefix" stays as it is (an S3 archive, docs/scale.md).
std::filesystem::path fileLocation(const std::string& text, const std::string& flag) {
  if (isS3Url(text)) {
    S3Location::parse(text);  // refuses a malformed one now
    return text;
  }
  std::string path = text.rfind("file://", 0) == 0 ? text.substr(7) : text;
  if (path.empty()) fail("{} '{}' names no folder; give file://DIR", flag, text);
  return path;
}

std::string describeWorkflow(mirror::Workflow workflow) {
  switch (workflow) {
    case mirror::Workflow::MirrorToMirror: return "mirror-to-mirror";
    case mirror::Workflow::MirrorToDisk: return "mirror-to-disk";
    case mirror::Workflow::DiskToMirror: return "disk-to-mirror";
  }
  return "";
}

// --parallel-images × --parallel-layers (oc-mirror's defaults 4 and 5 for the
// one not given) bound the blobs in flight, which is what --parallel counts;
// 0 when neither is given. An explicit --parallel wins.
int parallelFromOcMirror(const MirrorFlags& flags) {
  if (flags.parallelImages == 0 && flags.parallelLayers == 0) return 0;
  if (flags.parallelImages < 0 || flags.parallelLayers < 0)
    fail("--parallel-images and --parallel-layers must be at least 1");
  int images = flags.parallelImages > 0 ? flags.parallelImages : 4;
  int layers = flags.parallelLayers > 0 ? flags.parallelLayers : 5;
  if (flags.parallelExplicit) {
    printNote(fmt::format("--parallel {} is used; --parallel-images/--parallel-layers are not", flags.parallel));
    return 0;
  }
  return std::min(images * layers, 256);
}

// oc-mirror v2 flags: each given its meaning in ferry, or a note saying why it needs none.
void applyOcMirrorFlags(const MirrorFlags& flags, mirror::MirrorOptions& options) {
  std::vector<std::string> notes = flags.signatures.notes();
  options.attachments = flags.signatures.copyAttachments();
  options.policy = flags.signatures.checker();
  if (flags.port != 0)
    notes.push_back("-p/--port: ferry runs no local cache registry (it copies straight from the source, and builds "
                    "archives itself), so there is no port to choose");
  options.strictArchive = flags.strictArchive;
  if (flags.strictArchive && options.workflow != mirror::Workflow::MirrorToDisk)
    notes.push_back("--strict-archive: only mirror-to-disk writes archives; nothing to check in this run");
  options.imageTimeout = parseImageTimeout(flags.imageTimeout);
  options.helmBinary = flags.helm;
  if (flags.sparseIndexes == "yes") {
    options.platformPolicy.sparseIndexes = mirror::SparseIndexes::Yes;
  } else if (flags.sparseIndexes == "no") {
    options.platformPolicy.sparseIndexes = mirror::SparseIndexes::No;
  } else if (flags.sparseIndexes != "learn") {
    fail("--sparse-indexes must be yes, no or learn (the default: the first refusal decides), not '{}'",
         flags.sparseIndexes);
  }
  if (flags.platformFallback == "whole") {
    options.platformPolicy.fallback = mirror::PlatformFallback::Whole;
  } else if (flags.platformFallback != "fail") {
    fail("--platform-fallback must be fail (the default) or whole, not '{}'", flags.platformFallback);
  }
  options.sparseTagged = flags.sparse;
  if (!flags.shard.empty()) options.shard = parseShardSpec(flags.shard);
  options.finalize = flags.finalize;
  if (!flags.since.empty()) {
    mirror::History::checkSince(flags.since);
    options.since = flags.since;
    if (options.workflow != mirror::Workflow::MirrorToDisk)
      notes.push_back("--since: only mirror-to-disk picks what an archive carries; nothing to select in this run");
  }
  // oc-mirror reads $OC_MIRROR_CACHE when --cache-dir is not given.
  std::string cacheDir = flags.cacheDir;
  if (cacheDir.empty())
    if (const char* fromEnvironment = std::getenv("OC_MIRROR_CACHE")) cacheDir = fromEnvironment;
  if (!cacheDir.empty()) {
    options.cacheDirectory = fileLocation(cacheDir, "--cache-dir");
    if (options.workflow == mirror::Workflow::MirrorToMirror && options.workspace.empty())
      options.workspace = options.cacheDirectory;
  }
  if (!flags.quiet)
    for (const auto& note : notes) printNote(note);
}

mirror::MirrorOptions optionsFrom(const MirrorFlags& flags) {
  mirror::MirrorOptions options;
  if (flags.destination.size() != 1)
    fail("mirror needs one destination: file://DIR (mirror-to-disk) or docker://HOST[:PORT][/NAMESPACE] "
         "(mirror-to-mirror, or disk-to-mirror with --from)");
  const auto& destination = flags.destination.front();
  if (isS3Url(destination)) {
    if (!flags.from.empty())
      fail("--from goes with a docker:// destination (disk-to-mirror); an s3:// destination is mirror-to-disk");
    if (flags.workspace.empty())
      fail("mirror-to-disk into {} needs --workspace file://DIR: the local folder for the working files (history, "
           "logs), which do not go to object storage",
           destination);
    options.workflow = mirror::Workflow::MirrorToDisk;
    options.archiveDirectory = fileLocation(destination, "destination");
    options.workspace = fileLocation(flags.workspace, "--workspace");
  } else if (destination.rfind("file://", 0) == 0) {
    if (!flags.from.empty())
      fail("--from goes with a docker:// destination (disk-to-mirror); a file:// destination is mirror-to-disk");
    if (!flags.workspace.empty())
      fail("--workspace goes with mirror-to-mirror; mirror-to-disk keeps its working files in DIR/working-dir");
    options.workflow = mirror::Workflow::MirrorToDisk;
    options.archiveDirectory = fileLocation(destination, "destination");
  } else if (destination.rfind("docker://", 0) == 0) {
    options.destination = destination;
    if (!flags.from.empty()) {
      options.workflow = mirror::Workflow::DiskToMirror;
      options.archiveDirectory = fileLocation(flags.from, "--from");
      if (isS3Url(flags.from) && flags.workspace.empty())
        fail("disk-to-mirror from {} needs --workspace file://DIR: the local folder for the working files", flags.from);
      if (!flags.workspace.empty()) options.workspace = fileLocation(flags.workspace, "--workspace");
    } else {
      options.workflow = mirror::Workflow::MirrorToMirror;
      if (!flags.workspace.empty()) options.workspace = fileLocation(flags.workspace, "--workspace");
    }
  } else {
    fail("destination '{}' must start with file:// or s3:// (mirror-to-disk) or docker:// (a registry)", destination);
  }
  if (flags.config.empty() && options.workflow != mirror::Workflow::DiskToMirror)
    fail("{} needs the ImageSetConfiguration: -c isc.yaml", describeWorkflow(options.workflow));
  applyOcMirrorFlags(flags, options);
  options.configFile = flags.config;
  options.dryRun = flags.dryRun;
  options.strict = flags.strict;
  if (flags.parallel < 1) fail("--parallel must be at least 1");
  options.parallel = flags.parallel;
  if (int mapped = parallelFromOcMirror(flags); mapped > 0) options.parallel = mapped;
  if (flags.maxNestedPaths < 0) fail("--max-nested-paths must be 0 (off) or more");
  options.maxNestedPaths = flags.maxNestedPaths;
  options.imageContentSourcePolicy = flags.imageContentSourcePolicy;
  options.catalogSourceByTag = flags.catalogSourceByTag;
  options.endpoints = {.source = flags.source.options(flags.authFile, options.parallel),
                       .destination = flags.dest.options(flags.authFile, options.parallel),
                       .sourceMirrors = parseSourceMirrors(flags.sourceMirrors),
                       .registriesConf = registriesConf()};
  flags.retries.apply(options.endpoints.source, flags.quiet, nullptr);
  flags.retries.apply(options.endpoints.destination, flags.quiet, nullptr);
  options.releases = releaseOptionsFrom(flags.updateUrl, flags.retries, flags.quiet);
  options.releases.includeConditionalEdges = flags.includeConditionalEdges;
  options.releases.ignoreSignatures = flags.ignoreReleaseSignature;
  options.releases.signatureStoreUrl = flags.releaseSignatureUrl;
  options.releases.graphDataUrl = flags.graphDataUrl;
  options.releases.graphBaseImage = flags.graphBaseImage;
  options.releases.graphSignatures = flags.graphImageSignatures;
  if (const char* url = std::getenv(release::kSignatureUrlVariable); options.releases.signatureStoreUrl.empty() && url)
    options.releases.signatureStoreUrl = url;
  options.releases.signatureKeyring = flags.releaseSignatureKeyring;
  if (const char* key = std::getenv(release::kSignatureKeyVariable); options.releases.signatureKeyring.empty() && key)
    options.releases.signatureKeyring = key;
  // Red Hat's release key 2 signs OpenShift releases; RHEL ships it here.
  if (options.releases.signatureKeyring.empty() && std::filesystem::exists(kRedHatReleaseKey))
    options.releases.signatureKeyring = kRedHatReleaseKey;
  return options;
}

// Where MirrorRun puts its working files (mirror.h), known before the run so
// the log file can be opened first.
std::filesystem::path workingDirectoryOf(const mirror::MirrorOptions& options) {
  switch (options.workflow) {
    case mirror::Workflow::MirrorToDisk:
      return (options.workspace.empty() ? options.archiveDirectory : options.workspace) / "working-dir";
    case mirror::Workflow::DiskToMirror:
      return (options.workspace.empty() ? options.archiveDirectory : options.workspace) / "working-dir";
    case mirror::Workflow::MirrorToMirror: break;
  }
  if (options.workspace.empty()) return {};  // MirrorRun says what is missing
  return options.workspace / "working-dir";
}

std::string statusOf(const CopyResult& result) {
  if (!result.ok) return "failed";
  return result.alreadyPresent ? "present" : "copied";
}

void printJson(const mirror::MirrorReport& report, mirror::Workflow workflow, bool dryRun) {
  nlohmann::ordered_json json;
  json["workflow"] = describeWorkflow(workflow);
  json["exitCode"] = report.exitCode;
  json["images"] = nlohmann::ordered_json::array();
  for (const auto& entry : report.images) {
    nlohmann::ordered_json image;
    image["kind"] = mirror::kindName(entry.image.kind);
    image["source"] = entry.image.source.str();
    if (workflow != mirror::Workflow::MirrorToDisk) image["destination"] = entry.image.destination.str();
    image["status"] = dryRun ? "planned" : statusOf(entry.result);
    if (entry.result.digest) image["digest"] = entry.result.digest->str();
    // What the plan asks for (a dry run), or what the image carries once copied.
    if (!entry.image.platforms.everyPlatform()) {
      image["platforms"] = entry.result.platforms.empty() ? entry.image.platforms.platforms : entry.result.platforms;
      image["platformMode"] = entry.wholeFallback            ? "whole"
                              : entry.image.platforms.sparse ? "sparse"
                                                             : "filtered";
    }
    if (!entry.result.ok && !dryRun) image["error"] = entry.result.error;
    json["images"].push_back(image);
  }
  json["blocked"] = report.plan.blocked;
  json["archiveParts"] = report.archiveParts;
  json["workingDirectory"] = report.workingDirectory.string();
  json["mappingFile"] = report.mappingFile.string();
  if (!report.clusterResources.empty()) json["clusterResources"] = report.clusterResources.string();
  if (!report.errorsFile.empty()) json["errorsFile"] = report.errorsFile.string();
  json["errors"] = report.errors;
  json["warnings"] = report.warnings;
  std::cout << json.dump(2) << "\n";
}

// --emit-job N: the pods' `ferry mirror` arguments are the ones given, without
// the --emit-job/--job-* flags, with the configuration, credentials and
// workspace where the Job mounts them.
std::vector<std::string> podArguments(const std::vector<std::string>& commandLine) {
  static const std::set<std::string> dropped{"--emit-job", "--job-image", "--job-name", "--job-secret",
                                             "--job-s3-secret", "--job-namespace", "--job-output", "-c",
                                             "--config", "--authfile", "--workspace"};
  std::vector<std::string> args;
  auto start = std::find(commandLine.begin(), commandLine.end(), "mirror");
  if (start == commandLine.end()) fail("--emit-job: cannot find the mirror command in the command line");
  for (auto it = std::next(start); it != commandLine.end(); ++it) {
    auto name = it->substr(0, it->find('='));
    if (!dropped.contains(name)) {
      args.push_back(*it);
      continue;
    }
    if (name == *it && std::next(it) != commandLine.end()) ++it;  // "--flag value": skip the value too
  }
  return args;
}

int emitJobs(const MirrorFlags& flags, const mirror::MirrorOptions& options) {
  auto archiveIsS3 = isS3Url(options.archiveDirectory.string());
  if (options.workflow != mirror::Workflow::MirrorToMirror && !archiveIsS3)
    fail(ErrorKind::InvalidInput,
         "--emit-job: the pods cannot reach the local archive folder '{}'; a Job mirrors registry to registry, or "
         "to and from an s3:// archive",
         options.archiveDirectory.string());
  if (flags.dryRun) fail(ErrorKind::InvalidInput, "--emit-job writes Jobs and runs nothing; drop --dry-run");
  mirror::JobSpec spec;
  spec.shards = flags.emitJob;
  spec.name = flags.jobName;
  spec.nameSpace = flags.jobNamespace;
  spec.image = flags.jobImage;
  spec.registrySecret = flags.jobSecret;
  if (archiveIsS3) spec.s3Secret = flags.jobS3Secret;
  if (!flags.config.empty()) spec.configYaml = readFile(flags.config);
  if (!flags.config.empty()) spec.mirrorArgs = {"-c", mirror::kJobConfigPath};
  for (auto& arg : podArguments(flags.commandLine)) spec.mirrorArgs.push_back(std::move(arg));
  for (const char* arg : {"--authfile", mirror::kJobAuthPath, "--workspace", "file:///work"}) spec.mirrorArgs.push_back(arg);
  spec.parallel = options.parallel;
  spec.finalizeJob = options.workflow != mirror::Workflow::MirrorToDisk;
  if (archiveIsS3) spec.s3PartSize = flags.s3.partSize.empty() ? kDefaultS3PartSize : parseByteSize(flags.s3.partSize);
  auto yaml = mirror::kubernetesJobs(spec);
  if (flags.jobOutput.empty() || flags.jobOutput == "-") {
    std::cout << yaml;
  } else {
    writeFileAtomically(flags.jobOutput, yaml);
    if (!flags.quiet)
      std::fprintf(stderr, "wrote the ConfigMap and the Jobs for %d shards to %s (kubectl apply -f %s)\n",
                   flags.emitJob, flags.jobOutput.c_str(), flags.jobOutput.c_str());
  }
  return 0;
}

}  // namespace

CLI::App* addMirrorCommand(CLI::App& app, MirrorFlags& flags) {
  auto* command = app.add_subcommand(
      "mirror", "Mirror an ImageSetConfiguration: registry to registry, registry to archive, archive to registry");
  command->add_option("destination", flags.destination,
                      "file://DIR or s3://BUCKET/PREFIX (mirror-to-disk) or docker://HOST[:PORT][/NAMESPACE] "
                      "(mirror-to-mirror; disk-to-mirror with --from)");
  command->add_option("-c,--config", flags.config,
                      "The ImageSetConfiguration (mirror.openshift.io v1alpha2 or v2alpha1); with --from, loads only "
                      "what it names");
  command->add_option("--from", flags.from,
                      "disk-to-mirror: the archive folder (file://DIR), one part file, or s3://BUCKET/PREFIX");
  command->add_option("--workspace", flags.workspace,
                      "mirror-to-mirror, and s3:// archives: where the working files go (file://DIR; DIR/working-dir)");
  addS3Flags(command, flags.s3);
  command->add_option("--emit-job", flags.emitJob,
                      "Write Kubernetes objects that run this mirror as N shards (an Indexed Job running --shard "
                      "auto/N, and a finalize Job) instead of running it (docs/scale.md)");
  command->add_option("--job-image", flags.jobImage, "--emit-job: the ferry container image the pods run");
  command->add_option("--job-name", flags.jobName, "--emit-job: the shard Job's name (NAME-finalize, NAME-config)")
      ->default_val("ferry-mirror");
  command->add_option("--job-secret", flags.jobSecret,
                      "--emit-job: the Secret holding the registry credentials (key config.json, a docker config)")
      ->default_val("ferry-registry-auth");
  command->add_option("--job-s3-secret", flags.jobS3Secret,
                      "--emit-job with an s3:// archive: the Secret whose keys become the pods' environment "
                      "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...)")
      ->default_val("ferry-s3-credentials");
  command->add_option("--job-namespace", flags.jobNamespace, "--emit-job: the namespace of the objects");
  command->add_option("--job-output", flags.jobOutput, "--emit-job: the file to write (default: standard output)");
  command->add_flag("--dry-run", flags.dryRun, "Plan only: write working-dir/dry-run/mapping.txt (and missing.txt)");
  command->add_flag("--strict", flags.strict,
                    "Fail the run if any image fails, before the catalogs are pushed (default: leave the operator out "
                    "of its catalog and go on)");
  command->add_option("--parallel", flags.parallel, "Blob transfers at once (and requests per registry)")->default_val(8);
  command->add_option("--max-nested-paths", flags.maxNestedPaths,
                      "Fold destination paths to at most this many components (registries that limit nesting)")
      ->default_val(0);
  command->add_flag("--icsp", flags.imageContentSourcePolicy,
                    "Also write the legacy ImageContentSourcePolicy (clusters before 4.13)");
  command->add_flag("--catalog-source-by-tag", flags.catalogSourceByTag,
                    "CatalogSources name the catalog by tag (default: by digest)");
  addSourceMirrorFlag(command, flags.sourceMirrors);
  command->add_option("-o,--output", flags.output, "text, or json: a summary of every image at the end")
      ->default_val("text");
  command->add_flag("-q,--quiet", flags.quiet, "Print nothing but errors");
  command->add_flag("--v2", flags.v2, "Accepted for oc-mirror command lines; ferry has one behaviour");
  command->add_option("--authfile", flags.authFile, "Auth file to read credentials from");
  addSideFlags(command, flags.source, "src", "source", "source");
  addSideFlags(command, flags.dest, "dest", "dest", "destination");
  addRetryFlags(command, flags.retries);
  command->add_option("--cache-dir", flags.cacheDir,
                      "oc-mirror's cache folder (or $OC_MIRROR_CACHE): catalog extractions reused by every run and "
                      "folder (DIR/operator-catalogs), and the workspace of mirror-to-mirror when --workspace is not "
                      "given");
  command->add_option("--parallel-images", flags.parallelImages,
                      "oc-mirror's images at once; with --parallel-layers it sets --parallel (images x layers "
                      "blobs in flight, defaults 4 and 5)");
  command->add_option("--parallel-layers", flags.parallelLayers, "oc-mirror's layers at once per image (see above)");
  command->add_option("--since", flags.since,
                      "mirror-to-disk: carry what the archives made before this day (YYYY-MM-DD) did not");
  command->add_option("--helm", flags.helm,
                      "The helm binary that renders charts of mirror.helm (helm template, oc-mirror's image rules); "
                      "default: helm on PATH, if any (docs/helm.md)");
  command->add_flag("--strict-archive", flags.strictArchive,
                    "mirror-to-disk: fail a blob larger than archiveSize instead of giving it a part of its own");
  command->add_option("--image-timeout", flags.imageTimeout,
                      "Fail an image not copied within this time (10m, 90s; default none)");
  command->add_option("--sparse-indexes", flags.sparseIndexes,
                      "Does the destination registry take sparse indexes (images by digest that keep some "
                      "platforms)? yes, no, or learn from its first refusal")
      ->default_val("learn");
  command->add_option("--platform-fallback", flags.platformFallback,
                      "When the registry refuses a sparse index: fail those images (one message), or copy them "
                      "whole (every platform)")
      ->default_val("fail");
  command->add_flag("--sparse", flags.sparse,
                    "Images named by tag that keep some platforms are sparse too (default: a filtered index, new "
                    "digest)");
  command->add_option("--shard", flags.shard,
                      "Copy only this worker's share of the blobs: I/N (I from 0 to N-1), or auto/N with I from "
                      "$JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); the last shard to finish, or --finalize, "
                      "pushes the manifests, tags and cluster resources; into an archive each shard writes parts "
                      "of its own (docs/sharding.md)");
  command->add_flag("--finalize", flags.finalize,
                    "The last step of a sharded run: check that every blob is at the destination, then push the "
                    "manifests, catalogs and tags and write the cluster resources; nothing is pushed while a shard "
                    "is missing");
  command->add_option("-p,--port", flags.port, "oc-mirror's local cache registry port (ferry runs none; noted)");
  addSignatureFlags(command, flags.signatures, /*ocMirror=*/true);
  command->add_option("--update-url", flags.updateUrl,
                      "The update graph server for release channels, OCP and OKD (default: $UPDATE_URL_OVERRIDE, else "
                      "oc-mirror's servers)");
  command->add_flag("--include-conditional-edges", flags.includeConditionalEdges,
                    "shortestPath may take updates with known risks (conditional edges; oc-mirror never does)");
  command->add_option("--release-signature-url", flags.releaseSignatureUrl,
                      "The release signature store (default: $OCP_SIGNATURE_URL, else mirror.openshift.com's)");
  command->add_option("--release-signature-keyring", flags.releaseSignatureKeyring,
                      "GPG keyring (armored or binary) release signatures must verify with (default: "
                      "$OCP_SIGNATURE_VERIFICATION_PK, else /etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release when present)");
  command->add_flag("--ignore-release-signature", flags.ignoreReleaseSignature,
                    "Fetch and check no release signature (unsigned nightly or CI payloads)");
  command->add_option("--graph-data-url", flags.graphDataUrl,
                      "graph: true: the graph-data tarball (default: oc-mirror's, "
                      "https://api.openshift.com/api/upgrades_info/graph-data)");
  command->add_option("--graph-base-image", flags.graphBaseImage,
                      "graph: true: the base of the graph-data image, read from the source like any image (default: "
                      "registry.access.redhat.com/ubi9/ubi:latest)");
  command->add_flag("--graph-image-signatures", flags.graphImageSignatures,
                    "graph: true: put the verified release signatures into the graph-data image too "
                    "(signatures/sha256/HEX/signature-N, served by the Update Service)");
  return command;
}

int runMirrorCommand(const MirrorFlags& flags) {
  if (flags.output != "text" && flags.output != "json") fail("--output must be 'text' or 'json', not '{}'", flags.output);
  flags.s3.apply(&flags.retries, flags.quiet || flags.output == "json");
  if (flags.emitJob < 0) fail(ErrorKind::InvalidInput, "--emit-job takes the number of shards (1 or more)");
  if (flags.emitJob > 0) {
    // The pods run the workflow; this process only checks the command line and writes the Jobs.
    auto checkedFlags = flags;
    for (const auto* archive : {&flags.from, flags.destination.empty() ? &flags.from : &flags.destination.front()})
      if (!archive->empty() && !isS3Url(*archive) && !archive->starts_with("docker://"))
        fail(ErrorKind::InvalidInput,
             "--emit-job: the pods cannot reach the local archive '{}'; a Job mirrors registry to registry, or to "
             "and from an s3:// archive",
             *archive);
    if (checkedFlags.workspace.empty()) checkedFlags.workspace = "file:///work";
    return emitJobs(flags, optionsFrom(checkedFlags));
  }
  auto options = optionsFrom(flags);
  auto workflow = options.workflow;
  // A log of every request and decision beside the error log, for the run that went wrong;
  // runs append to it, each line timestamped, as oc-mirror's one .oc-mirror.log.
  if (auto workingDirectory = workingDirectoryOf(options); !workingDirectory.empty())
    log::openFile(workingDirectory / "logs" / "ferry.log", flags.log.fileLevel());
  bool quiet = flags.quiet || flags.output == "json";
  if (!quiet) options.note = [](const std::string& line) {
    if (line.rfind("warning: ", 0) == 0) {
      printWarning(line.substr(9));
    } else {
      std::fprintf(stderr, "%s%s\n", ::isatty(STDERR_FILENO) ? "\r\033[K" : "", line.c_str());
    }
  };
  mirror::MirrorRun run(std::move(options));
  mirror::MirrorReport report;
  {
    ProgressDisplay display(run.progress(), quiet);
    report = run.run();
  }
  if (flags.output == "json") {
    printJson(report, workflow, flags.dryRun);
    return report.exitCode;
  }
  if (!flags.quiet) {
    size_t copied = 0, present = 0, failed = 0;
    for (const auto& entry : report.images) {
      if (!entry.result.ok) ++failed;
      else if (entry.result.alreadyPresent) ++present;
      else ++copied;
    }
    if (flags.dryRun) {
      std::printf("dry run: %zu images planned; mapping in %s\n", report.plan.images.size() + report.plan.catalogs.size(),
                  report.mappingFile.string().c_str());
    } else if (report.leftToFinalize) {
      std::printf("%s, shard %s: this worker's share of %zu images is in, %zu failed; the last shard or "
                  "--finalize pushes the manifests and tags\n",
                  describeWorkflow(workflow).c_str(), flags.shard.c_str(), copied, failed);
    } else {
      std::printf("%s: %zu images copied, %zu already there, %zu failed\n", describeWorkflow(workflow).c_str(), copied,
                  present, failed);
      if (!report.archiveParts.empty())
        for (const auto& part : report.archiveParts) std::printf("archive part: %s\n", part.c_str());
      if (report.nothingNew && workflow == mirror::Workflow::MirrorToDisk)
        std::printf("nothing new to ship since the last archive: no part written\n");
      if (!report.clusterResources.empty())
        std::printf("cluster resources: %s\n", report.clusterResources.string().c_str());
      std::printf("mapping: %s\n", report.mappingFile.string().c_str());
    }
  }
  for (const auto& line : report.errors) std::fprintf(stderr, "error: %s\n", line.c_str());
  if (!report.errorsFile.empty()) std::fprintf(stderr, "errors also in %s\n", report.errorsFile.string().c_str());
  return report.exitCode;
}

}  // namespace ferry
