#!/usr/bin/env bash
# Benchmark: one `ferry mirror` split over N worker processes (`--shard I/N`, then `--finalize` if no
# worker finalized the run) into one registry, for N = 1, 2, 4, against the unsharded run on the same
# set in the same session. Each worker is its own process, so it has its own connection pool.
#
# Usage: bench/shard.sh [--runs N] [--ferry PATH] [--testdata PATH] [--keep]
# Environment:
#   FERRY_BENCH_SCALE=full (default, ~1 GB: 40 images in 10 repositories) | small (~90 MB)
#   COUNTS="1 2 4"   the worker counts to measure
#   PARALLEL=8       --parallel of each worker
#   MODE=m2m         m2m (default: into one registry) | m2d (into one archive folder, each worker writing
#                    parts of its own; no finalize step)
# Reports per N (m2m): seconds (workers, then the finalize step), MB/s of unique blob bytes, requests on the
# destination per unique blob, blobs uploaded more than once (must be 0), and whether any manifest PUT
# came before the last blob upload or mount (must be "no": no index or tag before its children).
# Reports per N (m2d): seconds, MB/s of unique blob bytes, and the folder's bytes against the unsharded
# archive's (each blob is carried by one shard, the manifests by all).
# Needs: docker-registry, curl, jq, awk (./scripts/setup.sh installs them).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=lib/registry.sh
source "$here/lib/registry.sh"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"

runs=1 ferry="" testdata="" keep=0
scale=${FERRY_BENCH_SCALE:-full}
counts=${COUNTS:-1 2 4}
parallel=${PARALLEL:-8}
mode=${MODE:-m2m}
[[ $mode == m2m || $mode == m2d ]] || { echo "shard.sh: MODE must be m2m or m2d, not '$mode'" >&2; exit 2; }
die() { echo "shard.sh: $*" >&2; exit 2; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
while (($#)); do
  case $1 in
    --runs) runs=${2:?}; shift 2 ;;
    --ferry) ferry=${2:?}; shift 2 ;;
    --testdata) testdata=${2:?}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
bench_scale_testdata_args
bench_find_binaries "$root"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-shard.XXXXXX")
regA=$tmp/registry-a regD=$tmp/registry-dest
trap 'bench_finish $? "$tmp" "$regA" "$regD"' EXIT
bench_private_ferry "$tmp"

log "generating the bench set ($scale)"
"$testdata" bench "$tmp/layouts" "${testdata_args[@]}" >"$tmp/images.txt" 2>"$tmp/testdata.log" ||
  { cat "$tmp/testdata.log" >&2; die "ferry-testdata failed"; }
registry_start "$regA"
registry_start "$regD"
A=$(registry_addr "$regA") D=$(registry_addr "$regD")
while IFS= read -r line; do
  [[ -n $line ]] || continue
  dir=${line%:*}
  echo "oci:$dir:${line##*:}=docker://$A/bench/$(basename "$dir"):${line##*:}"
done <"$tmp/images.txt" >"$tmp/push-mapping.txt"
"$ferry" copy -q -f "$tmp/push-mapping.txt" --dest-use-http || die "pushing the set into A failed"
{
  echo "apiVersion: mirror.openshift.io/v2alpha1"
  echo "kind: ImageSetConfiguration"
  echo "mirror:"
  echo "  additionalImages:"
  awk -F'=docker://' '{ print "    - name: " $2 }' "$tmp/push-mapping.txt"
} >"$tmp/isc.yaml"
unique_bytes=$(find "$tmp/layouts" -path '*/blobs/sha256/*' -type f -printf '%f %s\n' | sort -u | awk '{ s += $2 } END { print s }')
unique_blobs=$(find "$tmp/layouts" -path '*/blobs/sha256/*' -type f -printf '%f\n' | sort -u | wc -l)
log "set: $(wc -l <"$tmp/push-mapping.txt") images, $unique_blobs unique blobs and manifests, $unique_bytes bytes"

now() { echo "$EPOCHREALTIME"; }
mirror_args() { echo "-c $tmp/isc.yaml docker://$D/mirror --src-tls-verify=false --dest-tls-verify=false --parallel $parallel -q"; }

# Checks D's access log: requests, duplicated uploads, and manifests before blobs.
analyse() { # MARK -> "requests dup_uploads manifest_before_blob"
  tail -c +"$(($1 + 1))" "$regD/registry.log" | grep -E "$REGISTRY_ACCESS_RE" | awk '
    { method = substr($6, 2); path = $7; status = $9; n++
      if (method == "PUT" && path ~ /\/blobs\/uploads\// && status == 201) {
        d = path; sub(/.*digest=/, "", d); sub(/&.*/, "", d); up[d]++; lastBlob = n }
      if (method == "POST" && path ~ /mount=/ && status == 201) lastBlob = n
      if (method == "PUT" && path ~ /\/manifests\// && firstManifest == 0) firstManifest = n }
    END { dup = 0; for (d in up) if (up[d] > 1) dup++
          print n, dup, (firstManifest > 0 && firstManifest < lastBlob) ? "yes" : "no" }'
}

if [[ $mode == m2d ]]; then
  printf '| workers | run | seconds | MB/s | folder bytes / unsharded archive |\n|---|---|---|---|---|\n' >"$tmp/results.md"
  for ((run = 1; run <= runs; run++)); do
    for n in unsharded $counts; do
      rm -rf "$tmp/archive"
      t0=$(now)
      if [[ $n == unsharded ]]; then
        "$ferry" mirror -c "$tmp/isc.yaml" "file://$tmp/archive" --src-tls-verify=false --parallel "$parallel" -q ||
          die "the unsharded run failed"
      else
        pids=()
        for ((i = 0; i < n; i++)); do
          "$ferry" mirror -c "$tmp/isc.yaml" "file://$tmp/archive" --src-tls-verify=false --parallel "$parallel" -q \
            --shard "$i/$n" 2>"$tmp/shard-$i.err" &
          pids+=($!)
        done
        for pid in "${pids[@]}"; do wait "$pid" || die "a worker failed (see $tmp/shard-*.err)"; done
      fi
      t1=$(now)
      bytes=$(find "$tmp/archive" -maxdepth 1 -name 'mirror_*.tar' -printf '%s\n' | awk '{ s += $1 } END { print s }')
      [[ $n == unsharded ]] && whole=$bytes
      awk -v n="$n" -v r="$run" -v t0="$t0" -v t1="$t1" -v b="$unique_bytes" -v bytes="$bytes" -v whole="$whole" \
        'BEGIN { printf "| %s | %d | %.2f | %.0f | %.4f |\n", n, r, t1 - t0, b / (t1 - t0) / 1e6, bytes / whole }' \
        >>"$tmp/results.md"
      tail -n 1 "$tmp/results.md" >&2
    done
  done
  echo
  echo "ferry $ferry_id; MODE=m2d; load1 at end $(cut -d' ' -f1 /proc/loadavg); $(nproc) cores"
  cat "$tmp/results.md"
  exit 0
fi

printf '| workers | run | workers s | finalize s | total s | MB/s | dest requests / unique blob | blobs uploaded twice | manifest before a blob |\n|---|---|---|---|---|---|---|---|---|\n' >"$tmp/results.md"
for ((run = 1; run <= runs; run++)); do
  for n in unsharded $counts; do
    registry_restart_wiped "$regD"
    mark=$(registry_log_mark "$regD")
    rm -rf "$tmp"/ws-*
    t0=$(now)
    if [[ $n == unsharded ]]; then
      # shellcheck disable=SC2046
      "$ferry" mirror --workspace "file://$tmp/ws-one" $(mirror_args) || die "the unsharded run failed"
      t1=$(now)
    else
      pids=()
      for ((i = 0; i < n; i++)); do
        # shellcheck disable=SC2046
        "$ferry" mirror --workspace "file://$tmp/ws-$i" $(mirror_args) --shard "$i/$n" 2>"$tmp/shard-$i.err" &
        pids+=($!)
      done
      for pid in "${pids[@]}"; do wait "$pid" || die "a worker failed (see $tmp/shard-*.err)"; done
      t1=$(now)
      # shellcheck disable=SC2046
      "$ferry" mirror --workspace "file://$tmp/ws-final" $(mirror_args) --finalize || die "--finalize failed"
    fi
    t2=$(now)
    read -r requests dup early < <(analyse "$mark")
    awk -v n="$n" -v r="$run" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v b="$unique_bytes" -v q="$requests" \
      -v u="$unique_blobs" -v dup="$dup" -v early="$early" 'BEGIN {
        printf "| %s | %d | %.2f | %.2f | %.2f | %.0f | %.2f | %d | %s |\n", n, r, t1 - t0, t2 - t1, t2 - t0,
          b / (t2 - t0) / 1e6, q / u, dup, early }' >>"$tmp/results.md"
    tail -n 1 "$tmp/results.md" >&2
  done
done
echo
echo "ferry $ferry_id; load1 at end $(cut -d' ' -f1 /proc/loadavg); $(nproc) cores"
cat "$tmp/results.md"
