// Mapping files as `oc image mirror -f` reads them (the grammar: ref/mapping.h),
// as copy requests with the tag defaults `ferry copy` applies.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ferry/copy/copier.h"

namespace ferry {

// Throws Error naming the file and line of the first bad entry.
std::vector<CopyRequest> readMappingFile(const std::filesystem::path& path);
std::vector<CopyRequest> parseMapping(const std::string& text, const std::string& fileName);

// The request for one pair. A destination without a tag or digest takes the
// source's tag; a source named only by digest is pushed by digest.
CopyRequest makeCopyRequest(const std::string& source, const std::string& destination);
CopyRequest makeCopyRequest(ImageReference source, ImageReference destination);

}  // namespace ferry
