// For tests: where the shared real catalogs are: $FERRY_FBC_DATA, else
// ../shared/fbc-data beside the source tree (the build passes the source
// directory as FERRY_SOURCE_DIR). They are not part of the repository, so
// tests that use them skip when the folder is absent; the unit test binary
// prints one line saying whether they run, and from where (fbc_test_data_test.cc).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#ifndef FERRY_SOURCE_DIR
#error "FERRY_SOURCE_DIR must be defined (the project's source directory) where this header is used"
#endif

namespace ferry::catalog {

inline std::filesystem::path fbcDataDirectory() {
  const char* configured = std::getenv("FERRY_FBC_DATA");
  if (configured != nullptr && *configured != '\0') return std::filesystem::path(configured);
  return (std::filesystem::path(FERRY_SOURCE_DIR) / ".." / "shared" / "fbc-data").lexically_normal();
}

// One line for the test output: whether the real-data tests run, or why not.
inline std::string fbcDataStatus() {
  const char* configured = std::getenv("FERRY_FBC_DATA");
  bool fromEnvironment = configured != nullptr && *configured != '\0';
  auto directory = fbcDataDirectory();
  std::error_code error;
  if (std::filesystem::is_directory(directory, error))
    return "real FBC data tests run on " + directory.string() +
           (fromEnvironment ? " (from $FERRY_FBC_DATA)" : " (../shared/fbc-data beside the source tree)");
  return "real FBC data tests skipped: no directory " + directory.string() +
         (fromEnvironment ? " ($FERRY_FBC_DATA)" : " (set FERRY_FBC_DATA to the fbc-data folder to run them)");
}

}  // namespace ferry::catalog
