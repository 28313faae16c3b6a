// Manifests, indexes and image configs (oci/manifest.h) as registries, layouts
// and archives hand them over: the first byte picks the media type the
// document is said to be served as, the rest is the document.
#include <array>

#include "ferry/oci/manifest.h"
#include "ferry/oci/media_types.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  static const std::array<std::string_view, 7> servedAs = {
      "", media::kDockerManifest, media::kDockerManifestList, media::kOciManifest, media::kOciIndex,
      media::kOciArtifactManifest, media::kDockerSchema1};
  if (size == 0) return 0;
  auto type = servedAs[data[0] % servedAs.size()];
  auto document = fuzz::text(data + 1, size - 1);
  fuzz::refusalsAllowed([&] {
    auto manifest = Manifest::parse(document, type);
    (void)manifest.blobs();
  });
  fuzz::refusalsAllowed([&] { (void)ImageConfig::parse(document); });
  fuzz::refusalsAllowed([&] { (void)Platform::parse(document); });
  return 0;
}
