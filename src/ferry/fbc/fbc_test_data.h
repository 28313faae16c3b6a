// For tests: where the shared real catalogs are ($FERRY_FBC_DATA, else
// /work/shared/fbc-data). They are not part of the repository, so tests that
// use them skip when the folder is absent.
#pragma once

#include <cstdlib>
#include <filesystem>

namespace ferry::catalog {

inline std::filesystem::path fbcDataDirectory() {
  const char* configured = std::getenv("FERRY_FBC_DATA");
  return configured != nullptr && *configured != '\0' ? std::filesystem::path(configured)
                                                      : std::filesystem::path("/work/shared/fbc-data");
}

}  // namespace ferry::catalog
