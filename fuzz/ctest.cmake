# Included by the top CMakeLists.txt: the fuzz targets as ctest entries.
#
# fuzz_build configures fuzz/ with clang in ${CMAKE_BINARY_DIR}/fuzz (the quick
# flavour: -O0, AddressSanitizer) and builds it, through scripts/fuzz.sh; each
# fuzz_<target> then runs its target for a few seconds over its committed
# corpus (fuzz/corpus/<target>: seeds and regression inputs of past findings).
# Without clang or libFuzzer, one fuzz_skipped entry says why and is reported
# as skipped. The main build never compiles anything with clang.
set(FERRY_FUZZ_SECONDS 3 CACHE STRING "How long ctest runs each fuzz target")

find_program(FERRY_FUZZ_CLANGXX NAMES clang++ clang++-14)
set(ferry_fuzz_missing "")
if(NOT FERRY_FUZZ_CLANGXX)
  set(ferry_fuzz_missing "clang++ not found")
elseif(NOT "${FERRY_FUZZ_LIBFUZZER_PROBED}" STREQUAL "${FERRY_FUZZ_CLANGXX}")
  # libFuzzer is a separate package (libclang-rt-14-dev on Debian 12): try linking a target.
  set(probe ${CMAKE_BINARY_DIR}/CMakeFiles/ferry_fuzz_probe)
  file(WRITE ${probe}.cc "#include <cstdint>\n#include <cstddef>\nextern \"C\" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n")
  execute_process(COMMAND ${FERRY_FUZZ_CLANGXX} -fsanitize=fuzzer,address ${probe}.cc -o ${probe}
    RESULT_VARIABLE probe_result OUTPUT_QUIET ERROR_QUIET)
  if(probe_result EQUAL 0)
    set(FERRY_FUZZ_LIBFUZZER_WORKS ON CACHE INTERNAL "")
  else()
    set(FERRY_FUZZ_LIBFUZZER_WORKS OFF CACHE INTERNAL "")
  endif()
  set(FERRY_FUZZ_LIBFUZZER_PROBED "${FERRY_FUZZ_CLANGXX}" CACHE INTERNAL "")
endif()
if(FERRY_FUZZ_CLANGXX AND NOT FERRY_FUZZ_LIBFUZZER_WORKS)
  set(ferry_fuzz_missing "${FERRY_FUZZ_CLANGXX} cannot link -fsanitize=fuzzer (libFuzzer missing)")
endif()

if(ferry_fuzz_missing)
  message(STATUS "fuzz targets: skipped in ctest: ${ferry_fuzz_missing}; install clang libclang-rt-14-dev")
  add_test(NAME fuzz_skipped COMMAND ${CMAKE_COMMAND} -E echo
    "fuzz targets skipped: ${ferry_fuzz_missing}; install clang libclang-rt-14-dev (scripts/setup.sh does)")
  set_tests_properties(fuzz_skipped PROPERTIES SKIP_REGULAR_EXPRESSION "fuzz targets skipped")
  return()
endif()

message(STATUS "fuzz targets: ctest builds them with ${FERRY_FUZZ_CLANGXX} in ${CMAKE_BINARY_DIR}/fuzz (docs/fuzzing.md)")
set(ferry_fuzz_env FERRY_FUZZ_BUILD=${CMAKE_BINARY_DIR}/fuzz FERRY_FUZZ_THOROUGH=0 CXX_FUZZ=${FERRY_FUZZ_CLANGXX})
add_test(NAME fuzz_build COMMAND ${PROJECT_SOURCE_DIR}/scripts/fuzz.sh --build)
set_tests_properties(fuzz_build PROPERTIES ENVIRONMENT "${ferry_fuzz_env}" FIXTURES_SETUP ferry_fuzz_built
  TIMEOUT 900 LABELS fuzz)
file(GLOB ferry_fuzz_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/fuzz_*.cc)
foreach(source ${ferry_fuzz_sources})
  get_filename_component(target ${source} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" target ${target})
  add_test(NAME fuzz_${target} COMMAND ${PROJECT_SOURCE_DIR}/scripts/fuzz.sh ${target} ${FERRY_FUZZ_SECONDS})
  set_tests_properties(fuzz_${target} PROPERTIES ENVIRONMENT "${ferry_fuzz_env};FERRY_FUZZ_NO_BUILD=1"
    FIXTURES_REQUIRED ferry_fuzz_built TIMEOUT 120 LABELS fuzz)
endforeach()
