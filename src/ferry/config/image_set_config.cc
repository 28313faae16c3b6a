#include "ferry/config/image_set_config.h"

#include <fmt/format.h>

namespace ferry::config {

std::string_view apiVersionName(ApiVersion version) {
  return version == ApiVersion::V1Alpha2 ? "mirror.openshift.io/v1alpha2" : "mirror.openshift.io/v2alpha1";
}

std::string SourceLocation::str() const {
  if (line <= 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string catalogTargetName(const OperatorCatalog& entry) {
  const ImageReference& ref = entry.catalogRef;
  bool layout = ref.transport == Transport::Layout;
  std::string name;
  if (!entry.targetCatalog.empty()) {
    // A layout has no registry to keep: the target path is the whole name.
    name = layout ? entry.targetCatalog : ref.registry + "/" + entry.targetCatalog;
  } else {
    name = layout ? "oci:" + ref.layoutPath.string() : ref.registry + "/" + ref.repository;
    if (!entry.targetName.empty()) {
      auto slash = name.rfind('/');
      name = slash == std::string::npos ? "oci:" + entry.targetName : name.substr(0, slash + 1) + entry.targetName;
    }
  }
  if (!entry.targetTag.empty()) return name + ":" + entry.targetTag;
  if (ref.tag) name += ":" + *ref.tag;
  if (ref.digest) name += "@" + ref.digest->str();
  // "repo" and "repo:latest" are one image in a registry.
  if (!layout && !ref.tag && !ref.digest) name += ":latest";
  return name;
}

bool BlockedImage::blocks(std::string_view reference) const {
  return std::regex_search(reference.begin(), reference.end(), regex);
}

}  // namespace ferry::config
