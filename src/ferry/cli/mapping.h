// Mapping files as `oc image mirror -f` reads them (the grammar: ref/mapping.h),
// as copy requests with the tag defaults `ferry copy` applies.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ferry/copy/copier.h"
#include "ferry/copy/endpoints.h"

namespace ferry {

// Throws Error naming the file and line of the first bad entry.
std::vector<CopyRequest> readMappingFile(const std::filesystem::path& path);
std::vector<CopyRequest> parseMapping(const std::string& text, const std::string& fileName);

// The request for one pair. A destination without a tag or digest takes the
// source's tag; a source named only by digest is pushed by digest.
CopyRequest makeCopyRequest(const std::string& source, const std::string& destination);
CopyRequest makeCopyRequest(ImageReference source, ImageReference destination);

// `ferry copy --all-tags SOURCE DESTINATION` (skopeo sync's job): one request per
// tag of the repository SOURCE (registry or OCI layout, source mirrors applied),
// each to the same tag in the repository DESTINATION. Both must name a
// repository, not an image; a repository without tags is an error naming it.
std::vector<CopyRequest> allTagsRequests(Endpoints& endpoints, const std::string& source,
                                         const std::string& destination);

}  // namespace ferry
