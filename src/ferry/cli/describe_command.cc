#include "ferry/cli/describe_command.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "ferry/archive/archive_summary.h"
#include "ferry/base/error.h"
#include "ferry/cli/inspect.h"
#include "ferry/mirror/plan.h"

namespace ferry {

namespace {

// What the runs' plans say about the archive: parts of several runs each carry
// their own run's plan.json, so all of them are read.
struct PlannedContent {
  std::map<std::string, std::string> kinds;  // image reference in the archive → kind
  // Catalogs by name: packages of every run, rebuilt when any run rebuilt it, the digest of the latest run.
  std::vector<mirror::PlannedCatalog> catalogs;
};

PlannedContent plannedContent(const ArchiveReader& reader, const std::string& path) {
  PlannedContent content;
  for (const auto& text : reader.files("plan.json")) {
    auto plan = mirror::planFromJson(text, path + " ferry/plan.json");
    for (const auto& image : plan.images) {
      content.kinds[mirror::archiveReference(image.source)] = mirror::kindName(image.kind);
    }
    for (const auto& catalog : plan.catalogs) {
      if (!catalog.archiveTag.empty())
        content.kinds[mirror::archiveName(catalog.source) + ":" + catalog.archiveTag] = "catalog";
      auto same = std::find_if(content.catalogs.begin(), content.catalogs.end(),
                               [&](const mirror::PlannedCatalog& seen) { return seen.name == catalog.name; });
      if (same == content.catalogs.end()) {
        content.catalogs.push_back(catalog);
        continue;
      }
      same->packages.insert(catalog.packages.begin(), catalog.packages.end());
      same->rebuilt = same->rebuilt || catalog.rebuilt;
      same->sourceDigest = catalog.sourceDigest;
    }
  }
  return content;
}

}  // namespace

int runDescribe(const std::string& text, const std::string& output, const std::string& verify) {
  if (output != "text" && output != "json") fail("--output must be 'text' or 'json', not '{}'", output);
  if (verify != "full" && verify != "quick") fail("--verify-archive must be 'full' or 'quick', not '{}'", verify);
  std::string path = text.rfind("file://", 0) == 0 ? text.substr(7) : text;
  auto reader = ArchiveReader::openVerified(path, verify == "full" ? ArchiveCheck::Full : ArchiveCheck::Quick);
  auto summary = describeArchive(*reader);
  auto planned = plannedContent(*reader, path);
  auto& kinds = planned.kinds;
  const auto& catalogs = planned.catalogs;

  if (output == "json") {
    nlohmann::ordered_json json;
    json["path"] = summary.path.string();
    json["bytes"] = summary.bytes;
    json["runs"] = summary.runIds;
    for (const auto& part : summary.parts)
      json["parts"].push_back({{"file", part.file},
                               {"bytes", part.bytes},
                               {"run", part.runId},
                               {"created", part.created},
                               {"blobs", part.blobCount},
                               {"blobBytes", part.blobBytes},
                               {"images", part.imageCount}});
    for (const auto& catalog : catalogs)
      json["catalogs"].push_back({{"catalog", catalog.name},
                                  {"rebuilt", catalog.rebuilt},
                                  {"sourceDigest", catalog.sourceDigest ? catalog.sourceDigest->str() : ""},
                                  {"packages", catalog.packages}});
    for (const auto& image : summary.images) {
      nlohmann::ordered_json entry{{"reference", image.reference},
                                   {"kind", kinds.count(image.reference) ? kinds[image.reference] : "image"},
                                   {"digest", image.digest.str()},
                                   {"mediaType", image.mediaType},
                                   {"part", image.part},
                                   {"blobBytes", image.blobBytes},
                                   {"blobsFromEarlierArchives", image.missingBlobs},
                                   {"platforms", image.platforms}};
      if (!image.absentPlatforms.empty()) entry["absentPlatforms"] = image.absentPlatforms;
      json["images"].push_back(entry);
    }
    json["blobs"] = summary.blobCount;
    json["blobBytes"] = summary.blobBytes;
    for (const auto& blob : summary.missing)
      json["needsFromEarlierArchives"].push_back(
          {{"digest", blob.digest.str()}, {"size", blob.size}, {"shippedIn", blob.shippedIn}});
    std::cout << json.dump(2) << "\n";
    return 0;
  }

  std::printf("archive %s: %zu part(s), %s, run(s) %s\n", summary.path.string().c_str(), summary.parts.size(),
              humanBytes(summary.bytes).c_str(), fmt::format("{}", fmt::join(summary.runIds, ", ")).c_str());
  for (const auto& part : summary.parts)
    std::printf("  %s  %s  run %s  created %s  %lld blobs  %lld images\n", part.file.c_str(),
                humanBytes(part.bytes).c_str(), part.runId.c_str(), part.created.c_str(),
                static_cast<long long>(part.blobCount), static_cast<long long>(part.imageCount));
  if (!catalogs.empty()) {
    std::printf("catalogs:\n");
    for (const auto& catalog : catalogs)
      std::printf("  %s (%s): %s\n", catalog.name.c_str(), catalog.rebuilt ? "filtered and rebuilt" : "whole",
                  fmt::format("{}", fmt::join(catalog.packages, ", ")).c_str());
  }
  std::printf("images (%zu):\n", summary.images.size());
  for (const auto& image : summary.images) {
    auto kind = kinds.count(image.reference) ? kinds[image.reference] : "image";
    std::string platforms;
    if (!image.platforms.empty()) platforms = fmt::format("  [{}]", fmt::join(image.platforms, ", "));
    if (!image.absentPlatforms.empty())
      platforms += fmt::format("  (sparse: not carried {})", fmt::join(image.absentPlatforms, ", "));
    std::printf("  %-16s %s  %s  %s%s%s\n", kind.c_str(), image.reference.c_str(), humanBytes(image.blobBytes).c_str(),
                image.part.c_str(),
                image.missingBlobs ? fmt::format("  ({} blobs from earlier archives)", image.missingBlobs).c_str()
                                   : "",
                platforms.c_str());
  }
  std::printf("%lld distinct blobs carried, %s\n", static_cast<long long>(summary.blobCount),
              humanBytes(summary.blobBytes).c_str());
  if (!summary.missing.empty()) {
    std::map<std::string, int> byOrigin;
    for (const auto& blob : summary.missing) ++byOrigin[blob.shippedIn];
    std::printf("needs %zu blob(s) shipped by earlier archives (they must be at the destination):\n",
                summary.missing.size());
    for (const auto& [origin, count] : byOrigin) std::printf("  %d from %s\n", count, origin.c_str());
  }
  return 0;
}

}  // namespace ferry
