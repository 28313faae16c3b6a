#include "ferry/mirror/mapping_file.h"

#include <sstream>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/mirror/naming.h"

namespace ferry::mirror {
namespace {

std::string trimmed(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
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
  if (text.front() == ' ' || text.back() == ' ' || text.front() == '\t' || text.back() == '\t')
    fail("cannot write '{}' to a mapping file: leading or trailing blanks are not read back", text);
}

}  // namespace

std::string mappingLine(const MappingEntry& entry) {
  std::string source = pullReferenceFor(entry.source).str();
  std::string destination = entry.destination.str();
  checkWritable(source, true);
  checkWritable(destination, false);
  return source + "=" + destination;
}

std::string formatMappingTxt(const std::vector<MappingEntry>& entries) {
  std::string out;
  for (const auto& entry : entries) out += mappingLine(entry) + "\n";
  return out;
}

void writeMappingTxt(const std::filesystem::path& path, const std::vector<MappingEntry>& entries) {
  std::string text = formatMappingTxt(entries);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  writeFileAtomically(path, text);
}

std::vector<MappingEntry> parseMappingTxt(const std::string& text, const std::string& fileName) {
  std::vector<MappingEntry> entries;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    line = trimmed(line);
    if (line.empty()) continue;
    auto equals = line.find('=');
    if (equals == std::string::npos) fail("{}:{}: expected SOURCE=DESTINATION, got '{}'", fileName, number, line);
    try {
      entries.push_back({ImageReference::parse(trimmed(std::string_view(line).substr(0, equals))),
                         ImageReference::parse(trimmed(std::string_view(line).substr(equals + 1)))});
    } catch (const Error& e) {
      fail("{}:{}: {}", fileName, number, e.what());
    }
  }
  return entries;
}

std::vector<MappingEntry> readMappingTxt(const std::filesystem::path& path) {
  return parseMappingTxt(readFile(path), path.string());
}

}  // namespace ferry::mirror
