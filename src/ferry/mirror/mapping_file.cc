#include "ferry/mirror/mapping_file.h"

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/mirror/naming.h"

namespace ferry::mirror {

std::string mappingLine(const MappingEntry& entry) {
  return imageMappingLine(pullReferenceFor(entry.source).str(), entry.destination.str());
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
  return parseImageMappings(text, fileName);
}

std::vector<MappingEntry> readMappingTxt(const std::filesystem::path& path) {
  return parseMappingTxt(readFile(path), path.string());
}

}  // namespace ferry::mirror
