#include "ferry/mirror/history.h"

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <vector>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/digest/digest.h"

namespace ferry::mirror {

void History::checkSince(const std::string& since) {
  static const std::regex date("[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])");
  if (!std::regex_match(since, date))
    fail("--since '{}' is not a date; write YYYY-MM-DD (e.g. 2026-11-29): the archive then carries what was not "
         "shipped before that day",
         since);
}

History History::load(const std::filesystem::path& directory, const std::string& since) {
  History history;
  // Run ids are UTC times, YYYYMMDDTHHMMSSZ, so they sort as text against the day.
  std::string before;
  if (!since.empty()) {
    checkSince(since);
    before = since.substr(0, 4) + since.substr(5, 2) + since.substr(8, 2);
  }
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) return history;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory))
    if (entry.is_regular_file() && entry.path().extension() == ".tsv") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::string runId = file.stem().string();
    if (!before.empty() && runId >= before) continue;
    std::istringstream lines(readFile(file));
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
      ++number;
      if (line.empty()) continue;
      std::istringstream fields(line);
      std::string kind, first, second, part;
      fields >> kind >> first >> second >> part;
      bool ok = false;
      if (kind == "blob" && Digest::tryParse(first) && !part.empty()) {
        int64_t size = std::strtoll(second.c_str(), nullptr, 10);
        history.shipped_.try_emplace(first, ShippedBlob{size, fmt::format("run {}, {}", runId, part)});
        ok = true;
      } else if (kind == "image" && Digest::tryParse(second) && !part.empty()) {
        history.images_[first] = second;
        ok = true;
      }
      if (!ok)
        fail("history file '{}' line {} is malformed (want: blob DIGEST SIZE PART, or image REFERENCE DIGEST PART); "
             "remove the file to ship that run's content again",
             file.string(), number);
    }
    ++history.runs_;
  }
  return history;
}

void History::record(const std::filesystem::path& directory, const std::string& runId,
                     const std::map<std::string, std::pair<int64_t, std::string>>& blobs,
                     const std::vector<ShippedImage>& images) {
  std::filesystem::create_directories(directory);
  std::string text;
  for (const auto& [digest, shipped] : blobs)
    text += fmt::format("blob\t{}\t{}\t{}\n", digest, shipped.first, shipped.second);
  for (const auto& image : images) text += fmt::format("image\t{}\t{}\t{}\n", image.reference, image.digest, image.part);
  writeFileAtomically(directory / (runId + ".tsv"), text);
}

}  // namespace ferry::mirror
