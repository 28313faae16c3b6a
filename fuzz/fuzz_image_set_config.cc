// The ImageSetConfiguration loader (config/image_set_config.h), with and
// without the sections ferry does not support yet.
#include "ferry/config/image_set_config.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  auto input = fuzz::text(data, size);
  fuzz::refusalsAllowed([&] { (void)config::loadImageSetConfigText(input, "imageset-config.yaml"); });
  config::LoadOptions options;
  options.acceptUnsupportedSections = true;
  fuzz::refusalsAllowed([&] { (void)config::loadImageSetConfigText(input, "imageset-config.yaml", options); });
  return 0;
}
