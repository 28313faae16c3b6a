#include "ferry/cli/delete_command.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/mirror/delete.h"

namespace ferry {
namespace {

std::filesystem::path fileLocation(const std::string& text, const std::string& flag) {
  std::string path = text.rfind("file://", 0) == 0 ? text.substr(7) : text;
  if (path.empty()) fail(ErrorKind::InvalidInput, "{} '{}' names no folder; give file://DIR", flag, text);
  return path;
}

void checkDeleteId(const std::string& id) {
  if (id.empty()) return;
  if (id.size() > 64 || id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
                            std::string::npos || id.front() == '.')
    fail(ErrorKind::InvalidInput, "--delete-id '{}': at most 64 letters, digits, '.', '_' or '-' (it is part of a "
         "file name), not starting with '.'", id);
}

void printLine(const std::string& line) {
  std::fprintf(stderr, "%s%s\n", ::isatty(STDERR_FILENO) ? "\r\033[K" : "", line.c_str());
}

int runGenerate(const DeleteFlags& flags, const std::string& destination) {
  if (!flags.deleteYamlFile.empty())
    fail(ErrorKind::InvalidInput, "--generate writes the list; --delete-yaml-file is for the second step, without "
         "--generate");
  if (flags.workspace.empty())
    fail(ErrorKind::InvalidInput, "--generate needs --workspace file://DIR, the workspace of the mirror runs "
         "into {}", destination);
  if (flags.config.empty())
    fail(ErrorKind::InvalidInput, "--generate needs -c FILE, a DeleteImageSetConfiguration");
  mirror::GenerateOptions options{.configFile = flags.config,
                                  .workspace = fileLocation(flags.workspace, "--workspace"),
                                  .destination = destination,
                                  .deleteId = flags.deleteId};
  auto report = mirror::generateDeleteList(options);
  if (flags.output == "json") {
    nlohmann::ordered_json json;
    json["deleteList"] = report.listFile.string();
    json["items"] = report.list.items.size();
    json["kept"] = report.kept;
    json["warnings"] = report.warnings;
    std::cout << json.dump(2) << "\n";
    return 0;
  }
  if (!flags.quiet) {
    for (const auto& warning : report.warnings) printWarning(warning);
    for (const auto& kept : report.kept) printLine("kept: " + kept);
    std::printf("%zu image(s) to delete listed in %s\n", report.list.items.size(), report.listFile.string().c_str());
    std::printf("next: ferry delete --delete-yaml-file %s %s (--dry-run to see what goes first)\n",
                report.listFile.string().c_str(), destination.c_str());
  }
  return 0;
}

int runDeletes(const DeleteFlags& flags, const std::string& destination) {
  if (!flags.config.empty() || !flags.workspace.empty())
    fail(ErrorKind::InvalidInput, "-c and --workspace go with --generate; the second step reads only "
         "--delete-yaml-file (the list knows what to delete)");
  mirror::DeleteOptions options{.listFile = flags.deleteYamlFile, .destination = destination, .dryRun = flags.dryRun};
  options.endpoints = {.destination = flags.dest.options(flags.authFile, 4), .registriesConf = registriesConf()};
  flags.retries.apply(options.endpoints.destination, flags.quiet, nullptr);
  bool quiet = flags.quiet || flags.output == "json";
  if (!quiet) options.note = printLine;
  auto report = mirror::runDelete(options);
  if (flags.output == "json") {
    nlohmann::ordered_json json;
    json["dryRun"] = flags.dryRun;
    json["deleted"] = report.deleted;
    json["untagged"] = report.untagged;
    json["refused"] = report.refused;
    json["gone"] = report.gone;
    json["errors"] = report.errors;
    std::cout << json.dump(2) << "\n";
    return report.exitCode;
  }
  if (flags.dryRun) {
    for (const auto& line : report.deleted) std::printf("would delete %s\n", line.c_str());
    for (const auto& line : report.untagged) std::printf("would remove tag %s\n", line.c_str());
  }
  for (const auto& line : report.refused) std::printf("kept: %s\n", line.c_str());
  if (!flags.quiet) {
    for (const auto& line : report.gone) printLine("already gone: " + line);
    std::printf("%s%zu manifest(s) deleted, %zu tag(s) removed, %zu kept because still used, %zu already gone\n",
                flags.dryRun ? "dry run: " : "", report.deleted.size(), report.untagged.size(), report.refused.size(),
                report.gone.size());
    if (!flags.dryRun && !report.deleted.empty()) printLine(std::string("note: ") + mirror::kGarbageCollectionNote);
  }
  for (const auto& line : report.errors) std::fprintf(stderr, "error: %s\n", line.c_str());
  return report.exitCode;
}

}  // namespace

CLI::App* addDeleteCommand(CLI::App& app, DeleteFlags& flags) {
  auto* command = app.add_subcommand(
      "delete", "Delete what earlier mirror runs pushed: --generate a list from a DeleteImageSetConfiguration, then "
                "delete it with --delete-yaml-file");
  command->add_option("destination", flags.destination, "docker://HOST[:PORT][/NAMESPACE], as the mirror runs had it");
  command->add_flag("--generate", flags.generate,
                    "Step 1: write DIR/working-dir/delete/delete-images.yaml from the workspace (no network)");
  command->add_option("-c,--config", flags.config, "Step 1: the DeleteImageSetConfiguration (mirror.openshift.io/v2alpha1)");
  command->add_option("--workspace", flags.workspace, "Step 1: the mirror runs' workspace (file://DIR)");
  command->add_option("--delete-id", flags.deleteId,
                      "Step 1: name the files delete-images-ID.yaml and delete-imageset-config-ID.yaml");
  command->add_option("--delete-yaml-file", flags.deleteYamlFile, "Step 2: the DeleteImageList to delete");
  command->add_flag("--dry-run", flags.dryRun, "Step 2: list what would be deleted and delete nothing");
  command->add_flag("--delete-signatures", flags.deleteSignatures,
                    "oc-mirror's: ferry always deletes the signatures and referrers of what it deletes (noted)");
  command->add_flag("--delete-v1-images", flags.deleteV1Images,
                    "oc-mirror's, for images oc-mirror v1 mirrored: refused (ferry records only its own runs)");
  command->add_flag("--force-cache-delete", flags.forceCacheDelete,
                    "oc-mirror's, to purge its local cache registry: ferry runs none (noted)");
  command->add_flag("--v2", flags.v2, "Accepted for oc-mirror command lines");
  command->add_option("-p,--port", flags.port, "oc-mirror's local cache registry port (ferry runs none; noted)");
  command->add_option("--cache-dir", flags.cacheDir, "oc-mirror's cache folder (ferry deletes nothing there; noted)");
  command->add_option("--authfile", flags.authFile, "Auth file to read credentials from");
  addSideFlags(command, flags.dest, "dest", "dest", "destination");
  addRetryFlags(command, flags.retries);
  command->add_option("-o,--output", flags.output, "text, or json: what was deleted, at the end")->default_val("text");
  command->add_flag("-q,--quiet", flags.quiet, "Print nothing but errors and kept images");
  return command;
}

int runDeleteCommand(const DeleteFlags& flags) {
  if (flags.output != "text" && flags.output != "json")
    fail(ErrorKind::InvalidInput, "--output must be 'text' or 'json', not '{}'", flags.output);
  if (flags.destination.size() != 1 || flags.destination.front().rfind("docker://", 0) != 0)
    fail(ErrorKind::InvalidInput, "delete needs one destination docker://HOST[:PORT][/NAMESPACE]: the registry the "
         "mirror runs pushed to");
  if (flags.deleteV1Images)
    fail(ErrorKind::Unsupported, "--delete-v1-images: ferry knows only what its own runs recorded in the workspace, "
         "not what oc-mirror v1 mirrored; delete those with oc-mirror, or list them in a DeleteImageList by hand");
  checkDeleteId(flags.deleteId);
  std::vector<std::string> notes;
  if (flags.deleteSignatures)
    notes.push_back("--delete-signatures: ferry always deletes the cosign .sig/.att/.sbom tags, the referrers "
                    "fallback tag and the referrers of every manifest it deletes");
  if (flags.forceCacheDelete)
    notes.push_back("--force-cache-delete: ferry runs no local cache registry, so there is no cache to purge");
  if (flags.port != 0) notes.push_back("-p/--port: ferry runs no local cache registry");
  if (!flags.cacheDir.empty())
    notes.push_back("--cache-dir: ferry's cache holds catalog extractions only; delete deletes nothing there");
  if (!flags.quiet)
    for (const auto& note : notes) printNote(note);
  const auto& destination = flags.destination.front();
  if (flags.generate) {
    if (flags.dryRun)
      fail(ErrorKind::InvalidInput, "--dry-run goes with the second step (--delete-yaml-file); --generate deletes "
           "nothing anyway");
    return runGenerate(flags, destination);
  }
  if (flags.deleteYamlFile.empty())
    fail(ErrorKind::InvalidInput, "delete needs --generate (step 1: write the list) or --delete-yaml-file FILE "
         "(step 2: delete what it lists)");
  if (!flags.deleteId.empty())
    fail(ErrorKind::InvalidInput, "--delete-id names the files --generate writes; give step 2 the file itself with "
         "--delete-yaml-file");
  return runDeletes(flags, destination);
}

}  // namespace ferry
