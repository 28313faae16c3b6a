#include "ferry/cli/mapping.h"

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/ref/mapping.h"

namespace ferry {

CopyRequest makeCopyRequest(const std::string& source, const std::string& destination) {
  return makeCopyRequest(ImageReference::parse(source), ImageReference::parse(destination));
}

CopyRequest makeCopyRequest(ImageReference source, ImageReference destination) {
  CopyRequest request{std::move(source), std::move(destination)};
  if (!request.destination.tag && !request.destination.digest) request.destination.tag = request.source.tag;
  if (!request.source.tag && !request.source.digest && !request.destination.tag) request.destination.tag = "latest";
  return request;
}

std::vector<CopyRequest> parseMapping(const std::string& text, const std::string& fileName) {
  std::vector<CopyRequest> requests;
  for (auto& mapping : parseImageMappings(text, fileName))
    requests.push_back(makeCopyRequest(std::move(mapping.source), std::move(mapping.destination)));
  if (requests.empty()) fail("{}: no SOURCE=DESTINATION lines found", fileName);
  return requests;
}

std::vector<CopyRequest> readMappingFile(const std::filesystem::path& path) {
  return parseMapping(readFile(path), path.string());
}

}  // namespace ferry
