// What registries put in headers and error bodies (registry/challenge.h):
// WWW-Authenticate challenges, Link headers (one a line), error bodies.
#include <vector>

#include "ferry/registry/challenge.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  std::string input(fuzz::text(data, size));
  fuzz::refusalsAllowed([&] {
    if (auto challenge = parseAuthChallenge(input)) (void)challenge->parameter("realm");
  });
  std::vector<std::string> lines;
  for (size_t start = 0; start <= input.size();) {
    auto end = input.find('\n', start);
    if (end == std::string::npos) end = input.size();
    lines.push_back(input.substr(start, end - start));
    start = end + 1;
  }
  fuzz::refusalsAllowed([&] { (void)nextLink(lines); });
  fuzz::refusalsAllowed([&] { (void)registryErrorSummary(input); });
  return 0;
}
