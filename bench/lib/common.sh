# shellcheck shell=bash
# Helpers shared by the benchmarks that compare ferry with skopeo. Source this file; it defines functions only.
#
#   bench_private_ferry TMP     copy $ferry into TMP/bin and point $ferry at the copy, so that a rebuild
#                               during the benchmark cannot change what is measured; sets $ferry_origin
#                               (the binary given) and $ferry_id (its sha256 prefix and build time)
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
