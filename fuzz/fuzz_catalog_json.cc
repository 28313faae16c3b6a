// File-Based Catalog JSON streams (fbc/load.h) as opm writes them.
#include "ferry/fbc/load.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  // A text not starting with '{' is YAML to the loader: fuzz_catalog_yaml covers it.
  auto input = fuzz::text(data, size);
  if (auto first = input.find_first_not_of(" \t\r\n"); first == std::string_view::npos || input[first] != '{')
    return 0;
  fuzz::refusalsAllowed([&] {
    catalog::Catalog catalog;
    catalog::loadCatalogText(input, "catalog.json", catalog);
  });
  return 0;
}
