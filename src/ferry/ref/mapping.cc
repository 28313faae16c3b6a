#include "ferry/ref/mapping.h"

#include "ferry/base/error.h"

namespace ferry {
namespace {

std::string_view trimmed(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

// A reference that would not read back as itself: the reader cuts comments at
// '#', splits at the first '=', and reads line by line.
void checkWritable(const std::string& text, bool isSource) {
  if (text.find_first_of("#\n\r") != std::string::npos)
    fail("cannot write '{}' to a mapping file: '#' and line breaks cannot be read back; rename the layout directory",
         text);
  if (isSource && text.find('=') != std::string::npos)
    fail(
        "cannot write source '{}' to a mapping file: '=' separates source from destination; rename the layout "
        "directory",
        text);
  if (text.empty() || text.front() == ' ' || text.back() == ' ' || text.front() == '\t' || text.back() == '\t')
    fail("cannot write '{}' to a mapping file: leading or trailing blanks are not read back", text);
}

}  // namespace

std::vector<ImageMapping> parseImageMappings(std::string_view text, const std::string& fileName) {
  std::vector<ImageMapping> mappings;
  int number = 0;
  while (!text.empty()) {
    ++number;
    auto newline = text.find('\n');
    auto line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trimmed(line);
    if (line.empty()) continue;
    auto equals = line.find('=');
    if (equals == std::string_view::npos) fail("{}:{}: expected SOURCE=DESTINATION, got '{}'", fileName, number, line);
    try {
      mappings.push_back({ImageReference::parse(trimmed(line.substr(0, equals))),
                          ImageReference::parse(trimmed(line.substr(equals + 1)))});
    } catch (const Error& e) {
      fail("{}:{}: {}", fileName, number, e.what());
    }
  }
  return mappings;
}

std::string imageMappingLine(const std::string& source, const std::string& destination) {
  checkWritable(source, true);
  checkWritable(destination, false);
  return source + "=" + destination;
}

}  // namespace ferry
