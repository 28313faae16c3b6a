#!/usr/bin/env bash
# Benchmark: ferry's catalog engine (load, validate, filter, write) on real File-Based Catalogs.
#
# Usage: bench/catalog.sh [--build DIR] [--size MB] [--runs N] [--keep]
#
#   --build DIR   CMake build directory with bin/ferry-catalog-bench (default: build-main, then build);
#                 the target is built there first if the binary is missing
#   --size MB     size of the assembled large catalog (default 500)
#   --runs N      runs per catalog; every run is printed, the fastest is summarised (default 3)
#   --keep        keep the temporary directory (converted and assembled catalogs, outputs)
#
# Steps: convert certified-operators-v4.16 (the largest real catalog, ~51 MB of YAML) to JSON as
# catalog images carry it; assemble a ~SIZE MB JSON catalog from it and community-operators-v4.17
# with renamed package copies; then `ferry-catalog-bench run` on both: load + validate + filter
# (default selection: the head of every channel) + write, with per-phase seconds, MB/s and peak
# resident memory as a multiple of the catalog size. The goal: the ~50 MB catalog in under 1 s,
# peak memory under 4x its size.
# Data: $FERRY_FBC_DATA, else ../shared/fbc-data beside the source tree. Without it the script says so and exits 0.
# Needs ~2 GB in $TMPDIR for the default size.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=""
size=500
runs=3
keep=0
die() {
  echo "catalog.sh: $*" >&2
  exit 2
}
while (($#)); do
  case $1 in
    --build) build=${2:?--build needs a value}; shift 2 ;;
    --size) size=${2:?--size needs a value}; shift 2 ;;
    --runs) runs=${2:?--runs needs a value}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1'" ;;
  esac
done

data=${FERRY_FBC_DATA:-$(cd "$root/.." && pwd)/shared/fbc-data}
if [[ ! -d $data/certified-operators-v4.16 || ! -d $data/community-operators-v4.17 ]]; then
  echo "catalog.sh: no FBC data in '$data' (set FERRY_FBC_DATA); skipping the catalog benchmark"
  exit 0
fi

if [[ -z $build ]]; then
  for candidate in "$root/build-main" "$root/build"; do
    if [[ -x $candidate/bin/ferry-catalog-bench || -f $candidate/CMakeCache.txt ]]; then build=$candidate; break; fi
  done
  [[ -n $build ]] || build=$root/build
fi
bench=$build/bin/ferry-catalog-bench
if [[ ! -x $bench ]]; then
  if [[ ! -f $build/CMakeCache.txt ]]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  cmake --build "$build" --target ferry-catalog-bench >/dev/null
fi
[[ -x $bench ]] || die "no $bench after building"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-catalog.XXXXXX")
cleanup() {
  local status=$?
  if ((keep)); then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
  exit "$status"
}
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

log "converting certified-operators-v4.16 and community-operators-v4.17 to JSON"
"$bench" convert "$data/certified-operators-v4.16" "$tmp/certified-json"
"$bench" convert "$data/community-operators-v4.17" "$tmp/community-json"
log "assembling a ${size} MB catalog"
"$bench" assemble "$tmp/large-json" "$size" "$tmp/certified-json" "$tmp/community-json"

field() { # result-line key
  local value=${1#* "$2"=}
  echo "${value%% *}"
}
declare -A best bestTotal
keepFastest() { # name result-line
  local total
  total=$(field "$2" total_s)
  if [[ -z ${bestTotal[$1]:-} ]] || awk -v a="$total" -v b="${bestTotal[$1]}" 'BEGIN { exit !(a < b) }'; then
    best[$1]=$2
    bestTotal[$1]=$total
  fi
}

for name in certified-json large-json; do
  for ((run = 1; run <= runs; run++)); do
    sync
    log "run $run/$runs on $name (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
    output=$("$bench" run "$tmp/$name" "$tmp/out-$name")
    echo "$output"
    keepFastest "$name" "$(grep '^RESULT ' <<<"$output")"
  done
done

echo
echo "Fastest of $runs runs, commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown):"
echo
echo "| catalog | size | files | bundles | load | validate | filter | write | total | MB/s | peak RSS | RSS / size |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for name in certified-json large-json; do
  line=${best[$name]}
  printf '| %s | %s MB | %s | %s | %s s | %s s | %s s | %s s | **%s s** | %s | %s MB | %s× |\n' "$name" \
    "$(field "$line" size_mb)" "$(field "$line" files)" "$(field "$line" bundles)" "$(field "$line" load_s)" \
    "$(field "$line" validate_s)" "$(field "$line" filter_s)" "$(field "$line" write_s)" "$(field "$line" total_s)" \
    "$(field "$line" mb_per_s)" "$(field "$line" peak_rss_mb)" "$(field "$line" rss_ratio)"
done
