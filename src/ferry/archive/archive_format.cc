#include "ferry/archive/archive_format.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "ferry/base/error.h"

namespace ferry {

using nlohmann::ordered_json;

std::string partFileName(int number) { return fmt::format("mirror_{:06d}.tar", number); }

std::optional<int> partNumberOf(std::string_view fileName) {
  constexpr std::string_view prefix = "mirror_", suffix = ".tar";
  if (!fileName.starts_with(prefix) || !fileName.ends_with(suffix)) return std::nullopt;
  auto digits = fileName.substr(prefix.size(), fileName.size() - prefix.size() - suffix.size());
  if (digits.size() < 6 || digits.size() > 9) return std::nullopt;
  int number = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    number = number * 10 + (c - '0');
  }
  if (number == 0) return std::nullopt;
  return number;
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
