# shellcheck shell=bash
# Helpers shared by the benchmarks that compare ferry with skopeo. Source this file; it defines functions only.
#
#   bench_private_ferry TMP     copy $ferry into TMP/bin and point $ferry at the copy, so that a rebuild
#                               during the benchmark cannot change what is measured; sets $ferry_origin
#                               (the binary given) and $ferry_id (its sha256 prefix and build time)
#   bench_find_binaries ROOT    $ferry: the one given (--ferry), else ROOT/build-main/bin/ferry, else
#                               ROOT/build/bin/ferry, as an absolute path; $testdata: the one given
#                               (--testdata), else ferry-testdata next to ferry; exits 2 saying what to
#                               build when either is missing
#   bench_scale_testdata_args   $testdata_args: ferry-testdata's arguments for FERRY_BENCH_SCALE=full
#                               (default) or small; exits 2 for any other value
#   bench_finish STATUS TMP REGISTRY_DIR...
#                               the EXIT trap's work: stop the registries, remove TMP unless $keep
#                               is 1 (then say where it is), exit with STATUS

bench_private_ferry() {
  local tmp=$1
  mkdir -p "$tmp/bin"
  cp "$ferry" "$tmp/bin/ferry"
  # shellcheck disable=SC2034  # read by the calling script
  ferry_origin=$ferry
  # shellcheck disable=SC2034
  ferry_id="$(sha256sum "$tmp/bin/ferry" | cut -c1-12), built $(date -r "$ferry" '+%Y-%m-%d %H:%M:%S')"
  ferry=$tmp/bin/ferry
}

bench_find_binaries() {
  local root=$1 candidate
  if [[ -z ${ferry:-} ]]; then
    for candidate in "$root/build-main/bin/ferry" "$root/build/bin/ferry"; do
      if [[ -x $candidate ]]; then ferry=$candidate; break; fi
    done
  fi
  if [[ -z ${ferry:-} || ! -x $ferry ]]; then
    echo "$(basename "$0"): no ferry binary; build it (cmake --build build --target ferry ferry-testdata, or ./scripts/setup.sh) or pass --ferry" >&2
    exit 2
  fi
  ferry=$(cd "$(dirname "$ferry")" && pwd)/$(basename "$ferry")
  [[ -n ${testdata:-} ]] || testdata=$(dirname "$ferry")/ferry-testdata
  if [[ ! -x $testdata ]]; then
    echo "$(basename "$0"): no ferry-testdata at '$testdata'; pass --testdata" >&2
    exit 2
  fi
}

bench_scale_testdata_args() {
  case ${FERRY_BENCH_SCALE:-full} in
    full) testdata_args=() ;;
    small) testdata_args=(--repos 4 --base-size-mib 4 --repo-layer-size-mib 2 --layer-min-mib 1 --layer-max-mib 2) ;;
    *)
      echo "$(basename "$0"): FERRY_BENCH_SCALE must be 'full' or 'small', not '${FERRY_BENCH_SCALE}'" >&2
      exit 2
      ;;
  esac
}

bench_finish() {
  local status=$1 tmp=$2 registry
  shift 2
  for registry in "$@"; do registry_stop "$registry" || true; done
  # shellcheck disable=SC2154  # $keep is the calling script's --keep flag
  if ((keep)); then
    echo "kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$status"
}
