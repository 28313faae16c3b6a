// Image references (ref/reference.h): parse, and what parses must print back
// to text that parses to the same reference.
#include "ferry/ref/reference.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  auto input = fuzz::text(data, size);
  fuzz::refusalsAllowed([&] {
    auto reference = ImageReference::parse(input);
    auto printed = reference.str();
    ImageReference again;
    try {
      again = ImageReference::parse(printed);
    } catch (const Error& e) {
      fuzz::broken("'" + printed + "' (printed from an accepted reference) does not parse: " + e.what());
    }
    if (!(again == reference)) fuzz::broken("'" + printed + "' parses to another reference: " + again.str());
    (void)reference.apiHost();
    (void)reference.manifestReference();
    (void)reference.location();
  });
  fuzz::refusalsAllowed([&] { (void)isValidTag(input); });
  fuzz::refusalsAllowed([&] { (void)isValidRepository(input); });
  return 0;
}
