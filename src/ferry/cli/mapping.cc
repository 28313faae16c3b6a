#include "ferry/cli/mapping.h"

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/ref/mapping.h"
#include "ferry/transport/capabilities.h"

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

std::vector<CopyRequest> allTagsRequests(Endpoints& endpoints, const std::string& source,
                                         const std::string& destination) {
  auto from = ImageReference::parse(source);
  auto to = ImageReference::parse(destination);
  if (from.tag || from.digest)
    fail("--all-tags copies every tag of a repository: drop the tag or digest from '{}' (or drop --all-tags)", source);
  if (to.tag || to.digest)
    fail("--all-tags keeps each tag's name: give the destination repository without a tag or digest, not '{}'",
         destination);
  auto lister = capability<TagLister>(endpoints.source(from));
  if (!lister) fail("{} cannot list its tags; --all-tags reads docker:// and oci: repositories", from.str());
  auto tags = lister->listTags();
  if (tags.empty()) fail("{} has no tags: nothing to copy with --all-tags", from.str());
  std::vector<CopyRequest> requests;
  for (const auto& tag : tags) requests.push_back(CopyRequest{from.withTag(tag), to.withTag(tag)});
  return requests;
}

}  // namespace ferry
