// ferry's command line: argument parsing, output and exit codes only; the
// work is done by the libraries below it.
#include <CLI/CLI.hpp>
#include <fmt/ranges.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string_view>

#include "ferry/base/error.h"
#include "ferry/base/log.h"
#include "ferry/base/strings.h"
#include "ferry/cli/flags.h"
#include "ferry/cli/delete_command.h"
#include "ferry/cli/describe_command.h"
#include "ferry/cli/inspect.h"
#include "ferry/cli/list_operators.h"
#include "ferry/cli/list_releases.h"
#include "ferry/cli/list_tags.h"
#include "ferry/cli/mapping.h"
#include "ferry/transport/capabilities.h"
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

// `ferry copy --all-tags SOURCE DESTINATION` (skopeo sync's job): one request per
// tag of the repository SOURCE (registry or OCI layout, source mirrors applied),
// each to the same tag in the repository DESTINATION. Both must name a
// repository, not an image; a repository without tags is an error naming it.
std::vector<CopyRequest> allTagsRequests(Endpoints& endpoints, const std::string& source,
                                         const std::string& destination) {
  auto from = ImageReference::parse(source);
  auto to = ImageReference::parse(destination);
  if (from.tag || from.digest)
    fail("--all-tags copies every tag of a repository: drop the tag or digest from '{}' (or drop --all-tags)", source);
  if (to.tag || to.digest)
    fail("--all-tags keeps each tag's name: give the destination repository without a tag or digest, not '{}'",
         destination);
  auto lister = capability<TagLister>(endpoints.source(from));
  if (!lister) fail("{} cannot list its tags; --all-tags reads docker:// and oci: repositories", from.str());
  auto tags = lister->listTags();
  if (tags.empty()) fail("{} has no tags: nothing to copy with --all-tags", from.str());
  std::vector<CopyRequest> requests;
  for (const auto& tag : tags) requests.push_back(CopyRequest{from.withTag(tag), to.withTag(tag)});
  return requests;
}

// The signatures and referrers that travelled with an image, indented under it.
void printAttachments(const CopyResult& result, int depth) {
  for (const auto& attached : result.attachments) {
    std::printf("%*s%s %s %s\n", depth * 2, "", attached.alreadyPresent ? "present" : "with",
                attached.request.destination.tag.value_or("").c_str(),
                attached.digest ? attached.digest->str().c_str() : "");
    printAttachments(attached, depth + 1);
  }
}

// Usage errors exit 1, as oc-mirror's; image failures keep their bitmask (mirror.h).
constexpr int kUsageError = 1;

int runCopy(const std::vector<std::string>& positional, const std::string& mappingFile, const SideFlags& source,
            const SideFlags& destination, const std::string& authFile, int parallel, bool quiet,
            const PlatformFlags& platformFlags, const RetryFlags& retryFlags,
            const std::vector<std::string>& sourceMirrors, std::chrono::milliseconds imageTimeout, bool allTags,
            bool attachments, std::shared_ptr<const policy::PolicyChecker> policy) {
  if (!mappingFile.empty() && !positional.empty()) fail("give either SOURCE DESTINATION or -f MAPPING_FILE, not both");
  if (allTags && !mappingFile.empty()) fail("--all-tags takes SOURCE and DESTINATION repositories, not -f MAPPING_FILE");
  if (mappingFile.empty() && positional.size() != 2) fail("copy needs SOURCE and DESTINATION (or -f MAPPING_FILE)");
  if (parallel < 1) fail("--parallel must be at least 1");

  auto retries = std::make_shared<std::atomic<int64_t>>(0);
  EndpointOptions endpointOptions{.source = source.options(authFile, parallel),
                                  .destination = destination.options(authFile, parallel),
                                  .sourceMirrors = parseSourceMirrors(sourceMirrors),
                                  .registriesConf = registriesConf()};
  retryFlags.apply(endpointOptions.source, quiet, retries);
  retryFlags.apply(endpointOptions.destination, quiet, retries);
  Endpoints endpoints(std::move(endpointOptions));
  std::vector<CopyRequest> requests;
  if (allTags) {
    requests = allTagsRequests(endpoints, positional[0], positional[1]);
  } else if (!mappingFile.empty()) {
    requests = readMappingFile(mappingFile);
  } else {
    requests.push_back(makeCopyRequest(positional[0], positional[1]));
  }
  Copier copier(endpoints, CopyOptions{.parallel = parallel,
                                       .platforms = platformFlags.selection(),
                                       .imageTimeout = imageTimeout,
                                       .attachments = attachments,
                                       .policy = std::move(policy)});
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
      printAttachments(result, 1);
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
  endpointOptions.registriesConf = registriesConf();
  retryFlags.apply(endpointOptions.source, /*quiet=*/false, nullptr);
  Endpoints endpoints(std::move(endpointOptions));
  auto source = endpoints.source(reference);
  if (raw) {
    auto manifest = source->getManifest(reference.manifestReference());
    std::fwrite(manifest.bytes.data(), 1, manifest.bytes.size(), stdout);
    return 0;
  }
  auto graph = fetchImageGraph(*source, reference.manifestReference());
  if (output != "json" && output != "text") fail("--output must be 'text' or 'json', not '{}'", output);
  auto attachments = findAttachments(*source, graph);
  if (output == "json") {
    std::cout << renderJson(reference.str(), graph, attachments);
  } else {
    auto selection = platformFlags.selection();
    if (selection.active()) {
      auto filtered = selectPlatforms(
          graph, selection, [&](const Descriptor& blob) { return readSmallBlob(*source, blob); }, reference.str());
      std::cout << renderTree(reference.str(), graph, &filtered);
    } else {
      std::cout << renderTree(reference.str(), graph);
    }
    std::cout << renderAttachments(attachments);
  }
  return 0;
}

// --- usage errors: exit 1 (not CLI11's 104-109, which oc-mirror scripts would
// read as image-failure bits), naming the offending word and the nearest valid one.

std::string commandPath(const CLI::App* command) {
  std::string path;
  for (const CLI::App* at = command; at; at = at->get_parent()) {
    std::string name = at->get_parent() ? at->get_name() : "ferry";  // the root's name is argv[0] once parsed
    path = name + (path.empty() ? "" : " " + path);
  }
  return path;
}

std::vector<std::string> subcommandNames(const CLI::App* command) {
  std::vector<std::string> names;
  for (const auto* sub : command->get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  return names;
}

std::string didYouMean(const std::string& word, const std::vector<std::string>& candidates) {
  std::vector<std::string_view> views(candidates.begin(), candidates.end());
  auto nearest = nearestName(word, views);
  return nearest ? fmt::format("; did you mean '{}'?", *nearest) : "";
}

// A word where a command is expected that names none: "ferry mirorr".
std::optional<std::string> unknownCommand(const CLI::App& app, int argc, char** argv) {
  const CLI::App* command = &app;
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--log-level" || word == "--registries-conf") {
      ++i;  // the global option's value
      continue;
    }
    if (word.starts_with("-")) continue;
    auto names = subcommandNames(command);
    if (names.empty()) return std::nullopt;
    auto found = std::find(names.begin(), names.end(), word);
    if (found == names.end())
      return fmt::format("unknown command '{}' for {}{} (commands: {})", word, commandPath(command),
                         didYouMean(word, names), fmt::join(names, ", "));
    command = command->get_subcommand(word);
  }
  if (command->get_require_subcommand_min() > 0 && !subcommandNames(command).empty())
    return fmt::format("{} needs a command: {} (see {} --help)", commandPath(command),
                       fmt::join(subcommandNames(command), ", "), commandPath(command));
  return std::nullopt;
}

// The sub-command being parsed when CLI11 gave up: the deepest one selected.
const CLI::App* parsedCommand(const CLI::App& app) {
  const CLI::App* command = &app;
  while (true) {
    auto selected = command->get_subcommands();
    if (selected.empty()) return command;
    command = selected.front();
  }
}

std::vector<std::string> flagNames(const CLI::App* command) {
  std::vector<std::string> names;
  for (const CLI::App* at = command; at; at = at->get_parent())
    for (const auto* option : at->get_options()) {
      for (const auto& name : option->get_lnames()) names.push_back("--" + name);
      for (const auto& name : option->get_snames()) names.push_back("-" + name);
    }
  return names;
}

std::string usageErrorMessage(const CLI::App& app, const CLI::ParseError& error) {
  const CLI::App* command = parsedCommand(app);
  std::string help = fmt::format("see {} --help", commandPath(command));
  std::string what = error.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&error)) {
    // "The following argument(s) was/were not expected: WORD WORD"
    auto colon = what.find(": ");
    std::vector<std::string> lines;
    for (const auto& word : splitString(colon == std::string::npos ? what : what.substr(colon + 2), ' ')) {
      if (word.empty()) continue;
      std::string name = word.substr(0, word.find('='));
      if (name.starts_with("-")) {
        lines.push_back(fmt::format("unknown flag '{}' for {}{}", name, commandPath(command),
                                    didYouMean(name, flagNames(command))));
      } else {
        lines.push_back(fmt::format("unexpected argument '{}' for {}", word, commandPath(command)));
      }
    }
    if (!lines.empty()) return fmt::format("{} ({})", fmt::join(lines, "\nerror: "), help);
  }
  return fmt::format("{}: {} ({})", commandPath(command), what, help);
}

}  // namespace
}  // namespace ferry

int main(int argc, char** argv) {
  using namespace ferry;
  CLI::App app{"ferry: carry container images and operator catalogs into disconnected clusters"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.fallthrough();  // --log-level and -v after the sub-command too, as oc-mirror takes them
  LogFlags logFlags;
  addLogFlags(app, logFlags);
  addRegistriesConfFlag(app);

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
  bool allTags = false;
  copy->add_flag("--all-tags", allTags,
                 "SOURCE and DESTINATION are repositories: copy every tag of SOURCE to the same tag (skopeo sync)");
  addSideFlags(copy, source, "src", "source", "source");
  addSideFlags(copy, destination, "dest", "dest", "destination");
  PlatformFlags copyPlatforms;
  addPlatformFlags(copy, copyPlatforms);
  std::vector<std::string> copySourceMirrors;
  addSourceMirrorFlag(copy, copySourceMirrors);
  RetryFlags copyRetries;
  addRetryFlags(copy, copyRetries);
  SkopeoCopyFlags skopeoFlags;
  addSkopeoCopyFlags(copy, skopeoFlags);
  SignatureFlags copySignatures;
  addSignatureFlags(copy, copySignatures, /*ocMirror=*/false);
  std::string copyImageTimeout;
  copy->add_option("--image-timeout", copyImageTimeout,
                   "Fail an image not copied within this time (10m, 90s; default none)");
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

  DeleteFlags deleteFlags;
  auto* deleteCommand = addDeleteCommand(app, deleteFlags);

  auto* describe = app.add_subcommand("describe", "Show what a mirror-to-disk archive holds");
  std::string describePath;
  std::string describeOutput = "text";
  describe->add_option("archive", describePath,
                       "The archive folder (file://DIR or DIR), one part file, or s3://BUCKET/PREFIX")->required();
  S3Flags describeS3;
  addS3Flags(describe, describeS3);
  describe->add_option("-o,--output", describeOutput, "text or json")->default_val("text");
  std::string describeVerify = "full";
  describe
      ->add_option("--verify-archive", describeVerify,
                   "full: hash every member against the parts' checksums first; quick: all but blobs over 1 MiB")
      ->default_val("full");

  ListOperatorsFlags listFlags;
  auto* list = addListCommand(app, listFlags);
  ListTagsFlags listTagsFlags;
  auto* listTags = addListTagsCommand(list, listTagsFlags);
  ListReleasesFlags listReleasesFlags;
  auto* listReleases = addListReleasesCommand(list, listReleasesFlags);

  auto* version = app.add_subcommand("version", "Print ferry's version and the commit it was built from");
  std::string versionOutput = "text";
  version->add_option("-o,--output", versionOutput, "text or json")->default_val("text");

  bool asksForHelp = false;
  for (int i = 1; i < argc; ++i)
    asksForHelp = asksForHelp || std::string_view(argv[i]) == "-h" || std::string_view(argv[i]) == "--help" ||
                  std::string_view(argv[i]) == "--help-all";
  if (!asksForHelp) {
    if (auto message = unknownCommand(app, argc, argv)) {
      std::fprintf(stderr, "error: %s\n", message->c_str());
      return kUsageError;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::fprintf(stderr, "error: %s\n", usageErrorMessage(app, e).c_str());
    return kUsageError;
  }
  mirrorFlags.parallelExplicit = mirror->count("--parallel") > 0;
  mirrorFlags.log = logFlags;
  mirrorFlags.commandLine.assign(argv + 1, argv + argc);

  try {
    log::setStderrLevel(logFlags.stderrLevel());
    if (*copy) {
      skopeoFlags.apply(copyPlatforms);
      if (!quiet)
        for (const auto& note : copySignatures.notes()) printNote(note);
      return runCopy(copyArgs, mappingFile, source, destination, authFile, parallel, quiet, copyPlatforms, copyRetries,
                     copySourceMirrors, parseImageTimeout(copyImageTimeout), allTags,
                     copySignatures.copyAttachments(), copySignatures.checker());
    }
    if (*inspect) return runInspect(inspectRef, inspectFlags, authFile, raw, output, inspectPlatforms, inspectRetries);
    if (*mirror) return runMirrorCommand(mirrorFlags);
    if (*deleteCommand) return runDeleteCommand(deleteFlags);
    if (*describe) describeS3.apply();
    if (*describe) return runDescribe(describePath, describeOutput, describeVerify);
    if (*listTags) return runListTags(listTagsFlags);
    if (*listReleases) return runListReleases(listReleasesFlags);
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
