#include "ferry/cli/mapping.h"

#include <sstream>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry {

CopyRequest makeCopyRequest(const std::string& source, const std::string& destination) {
  CopyRequest request{ImageReference::parse(source), ImageReference::parse(destination)};
  if (!request.destination.tag && !request.destination.digest) request.destination.tag = request.source.tag;
  if (!request.source.tag && !request.source.digest && !request.destination.tag) request.destination.tag = "latest";
  return request;
}

std::vector<CopyRequest> parseMapping(const std::string& text, const std::string& fileName) {
  std::vector<CopyRequest> requests;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    auto equals = line.find('=');
    if (equals == std::string::npos)
      fail("{}:{}: expected SOURCE=DESTINATION, got '{}'", fileName, number, line);
    auto trim = [](std::string s) {
      auto begin = s.find_first_not_of(" \t");
      auto end = s.find_last_not_of(" \t");
      return begin == std::string::npos ? std::string() : s.substr(begin, end - begin + 1);
    };
    try {
      requests.push_back(makeCopyRequest(trim(line.substr(0, equals)), trim(line.substr(equals + 1))));
    } catch (const Error& e) {
      fail("{}:{}: {}", fileName, number, e.what());
    }
  }
  if (requests.empty()) fail("{}: no SOURCE=DESTINATION lines found", fileName);
  return requests;
}

std::vector<CopyRequest> readMappingFile(const std::filesystem::path& path) {
  return parseMapping(readFile(path), path.string());
}

}  // namespace ferry
