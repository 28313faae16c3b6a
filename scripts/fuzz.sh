#!/usr/bin/env bash
# Builds ferry's libFuzzer targets (fuzz/) with clang and runs them.
#
#   scripts/fuzz.sh TARGET [SECONDS]   fuzz one target (default 600 s); TARGET is a name
#                                      from `scripts/fuzz.sh --list` or "all" (each in turn)
#   scripts/fuzz.sh --build            only configure and build
#   scripts/fuzz.sh --list             the target names
#
# Environment:
#   FERRY_FUZZ_BUILD     build directory (default build/fuzz-thorough)
#   FERRY_FUZZ_THOROUGH  1 (default): -O1 with ASan and UBSan; 0: -O0 with ASan, builds in a
#                        third of the time (what ctest uses)
#   FERRY_FUZZ_JOBS      build jobs (default: nproc)
#   FERRY_FUZZ_ARGS      extra libFuzzer flags, e.g. "-jobs=4 -workers=4"
#
# New inputs are kept in $FERRY_FUZZ_BUILD/corpus/TARGET (the committed seeds in fuzz/corpus/TARGET
# are read, never written); a finding is written to $FERRY_FUZZ_BUILD/findings/ and the script
# exits non-zero. Reproduce one with: $FERRY_FUZZ_BUILD/bin/fuzz_TARGET FILE. See docs/fuzzing.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FERRY_FUZZ_BUILD:-$root/build/fuzz-thorough}"
thorough="${FERRY_FUZZ_THOROUGH:-1}"
jobs="${FERRY_FUZZ_JOBS:-$(nproc)}"

targets() { (cd "$root/fuzz" && ls fuzz_*.cc | sed 's/^fuzz_//; s/\.cc$//'); }

# Per-target limits. YAML and configuration inputs are kept short: a few KiB
# reach every construct, and yaml-cpp's cost grows fast with length. The tar
# and archive seeds are whole tar files (10-20 KiB).
max_len() {
  case "$1" in
    image_set_config|catalog_yaml|catalog_json|mapping) echo 4096 ;;
    tar_reader) echo 16384 ;;
    archive_reader) echo 32768 ;;
    *) echo 2048 ;;
  esac
}

build_targets() {
  local compiler="${CXX_FUZZ:-clang++}"
  command -v "$compiler" >/dev/null || { echo "fuzz.sh: $compiler not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  local generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root/fuzz" -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$compiler" "${launcher[@]}" \
      -DFERRY_FUZZ_THOROUGH="$([ "$thorough" = 1 ] && echo ON || echo OFF)" >/dev/null
  fi
  cmake --build "$build" -j "$jobs"
}

run_target() {
  local target="$1" seconds="$2"
  local binary="$build/bin/fuzz_$target"
  [ -x "$binary" ] || { echo "fuzz.sh: no target '$target' (try --list)" >&2; exit 2; }
  mkdir -p "$build/corpus/$target" "$build/findings"
  echo "== fuzz_$target for ${seconds}s"
  # -rss_limit_mb / -malloc_limit_mb turn runaway allocation into a finding, -timeout a hang.
  # shellcheck disable=SC2086
  "$binary" -max_total_time="$seconds" -max_len="$(max_len "$target")" -rss_limit_mb=1024 \
    -malloc_limit_mb=512 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$build/findings/$target-" ${FERRY_FUZZ_ARGS:-} \
    "$build/corpus/$target" "$root/fuzz/corpus/$target"
}

case "${1:-}" in
  --list) targets ;;
  --build) build_targets ;;
  ""|-h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  *)
    seconds="${2:-600}"
    # ctest builds once (fuzz_build) and runs the targets side by side: they must not build again at once.
    [ "${FERRY_FUZZ_NO_BUILD:-0}" = 1 ] || build_targets
    if [ "$1" = all ]; then
      for target in $(targets); do run_target "$target" "$seconds"; done
    else
      run_target "$1" "$seconds"
    fi
    ;;
esac
