// File-Based Catalog YAML (fbc/yaml_to_json.h, fbc/load.h): document
// splitting, the go-yaml v2 conversion (with and without the long-scalar
// shortcut, which must agree), and loading.
#include "ferry/fbc/load.h"
#include "ferry/fbc/yaml_to_json.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  auto input = fuzz::text(data, size);
  fuzz::refusalsAllowed([&] {
    for (const auto& document : catalog::splitYamlDocuments(input, "index.yaml")) {
      std::optional<std::string> shortcut, plain;
      bool shortcutRefused = false, plainRefused = false;
      try {
        shortcut = catalog::yamlDocumentToJson(document, "index.yaml", true);
      } catch (const Error&) {
        shortcutRefused = true;
      }
      try {
        plain = catalog::yamlDocumentToJson(document, "index.yaml", false);
      } catch (const Error&) {
        plainRefused = true;
      }
      if (shortcutRefused != plainRefused || shortcut != plain)
        fuzz::broken("the long-scalar shortcut changes the conversion of a document");
    }
  });
  fuzz::refusalsAllowed([&] {
    catalog::Catalog catalog;
    catalog::loadCatalogText(input, "index.yaml", catalog);
  });
  return 0;
}
