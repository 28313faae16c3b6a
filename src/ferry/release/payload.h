// A release payload image, read for what it names: the `release-manifests/`
// directory its layers carry (applied bottom to top with the shared layer
// extraction, imagefs/layer_extract.h), in which
//
//   image-references   an ImageStream: spec.tags[] = {name, from.name = the
//                      component's pull spec, by digest}
//   release-metadata   {"kind":"cincinnati-metadata-v0","version":…,"previous":[…]}
//
// A `multi` payload is an index; its children carry the same release-manifests
// layer, and the first image child is read (as oc-mirror does). The directory
// is kept in the workspace under the payload's digest, so a re-run reads no
// payload layer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "ferry/digest/digest.h"
#include "ferry/transport/image_store.h"

namespace ferry::release {

// Bounds (docs/limits.md).
inline constexpr uint64_t kMaxReleaseManifestsBytes = uint64_t{512} << 20;  // extracted release-manifests/
inline constexpr uintmax_t kMaxImageReferencesBytes = 16 << 20;            // image-references, release-metadata
inline constexpr size_t kMaxReleaseComponents = 10000;

struct ReleaseComponent {
  std::string name;   // spec.tags[].name ("cluster-version-operator")
  std::string image;  // spec.tags[].from.name, by digest
};

struct ReleasePayload {
  Digest digest = Digest::sha256Of("");  // the payload's top manifest (the index of a multi payload)
  bool isIndex = false;
  std::string name;  // image-references metadata.name
  std::string version;  // release-metadata version ("" when the file is absent)
  std::vector<std::string> previous;
  std::vector<ReleaseComponent> components;
  std::filesystem::path manifestsDirectory;  // the extracted release-manifests/
};

// Reads the payload `reference` (a tag or digest of `source`) names; extracts
// under work/<digest hex>/ (reused when already there). `name` is used in
// messages. Throws Error naming the payload and the file.
ReleasePayload readReleasePayload(ImageSource& source, const std::string& reference, const std::string& name,
                                  const std::filesystem::path& work);

// kubeVirtContainer: the container disk images the payload's
// 0000_50_installer_coreos-bootimages.yaml names (a ConfigMap whose data.stream
// is CoreOS stream JSON: architectures.<arch>.images.kubevirt.digest-ref), by
// CoreOS arch name ("x86_64", "s390x"). Empty when the file or the entries are
// absent. Throws Error naming `where` for a file that is not such a ConfigMap.
inline constexpr const char* kBootImagesFile = "0000_50_installer_coreos-bootimages.yaml";
std::map<std::string, std::string> readKubeVirtImages(const std::filesystem::path& manifestsDirectory,
                                                      const std::string& where);

// Reads image-references and release-metadata from an extracted
// release-manifests directory. Throws Error naming `where` and the file.
ReleasePayload parseReleaseManifests(const std::filesystem::path& directory, const std::string& where);

}  // namespace ferry::release
