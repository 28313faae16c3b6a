#include "ferry/archive/archive_format.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "ferry/base/error.h"

namespace ferry {

using nlohmann::ordered_json;

namespace {

// Digits only, without a leading zero (or 0 itself when `zeroAllowed`), and at most 4 of them.
std::optional<int> smallNumber(std::string_view digits, bool zeroAllowed) {
  if (digits.empty() || digits.size() > 4 || digits.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  if (digits.size() > 1 && digits.front() == '0') return std::nullopt;
  int number = std::stoi(std::string(digits));
  if (number == 0 && !zeroAllowed) return std::nullopt;
  return number;
}

// "shard-I-of-N" with 0 <= I < N, written the way shardSeries() writes it.
bool isShardSeries(std::string_view series) {
  constexpr std::string_view prefix = "shard-", middle = "-of-";
  if (!series.starts_with(prefix)) return false;
  series.remove_prefix(prefix.size());
  auto split = series.find(middle);
  if (split == std::string_view::npos) return false;
  auto index = smallNumber(series.substr(0, split), true);
  auto count = smallNumber(series.substr(split + middle.size()), false);
  return index && count && *index < *count;
}

}  // namespace

std::string PartFileName::str() const { return partFileName(number, series); }

std::string partFileName(int number, std::string_view series) {
  if (series.empty()) return fmt::format("mirror_{:06d}.tar", number);
  return fmt::format("mirror_{}_{:06d}.tar", series, number);
}

std::string shardSeries(int index, int count) { return fmt::format("shard-{}-of-{}", index, count); }

std::optional<PartFileName> parsePartFileName(std::string_view fileName) {
  constexpr std::string_view prefix = "mirror_", suffix = ".tar";
  if (!fileName.starts_with(prefix) || !fileName.ends_with(suffix)) return std::nullopt;
  auto stem = fileName.substr(prefix.size(), fileName.size() - prefix.size() - suffix.size());
  PartFileName name;
  if (auto underscore = stem.rfind('_'); underscore != std::string_view::npos) {
    name.series = std::string(stem.substr(0, underscore));
    if (!isShardSeries(name.series)) return std::nullopt;
    stem.remove_prefix(underscore + 1);
  }
  if (stem.size() < 6 || stem.size() > 9) return std::nullopt;
  for (char c : stem) {
    if (c < '0' || c > '9') return std::nullopt;
    name.number = name.number * 10 + (c - '0');
  }
  if (name.number == 0) return std::nullopt;
  return name;
}

std::string shippedIn(std::string_view runId, std::string_view partFile) {
  return fmt::format("run {}, {}", runId, partFile);
}

std::string blobMember(const Digest& digest) { return "blobs/" + digest.blobPath().string(); }

std::string utcNow() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string PartImage::reference() const { return tag ? name + ":" + *tag : name + "@" + digest.str(); }

std::string PartInfo::toJson() const {
  ordered_json carried = ordered_json::array();
  for (const auto& blob : blobs) carried.push_back({{"digest", blob.digest.str()}, {"size", blob.size}});
  ordered_json imageList = ordered_json::array();
  for (const auto& image : images) {
    ordered_json entry{{"name", image.name}};
    if (image.tag) entry["tag"] = *image.tag;
    entry["reference"] = image.reference();
    entry["digest"] = image.digest.str();
    entry["mediaType"] = image.mediaType;
    imageList.push_back(entry);
  }
  ordered_json missing = ordered_json::array();
  for (const auto& blob : notCarried)
    missing.push_back({{"digest", blob.digest.str()}, {"size", blob.size}, {"shippedIn", blob.shippedIn}});
  ordered_json document{{"formatVersion", formatVersion}, {"runId", runId},   {"part", part},
                        {"created", created},             {"blobs", carried}, {"images", imageList},
                        {"notCarried", missing}};
  return document.dump(2) + "\n";
}

PartInfo PartInfo::parse(std::string_view text, const std::string& where) {
  auto document = ordered_json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object())
    fail("archive part '{}': {} is not a JSON object; the part is damaged", where, kPartInfoMember);
  PartInfo info;
  if (!document.contains("formatVersion") || !document["formatVersion"].is_number_integer())
    fail("archive part '{}': {} has no formatVersion; the part is damaged", where, kPartInfoMember);
  info.formatVersion = document["formatVersion"].get<int>();
  if (info.formatVersion > kArchiveFormatVersion)
    fail("archive part '{}' was written in archive format {}, newer than this ferry reads ({}); use a newer ferry",
         where, info.formatVersion, kArchiveFormatVersion);
  try {
    info.runId = document.at("runId").get<std::string>();
    info.part = document.at("part").get<int>();
    info.created = document.value("created", "");
    for (const auto& blob : document.at("blobs"))
      info.blobs.push_back({Digest::parse(blob.at("digest").get<std::string>()), blob.at("size").get<int64_t>()});
    for (const auto& image : document.at("images")) {
      PartImage entry{.name = image.at("name").get<std::string>(),
                      .digest = Digest::parse(image.at("digest").get<std::string>()),
                      .mediaType = image.value("mediaType", "")};
      if (image.contains("tag")) entry.tag = image.at("tag").get<std::string>();
      info.images.push_back(std::move(entry));
    }
    for (const auto& blob : document.at("notCarried"))
      info.notCarried.push_back({Digest::parse(blob.at("digest").get<std::string>()), blob.at("size").get<int64_t>(),
                                 blob.value("shippedIn", "")});
  } catch (const nlohmann::json::exception& e) {
    fail("archive part '{}': {} is malformed ({}); the part is damaged", where, kPartInfoMember, e.what());
  } catch (const Error& e) {
    fail("archive part '{}': {}: {}", where, kPartInfoMember, e.what());
  }
  return info;
}

}  // namespace ferry
