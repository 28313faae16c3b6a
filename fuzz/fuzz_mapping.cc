// Mapping files: `ferry copy -f` (cli/mapping.h) and mapping.txt
// (mirror/mapping_file.h), whose entries must read back exactly as written.
#include "ferry/cli/mapping.h"
#include "ferry/mirror/mapping_file.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  std::string input(fuzz::text(data, size));
  fuzz::refusalsAllowed([&] { (void)parseMapping(input, "mapping.txt"); });
  fuzz::refusalsAllowed([&] {
    auto entries = mirror::parseMappingTxt(input, "mapping.txt");
    std::string written;
    try {
      written = mirror::formatMappingTxt(entries);
    } catch (const Error&) {
      return;  // an entry that cannot be written back is refused when writing, by design
    }
    std::vector<mirror::MappingEntry> again;
    try {
      again = mirror::parseMappingTxt(written, "mapping.txt");
    } catch (const Error& e) {
      fuzz::broken(std::string("a written mapping.txt does not read back: ") + e.what());
    }
    if (again != entries) fuzz::broken("a written mapping.txt reads back different entries");
  });
  return 0;
}
