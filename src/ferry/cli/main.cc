// ferry's command line: argument parsing, output and exit codes only; the
// work is done by the libraries below it.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>

#include "ferry/base/error.h"
#include "ferry/cli/flags.h"
#include "ferry/cli/describe_command.h"
#include "ferry/cli/inspect.h"
#include "ferry/cli/list_operators.h"
#include "ferry/cli/list_tags.h"
#include "ferry/cli/mapping.h"
#include "ferry/cli/mirror_command.h"
#include "ferry/cli/progress.h"
#include "ferry/copy/copier.h"

namespace ferry {
namespace {

#ifndef FERRY_VERSION
#define FERRY_VERSION "0.0.0"
#endif
#ifndef FERRY_COMMIT
#define FERRY_COMMIT "unknown"
#endif

int runVersion(const std::string& output) {
  if (output == "json") {
    std::printf("{\"version\":\"%s\",\"commit\":\"%s\"}\n", FERRY_VERSION, FERRY_COMMIT);
  } else if (output == "text") {
    std::printf("ferry %s (commit %s)\n", FERRY_VERSION, FERRY_COMMIT);
  } else {
    fail("--output must be 'text' or 'json', not '{}'", output);
  }
  return 0;
}

int runCopy(const std::vector<std::string>& positional, const std::string& mappingFile, const SideFlags& source,
            const SideFlags& destination, const std::string& authFile, int parallel, bool quiet,
            const PlatformFlags& platformFlags, const RetryFlags& retryFlags) {
  std::vector<CopyRequest> requests;
  if (!mappingFile.empty()) {
    if (!positional.empty()) fail("give either SOURCE DESTINATION or -f MAPPING_FILE, not both");
    requests = readMappingFile(mappingFile);
  } else {
    if (positional.size() != 2) fail("copy needs SOURCE and DESTINATION (or -f MAPPING_FILE)");
    requests.push_back(makeCopyRequest(positional[0], positional[1]));
  }
  if (parallel < 1) fail("--parallel must be at least 1");

  auto retries = std::make_shared<std::atomic<int64_t>>(0);
  EndpointOptions endpointOptions{source.options(authFile, parallel), destination.options(authFile, parallel)};
  retryFlags.apply(endpointOptions.source, quiet, retries);
  retryFlags.apply(endpointOptions.destination, quiet, retries);
  Endpoints endpoints(std::move(endpointOptions));
  Copier copier(endpoints, CopyOptions{.parallel = parallel, .platforms = platformFlags.selection()});
  std::vector<CopyResult> results;
  std::string summary;
  bool interactive = false;
  {
    ProgressDisplay display(copier.progress(), quiet);
    interactive = display.interactive();
    results = copier.run(requests);
    summary = display.summary(results);
  }  // the display draws its last line here, before anything else is printed
  size_t failures = 0;
  for (const auto& result : results) {
    if (!result.ok) {
      ++failures;
    } else if (!quiet && !interactive) {
      std::string filtered = result.sourceDigest ? " (narrowed from " + result.sourceDigest->str() + ")" : "";
      std::printf("%s %s -> %s %s%s\n", result.alreadyPresent ? "present" : "copied", result.request.source.str().c_str(),
                  result.request.destination.str().c_str(), result.digest->str().c_str(), filtered.c_str());
    }
    for (const auto& warning : result.warnings) std::fprintf(stderr, "warning: %s\n", warning.c_str());
  }
  if (*retries > 0) summary += fmt::format(", {} retr{}", retries->load(), *retries == 1 ? "y" : "ies");
  if (!quiet && failures < results.size()) std::fprintf(stderr, "%s\n", summary.c_str());
  for (const auto& result : results) {
    if (!result.ok)
      std::fprintf(stderr, "error: copying %s to %s: %s\n", result.request.source.str().c_str(),
                   result.request.destination.str().c_str(), result.error.c_str());
  }
  if (failures > 0 && results.size() > 1)
    std::fprintf(stderr, "error: %zu of %zu images failed; the others were copied\n", failures, results.size());
  // Archive destinations (oci-archive:, docker-archive:) appear only when every image went in.
  if (failures == 0) endpoints.finish();
  return failures == 0 ? 0 : 1;
}

int runInspect(const std::string& text, const SideFlags& flags, const std::string& authFile, bool raw,
               const std::string& output, const PlatformFlags& platformFlags, const RetryFlags& retryFlags) {
  auto reference = ImageReference::parse(text);
  EndpointOptions endpointOptions{flags.options(authFile, 8), {}};
  retryFlags.apply(endpointOptions.source, /*quiet=*/false, nullptr);
  Endpoints endpoints(std::move(endpointOptions));
  auto source = endpoints.source(reference);
  if (raw) {
    auto manifest = source->getManifest(reference.manifestReference());
    std::fwrite(manifest.bytes.data(), 1, manifest.bytes.size(), stdout);
    return 0;
  }
  auto graph = fetchImageGraph(*source, reference.manifestReference());
  if (output == "json") {
    std::cout << renderJson(reference.str(), graph);
  } else if (output == "text") {
    auto selection = platformFlags.selection();
    if (selection.active()) {
      auto filtered = selectPlatforms(
          graph, selection, [&](const Descriptor& blob) { return readSmallBlob(*source, blob); }, reference.str());
      std::cout << renderTree(reference.str(), graph, &filtered);
    } else {
      std::cout << renderTree(reference.str(), graph);
    }
  } else {
    fail("--output must be 'text' or 'json', not '{}'", output);
  }
  return 0;
}

}  // namespace
}  // namespace ferry

int main(int argc, char** argv) {
  using namespace ferry;
  CLI::App app{"ferry: carry container images and operator catalogs into disconnected clusters"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");

  std::string authFile;
  int parallel = 8;
  bool quiet = false;

  auto* copy = app.add_subcommand("copy", "Copy images (every platform, digest for digest) between registries and OCI layouts");
  std::vector<std::string> copyArgs;
  std::string mappingFile;
  SideFlags source, destination;
  copy->add_option("references", copyArgs, "SOURCE DESTINATION: docker://HOST/PATH:TAG or oci:DIR:TAG");
  copy->add_option("-f,--filename", mappingFile, "A mapping file of SOURCE=DESTINATION lines, copied in one run");
  copy->add_option("--parallel", parallel, "Blob transfers at once (and requests per registry)")->default_val(8);
  copy->add_option("--authfile", authFile, "Auth file (containers auth.json or docker config.json) to read credentials from");
  copy->add_flag("-q,--quiet", quiet, "Print nothing but errors");
  addSideFlags(copy, source, "src", "source", "source");
  addSideFlags(copy, destination, "dest", "dest", "destination");
  PlatformFlags copyPlatforms;
  addPlatformFlags(copy, copyPlatforms);
  RetryFlags copyRetries;
  addRetryFlags(copy, copyRetries);
  copy->add_option("--chunk-size", copyRetries.chunkSize,
                   "Upload blobs to the destination in PATCH chunks of this size (5MiB, 1048576), for registries that "
                   "need it; by default each blob goes in one PUT");

  auto* inspect = app.add_subcommand("inspect", "Show an image: its index, children, platforms, digests and sizes");
  std::string inspectRef;
  bool raw = false;
  std::string output = "text";
  SideFlags inspectFlags;
  inspect->add_option("reference", inspectRef, "docker://HOST/PATH:TAG or oci:DIR:TAG")->required();
  inspect->add_flag("--raw", raw, "Print the manifest or index exactly as stored");
  inspect->add_option("-o,--output", output, "text or json")->default_val("text");
  inspect->add_option("--authfile", authFile, "Auth file to read credentials from");
  inspect->add_option("--tls-verify", inspectFlags.tlsVerify, "Verify TLS (=false to skip)")->default_str("true");
  inspect->add_flag("--skip-tls", inspectFlags.skipTls, "Do not verify TLS");
  inspect->add_flag("--use-http", inspectFlags.useHttp, "Talk plain HTTP");
  inspect->add_option("--cert-dir", inspectFlags.certDir, "Folder with *.crt CA files");
  inspect->add_option("--creds", inspectFlags.creds, "USER:PASSWORD");
  PlatformFlags inspectPlatforms;
  addPlatformFlags(inspect, inspectPlatforms);
  RetryFlags inspectRetries;
  addRetryFlags(inspect, inspectRetries);

  MirrorFlags mirrorFlags;
  auto* mirror = addMirrorCommand(app, mirrorFlags);

  auto* describe = app.add_subcommand("describe", "Show what a mirror-to-disk archive holds");
  std::string describePath;
  std::string describeOutput = "text";
  describe->add_option("archive", describePath, "The archive folder (file://DIR or DIR) or one part file")->required();
  describe->add_option("-o,--output", describeOutput, "text or json")->default_val("text");

  ListOperatorsFlags listFlags;
  auto* list = addListCommand(app, listFlags);
  ListTagsFlags listTagsFlags;
  auto* listTags = addListTagsCommand(list, listTagsFlags);

  auto* version = app.add_subcommand("version", "Print ferry's version and the commit it was built from");
  std::string versionOutput = "text";
  version->add_option("-o,--output", versionOutput, "text or json")->default_val("text");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (*copy)
      return runCopy(copyArgs, mappingFile, source, destination, authFile, parallel, quiet, copyPlatforms, copyRetries);
    if (*inspect) return runInspect(inspectRef, inspectFlags, authFile, raw, output, inspectPlatforms, inspectRetries);
    if (*mirror) return runMirrorCommand(mirrorFlags);
    if (*describe) return runDescribe(describePath, describeOutput);
    if (*listTags) return runListTags(listTagsFlags);
    if (*list) return runListOperators(listFlags);
    if (*version) return runVersion(versionOutput);
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: unexpected failure: %s\n", e.what());
    return 1;
  }
  return 0;
}
