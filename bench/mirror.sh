#!/usr/bin/env bash
# Benchmark: `ferry mirror` (mirror-to-mirror, mirror-to-disk, disk-to-mirror, no-op re-run)
# against skopeo and a raw-upload ceiling, on one generated image set (ferry-testdata bench:
# 40 images in 10 repositories, half multi-arch with 4 platforms, ~1 GB of unique blobs),
# with local plain-HTTP docker-registry instances.
#
# Usage: bench/mirror.sh [--runs N] [--ferry PATH] [--testdata PATH] [--keep]
#
#   --runs N          how many times the measured steps run, in order (default 1); medians are shown
#   --ferry PATH      the ferry binary (default build-main/bin/ferry, then build/bin/ferry; if neither
#                     exists, build/ is configured and `ferry` and `ferry-testdata` are built there)
#   --testdata PATH   the ferry-testdata binary (default: next to ferry)
#   --keep            keep the temporary directory (layouts, registries, archives, logs, results)
# Environment:
#   FERRY_BENCH_SCALE=full (default, ~1 GB) | small (~90 MB, for a quick check of the script)
#                     | large (one image of 16 x 60 MiB layers) | huge (one image with one 3 GiB layer):
#                     the large-layer sets, where peak RSS and bytes written show what streaming saves
#   QUIET_WAIT=S      seconds to wait at most for an idle machine before each step (default 60)
#   PARALLEL=N        jobs for the raw-upload ceiling (default 8)
#   STEPS="m2d copy-shared"  run only these steps (default: all; d2m needs m2d; noop runs with m2m)
#
# Setup (not measured): generate the set, push it into registry A with `ferry copy -f`, write an
# ImageSetConfiguration (v2alpha1) whose additionalImages name every image on A by tag.
# Steps (measured), each into a fresh destination (registry wiped and restarted, or empty folder):
#   m2m         ferry mirror -c isc.yaml --workspace file://WS docker://B/mirror
#   noop        the same command again (B complete); requests on A and B counted from the access logs
#   sync        skopeo sync --all --preserve-digests --src yaml --dest docker  A -> B
#   raw         curl, PARALLEL at once: POST + monolithic PUT per unique blob, a mount POST per other
#               (repository, blob) pair, then every manifest PUT: the request floor for this registry
#   m2d         ferry mirror -c isc.yaml file://DIR
#   copy-shared skopeo copy --all per image into oci:DIR/<repo>:<tag> with --dest-shared-blob-dir
#   sync-dir    skopeo sync --all --preserve-digests --src yaml --dest dir  A -> DIR
#   d2m         ferry mirror --from file://DIR(of m2d) docker://C/mirror
# Checks: every tag at B (m2m), C (d2m) and B' (skopeo sync) must have A's manifest digest.
# Needs: docker-registry, skopeo, curl, jq, sha256sum, awk (./scripts/setup.sh installs them).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=lib/registry.sh
source "$here/lib/registry.sh"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"

runs=1
ferry=""
testdata=""
keep=0
scale=${FERRY_BENCH_SCALE:-full}
parallel=${PARALLEL:-8}
quiet_wait=${QUIET_WAIT:-60}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() {
  echo "mirror.sh: $*" >&2
  exit 2
}
while (($#)); do
  case $1 in
    --runs) runs=${2:?--runs needs a value}; shift 2 ;;
    --runs=*) runs=${1#*=}; shift ;;
    --ferry) ferry=${2:?--ferry needs a value}; shift 2 ;;
    --ferry=*) ferry=${1#*=}; shift ;;
    --testdata) testdata=${2:?--testdata needs a value}; shift 2 ;;
    --testdata=*) testdata=${1#*=}; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs needs a positive whole number"
[[ $parallel =~ ^[1-9][0-9]*$ ]] || die "PARALLEL needs a positive whole number"
case $scale in
  full) testdata_args=() ;;
  small)
    testdata_args=(--repos 4 --base-size-mib 4 --repo-layer-size-mib 2 --layer-min-mib 1 --layer-max-mib 2) ;;
  large)
    testdata_args=(--repos 1 --images-per-repo 1 --base-layers 0 --layers 16 --layer-min-mib 60 --layer-max-mib 60
      --repo-layer-size-mib 1) ;;
  huge)
    testdata_args=(--repos 1 --images-per-repo 1 --base-layers 0 --layers 1 --layer-min-mib 3072 --layer-max-mib 3072
      --repo-layer-size-mib 1) ;;
  *) die "FERRY_BENCH_SCALE must be 'full', 'small', 'large' or 'huge', not '$scale'" ;;
esac

for tool in "$REGISTRY_BIN" skopeo curl jq sha256sum awk sort xargs; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (install it with ./scripts/setup.sh)"
done

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [[ -z $ferry ]]; then
  for candidate in "$root/build-main/bin/ferry" "$root/build/bin/ferry"; do
    if [[ -x $candidate ]]; then ferry=$candidate; break; fi
  done
  if [[ -z $ferry ]]; then
    command -v cmake >/dev/null 2>&1 || die "no ferry binary and no cmake; run ./scripts/setup.sh or pass --ferry"
    log "no ferry binary found: building ferry and ferry-testdata in $root/build"
    generator=()
    if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
    cmake -S "$root" -B "$root/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$root/build" -j"$(nproc)" --target ferry ferry-testdata
    ferry=$root/build/bin/ferry
  fi
fi
[[ -x $ferry ]] || die "ferry binary '$ferry' is not executable"
ferry=$(cd "$(dirname "$ferry")" && pwd)/$(basename "$ferry")
[[ -n $testdata ]] || testdata=$(dirname "$ferry")/ferry-testdata
[[ -x $testdata ]] || die "no ferry-testdata at '$testdata'; pass --testdata"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-mirror.XXXXXX")
regA=$tmp/registry-a
regD=$tmp/registry-dest # B, B', the raw target and C in turn: wiped and restarted before each step
cleanup() { bench_finish $? "$tmp" "$regA" "$regD"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_private_ferry "$tmp"

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
clk_tck=$(getconf CLK_TCK)
ncpu=$(nproc)
machine_busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }
# Waits (at most quiet_wait seconds) until the machine is at least 85 % idle.
wait_quiet() {
  local waited=0 b0 b1 idle_pct
  while :; do
    b0=$(machine_busy_ticks)
    sleep 1
    b1=$(machine_busy_ticks)
    idle_pct=$(awk -v d=$((b1 - b0)) -v hz="$clk_tck" -v n="$ncpu" 'BEGIN { printf "%d", 100 - 100 * d / (hz * n) }')
    if ((idle_pct >= 85)); then return 0; fi
    waited=$((waited + 1))
    if ((waited >= quiet_wait)); then
      log "machine still busy (${idle_pct}% idle) after ${quiet_wait} s; running anyway"
      return 0
    fi
    if ((waited == 1)); then log "waiting for the machine to be idle (now ${idle_pct}% idle)"; fi
  done
}

# ---------------------------------------------------------------- the image set
log "generating the bench set ($scale) with $testdata"
layouts=$tmp/layouts
"$testdata" bench "$layouts" "${testdata_args[@]}" >"$tmp/images.txt" 2>"$tmp/testdata.log" ||
  { cat "$tmp/testdata.log" >&2; die "ferry-testdata failed"; }
log "ferry-testdata: $(tail -n 1 "$tmp/testdata.log")"

# images.tsv: "repo tag layout-dir"
while IFS= read -r line; do
  [[ -n $line ]] || continue
  dir=${line%:*}
  printf '%s %s %s\n' "$(basename "$dir")" "${line##*:}" "$dir"
done <"$tmp/images.txt" >"$tmp/images.tsv"
image_count=$(wc -l <"$tmp/images.tsv")
((image_count > 0)) || die "ferry-testdata printed no images"

# objects.tsv: "repo kind digest size mediaType" for every manifest and blob reachable from a tag.
walk_manifest() { # layout repo digest
  local layout=$1 repo=$2 digest=$3 file media child
  file=$layout/blobs/${digest/://}
  media=$(jq -r '.mediaType // ""' "$file")
  printf '%s manifest %s %s %s\n' "$repo" "$digest" "$(stat -c %s "$file")" "$media"
  case $media in
    *index* | *manifest.list*)
      for child in $(jq -r '.manifests[].digest' "$file"); do walk_manifest "$layout" "$repo" "$child"; done
      ;;
    *)
      jq -r --arg repo "$repo" '[.config] + (.layers // []) | .[] | "\($repo) blob \(.digest) \(.size) \(.mediaType)"' "$file"
      ;;
  esac
}
: >"$tmp/layout-digests.txt"
while read -r repo tag layout; do
  top=$(jq -r --arg tag "$tag" \
    '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $tag)][0].digest // empty' \
    "$layout/index.json")
  [[ -n $top ]] || die "tag $tag not found in $layout/index.json"
  echo "$repo $tag $top" >>"$tmp/layout-digests.txt"
  walk_manifest "$layout" "$repo" "$top"
done <"$tmp/images.tsv" | sort -u >"$tmp/objects.tsv"

repo_count=$(awk '{ print $1 }' "$tmp/images.tsv" | sort -u | wc -l)
manifest_count=$(awk '$2 == "manifest" { print $1, $3 }' "$tmp/objects.tsv" | sort -u | wc -l)
manifest_bytes=$(awk '$2 == "manifest" && !seen[$3]++ { s += $4 } END { printf "%.0f\n", s }' "$tmp/objects.tsv")
pair_count=$(awk '$2 == "blob" { print $1, $3 }' "$tmp/objects.tsv" | sort -u | wc -l)
read -r unique_blobs unique_bytes < <(awk '$2 == "blob" && !seen[$3]++ { n++; s += $4 } END { printf "%d %.0f\n", n, s }' "$tmp/objects.tsv")
log "set: $image_count images in $repo_count repositories, $manifest_count manifests ($manifest_bytes bytes)," \
  "$unique_blobs unique blobs = $unique_bytes bytes, $pair_count (repository, blob) pairs"

# ---------------------------------------------------------------- registry A and the configuration
registry_start "$regA"
registry_start "$regD"
A=$(registry_addr "$regA")
D=$(registry_addr "$regD")
log "A = $A (source); destination registry = $D (wiped and restarted before each step)"

while read -r repo tag layout; do
  echo "oci:$layout:$tag=docker://$A/bench/$repo:$tag"
done <"$tmp/images.tsv" >"$tmp/push-mapping.txt"
log "setup: pushing the set into A (ferry copy -f)"
"$ferry" copy -q -f "$tmp/push-mapping.txt" --dest-use-http || die "pushing the set into A failed"

# Manifest digests by tag, through the registry API (Accept: every manifest type).
manifest_accept="Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json,\
 application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"
manifest_digest() { # host/repo:tag -> sha256:... (or "missing")
  local ref=$1 host repo tag
  host=${ref%%/*}
  repo=${ref#*/}
  tag=${repo##*:}
  repo=${repo%:*}
  curl -sf -H "$manifest_accept" "http://$host/v2/$repo/manifests/$tag" | sha256sum |
    awk '{ print ($1 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") ? "missing" : "sha256:" $1 }'
}
while read -r repo tag top; do
  got=$(manifest_digest "$A/bench/$repo:$tag")
  [[ $got == "$top" ]] || die "A has $got for $repo:$tag, the layout has $top"
done <"$tmp/layout-digests.txt"
log "A holds all $image_count tags with the layouts' digests"

{
  echo "# Every image of the bench set on registry A, by tag (written by bench/mirror.sh)."
  echo "apiVersion: mirror.openshift.io/v2alpha1"
  echo "kind: ImageSetConfiguration"
  echo "mirror:"
  echo "  additionalImages:"
  while read -r repo tag _; do echo "    - name: $A/bench/$repo:$tag"; done <"$tmp/images.tsv"
} >"$tmp/isc.yaml"

{
  echo "$A:"
  echo "  tls-verify: false"
  echo "  images:"
  awk '{ tags[$1] = tags[$1] (tags[$1] == "" ? "" : ", ") "\"" $2 "\"" } END { for (r in tags) print "    bench/" r ": [" tags[r] "]" }' \
    "$tmp/images.tsv" | sort
} >"$tmp/sync.yaml"

# ---------------------------------------------------------------- raw ceiling inputs
# raw-blobs.txt: "repo digest file" for the first repository holding each unique blob;
# raw-mounts.txt: "repo digest from-repo" for every other (repository, blob) pair;
# raw-manifests.txt / raw-tops.txt: "repo reference mediaType file", children first, then tags.
awk '$2 == "blob" { if (!($3 in first)) { first[$3] = $1; print $1, $3, "" } else if (!seen[$1 " " $3]++) print $1, $3, first[$3] }' \
  "$tmp/objects.tsv" >"$tmp/raw-pairs.txt"
awk -v l="$layouts" 'NF == 2 { split($2, d, ":"); print $1, $2, l "/" $1 "/blobs/" d[1] "/" d[2] }' "$tmp/raw-pairs.txt" >"$tmp/raw-blobs.txt"
awk 'NF == 3 { print $1, $2, $3 }' "$tmp/raw-pairs.txt" | sort -u >"$tmp/raw-mounts.txt"
awk '{ print $1 " " $3 }' "$tmp/layout-digests.txt" | sort -u >"$tmp/tops.txt"
awk -v l="$layouts" 'NR == FNR { top[$0] = 1; next }
  $2 == "manifest" && !(($1 " " $3) in top) { split($3, d, ":"); print $1, $3, $5, l "/" $1 "/blobs/" d[1] "/" d[2] }' \
  "$tmp/tops.txt" "$tmp/objects.tsv" | sort -u >"$tmp/raw-manifests.txt"
while read -r repo tag top; do
  media=$(awk -v r="$repo" -v d="$top" '$1 == r && $3 == d && $2 == "manifest" { print $5; exit }' "$tmp/objects.tsv")
  echo "$repo $tag $media $layouts/$repo/blobs/${top/://}"
done <"$tmp/layout-digests.txt" >"$tmp/raw-tops.txt"

# Each phase is one curl process with --parallel (keep-alive connections, $parallel transfers at
# once), so that the ceiling is not the cost of starting a process per request.
curl_all() { # CONFIG [CURL-OPTION...]: every transfer in CONFIG; fails unless each answers 201
  local config=$1 out
  shift
  out=$(curl -s -Z --parallel-max "$parallel" -H 'Expect:' "$@" -w '%{http_code} %{url}\n' --config "$config") || true
  if [[ $(awk '$1 != 201' <<<"$out" | wc -l) -ne 0 || $(grep -c . <<<"$out") -ne $(grep -c '^url' "$config") ]]; then
    echo "raw: some requests of $config failed:" >&2
    awk '$1 != 201' <<<"$out" | head -n 3 >&2
    return 1
  fi
  printf '%s\n' "$out"
}
raw_upload() { # host
  local host=$1 media
  # 1. POST per unique blob; the URL carries the digest (an unknown parameter the registry ignores),
  #    so that each upload location can be matched to its blob.
  awk -v h="$host" '{ print "url = \"http://" h "/v2/raw/" $1 "/blobs/uploads/?for=" $2 "\"\nrequest = \"POST\"\noutput = \"/dev/null\"" }' \
    "$tmp/raw-blobs.txt" >"$tmp/raw-post.curl"
  curl -s -Z --parallel-max "$parallel" -w '%{http_code} %{url} %header{location}\n' --config "$tmp/raw-post.curl" \
    >"$tmp/raw-post.out" || true
  [[ $(awk '$1 == 202' "$tmp/raw-post.out" | wc -l) -eq $(wc -l <"$tmp/raw-blobs.txt") ]] ||
    { echo "raw: upload POSTs failed" >&2; head -n 3 "$tmp/raw-post.out" >&2; return 1; }
  # 2. one monolithic PUT per blob, the file as the body
  awk -v h="$host" 'NR == FNR { split($2, q, "for="); loc[q[2]] = $3; next }
    { l = loc[$2]; if (l ~ /^\//) l = "http://" h l
      print "url = \"" l (l ~ /\?/ ? "&" : "?") "digest=" $2 "\"\nupload-file = \"" $3 "\"\noutput = \"/dev/null\"" }' \
    "$tmp/raw-post.out" "$tmp/raw-blobs.txt" >"$tmp/raw-put.curl"
  curl_all "$tmp/raw-put.curl" -H 'Content-Type: application/octet-stream' >/dev/null || return 1
  # 3. a cross-repository mount per other (repository, blob) pair
  if [[ -s $tmp/raw-mounts.txt ]]; then
    awk -v h="$host" '{ print "url = \"http://" h "/v2/raw/" $1 "/blobs/uploads/?mount=" $2 "&from=raw/" $3 "\"\nrequest = \"POST\"\noutput = \"/dev/null\"" }' \
      "$tmp/raw-mounts.txt" >"$tmp/raw-mount.curl"
    curl_all "$tmp/raw-mount.curl" >/dev/null || return 1
  fi
  # 4. manifests: children by digest, then the tagged ones; one curl per media type
  local list
  for list in raw-manifests.txt raw-tops.txt; do
    for media in $(awk '{ print $3 }' "$tmp/$list" | sort -u); do
      awk -v h="$host" -v m="$media" '$3 == m { print "url = \"http://" h "/v2/raw/" $1 "/manifests/" $2 "\"\nupload-file = \"" $4 "\"\noutput = \"/dev/null\"" }' \
        "$tmp/$list" >"$tmp/raw-manifest.curl"
      curl_all "$tmp/raw-manifest.curl" -H "Content-Type: $media" >/dev/null || return 1
    done
  done
}

# ---------------------------------------------------------------- skopeo with an empty blob-info cache
skopeo_cache_mode=shared
if (($(id -u) == 0)); then
  mkdir -p /var/lib/containers/cache 2>/dev/null || true
  probe=$(mktemp -d "$tmp/probe.XXXXXX")
  if [[ -d /var/lib/containers/cache ]] && command -v unshare >/dev/null 2>&1 &&
    unshare -m --propagation private sh -c 'mount --bind "$1" /var/lib/containers/cache' sh "$probe" 2>/dev/null; then
    skopeo_cache_mode=unshare
  fi
  rmdir "$probe"
else
  skopeo_cache_mode=xdg
fi
[[ $skopeo_cache_mode != shared ]] ||
  echo "mirror.sh: WARNING: cannot isolate skopeo's blob-info cache; skopeo runs share /var/lib/containers/cache" >&2
with_fresh_skopeo_cache() { # COMMAND... (a bash script and its arguments)
  local cache
  cache=$(mktemp -d "$tmp/skopeo-cache.XXXXXX")
  case $skopeo_cache_mode in
    unshare)
      unshare -m --propagation private bash -c \
        'mount --bind "$1" /var/lib/containers/cache && shift && exec bash "$@"' bash "$cache" "$@" ;;
    xdg) XDG_DATA_HOME=$cache bash "$@" ;;
    *) bash "$@" ;;
  esac
}
cat >"$tmp/skopeo-copy-shared.sh" <<'LOOP'
# args: A images.tsv DIR
set -eu
while read -r repo tag _; do
  /usr/bin/time -a -o "$FERRY_BENCH_RUSAGE" -f '%M %O' skopeo copy -q --all --src-tls-verify=false --dest-shared-blob-dir "$3/blobs" \
    "docker://$1/bench/$repo:$tag" "oci:$3/$repo:$tag"
done <"$2"
LOOP
cat >"$tmp/skopeo-sync.sh" <<'SYNC'
# args: sync.yaml docker|dir DESTINATION
set -eu
if [ "$2" = docker ]; then
  exec /usr/bin/time -a -o "$FERRY_BENCH_RUSAGE" -f '%M %O' skopeo sync --all --preserve-digests --src yaml --dest docker --dest-tls-verify=false "$1" "$3"
fi
exec /usr/bin/time -a -o "$FERRY_BENCH_RUSAGE" -f '%M %O' skopeo sync --all --preserve-digests --src yaml --dest dir "$1" "$3"
SYNC

# ---------------------------------------------------------------- measuring
# Peak RSS and bytes written of each measured ferry/skopeo process (not bash): GNU time appends
# "%M %O" (max RSS KiB, ru_oublock in 512-byte blocks: the same task I/O accounting as
# /proc/PID/io write_bytes) to $FERRY_BENCH_RUSAGE; a step reports the max RSS and the sum of writes.
export FERRY_BENCH_RUSAGE=$tmp/rusage.out
measured() { /usr/bin/time -a -o "$FERRY_BENCH_RUSAGE" -f '%M %O' "$@"; }
rusage_summary() { # -> "peak-MiB written-MiB" or "- -"
  awk '{ if ($1 > m) m = $1; w += $2; n++ } END { if (!n) print "- -"; else printf "%.0f %.1f\n", m / 1024, w * 512 / 1048576 }' \
    "$FERRY_BENCH_RUSAGE" 2>/dev/null || echo "- -"
}
# results.tsv: run step seconds status check load1 cpu-client cpu-A cpu-dest cpu-other
results=$tmp/results.tsv
: >"$results"
clean_output() { rm -rf "$tmp/out" "$tmp/ws" && mkdir -p "$tmp/out"; }
fresh_dest() {
  registry_restart_wiped "$regD"
  sync
}
# count_requests DIR MARK -> "blob-requests manifest-requests other-requests total", ferry's requests
# only (the user agent), so that the check's own manifest GETs are not counted
count_requests() {
  tail -c +"$(($2 + 1))" "$1/registry.log" | grep -E "$REGISTRY_ACCESS_RE" | grep '"ferry/[^"]*"$' | awk '
    { path = $7; if (path ~ /\/blobs\//) b++; else if (path ~ /\/manifests\//) m++; else o++ }
    END { printf "%d %d %d %d\n", b, m, o, b + m + o }'
}
# verify_tags PREFIX -> OK or FAIL:n (every tag at PREFIX/bench/<repo>:<tag> has A's digest)
verify_tags() {
  local prefix=$1 bad=0 repo tag want got
  while read -r repo tag want; do
    got=$(manifest_digest "$prefix/$repo:$tag")
    if [[ $got != "$want" ]]; then
      bad=$((bad + 1))
      ((bad > 3)) || echo "  $prefix/$repo:$tag is $got, A has $want" >&2
    fi
  done <"$tmp/layout-digests.txt"
  if ((bad == 0)); then echo OK; else echo "FAIL:$bad/$image_count"; fi
}

# run_step RUN NAME CHECK-COMMAND -- COMMAND...
run_step() {
  local run=$1 name=$2 checker=$3
  shift 4
  wait_quiet
  local load cpuA0 cpuD0 busy0 busy1 t0 t1 status=0 seconds cpuA cpuD clientcpu other check
  load=$(loadavg)
  cpuA0=$(registry_cpu_ticks "$regA")
  cpuD0=$(registry_cpu_ticks "$regD")
  : >"$FERRY_BENCH_RUSAGE"
  busy0=$(machine_busy_ticks)
  t0=$(now)
  (
    status=0
    "$@" || status=$?
    times >"$tmp/times.out"
    exit "$status"
  ) >"$tmp/$name-$run.out" 2>&1 || status=$?
  t1=$(now)
  busy1=$(machine_busy_ticks)
  seconds=$(elapsed "$t0" "$t1")
  sleep 0.3 # let the access logs catch up
  cpuA=$(($(registry_cpu_ticks "$regA") - cpuA0))
  cpuD=$(($(registry_cpu_ticks "$regD") - cpuD0))
  clientcpu=$(sed -n 2p "$tmp/times.out" | awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); s += p[1] * 60 + p[2] } printf "%.1f", s }')
  other=$(awk -v d=$((busy1 - busy0)) -v hz="$clk_tck" -v c="$clientcpu" -v a="$cpuA" -v b="$cpuD" \
    'BEGIN { o = (d - a - b) / hz - c; printf "%.1f", o < 0 ? 0 : o }')
  if ((status != 0)); then
    echo "mirror.sh: $name (run $run) exited with status $status; last output:" >&2
    tail -n 5 "$tmp/$name-$run.out" >&2
  fi
  check=$($checker)
  local rss written
  read -r rss written < <(rusage_summary)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$name" "$seconds" "$status" "$check" "$load" \
    "$clientcpu" "$(awk -v t="$cpuA" -v hz="$clk_tck" 'BEGIN { printf "%.1f", t / hz }')" \
    "$(awk -v t="$cpuD" -v hz="$clk_tck" 'BEGIN { printf "%.1f", t / hz }')" "$other" "$rss" "$written" >>"$results"
  log "run $run $name: $seconds s, exit $status, check $check, load $load, CPU client/A/dest/other" \
    "$clientcpu/$(awk -v t="$cpuA" -v hz="$clk_tck" 'BEGIN { printf "%.1f", t / hz }')/$(awk -v t="$cpuD" -v hz="$clk_tck" 'BEGIN { printf "%.1f", t / hz }')/$other"
}

check_none() { echo "-"; }
check_m2m() { verify_tags "$D/mirror/bench"; }
check_sync() {
  # skopeo sync (not --scoped) keeps only the last path component: D/sync/<repo>:<tag>
  local bad=0 repo tag want got
  while read -r repo tag want; do
    got=$(manifest_digest "$D/sync/$repo:$tag")
    [[ $got == "$want" ]] || bad=$((bad + 1))
  done <"$tmp/layout-digests.txt"
  if ((bad == 0)); then echo OK; else echo "FAIL:$bad/$image_count"; fi
}
check_raw() { verify_tags "$D/raw"; }
check_m2d() {
  local parts
  parts=$(find "$tmp/out" -maxdepth 1 -name 'mirror_*.tar' | wc -l)
  if ((parts > 0)); then echo "OK:${parts}parts"; else echo "FAIL:no-archive"; fi
}
check_dir_output() { echo "$(du -sb "$tmp/out" | cut -f1)B"; }

ferry_mirror_common=(-q --source-use-http --dest-use-http)
steps=${STEPS:-m2m sync raw m2d d2m copy-shared sync-dir}
want() { [[ " $steps " == *" $1 "* ]]; }
want d2m && ! want m2d && die "STEPS: d2m loads the archive m2d writes; add m2d"
: >"$tmp/archive.tsv"
: >"$tmp/noop-requests.tsv"
log "ferry: $ferry_origin ($("$ferry" version 2>/dev/null | head -n 1 || true), sha256 $ferry_id); $(skopeo --version)"
for ((run = 1; run <= runs; run++)); do
  # mirror-to-mirror, then the no-op re-run into the same B
  if want m2m; then
    fresh_dest
    rm -rf "$tmp/ws"
    run_step "$run" m2m check_m2m -- measured "$ferry" mirror -c "$tmp/isc.yaml" --workspace "file://$tmp/ws" \
      "docker://$D/mirror" "${ferry_mirror_common[@]}"
    markA_noop=$(registry_log_mark "$regA")
    markD_noop=$(registry_log_mark "$regD")
    run_step "$run" noop check_m2m -- measured "$ferry" mirror -c "$tmp/isc.yaml" --workspace "file://$tmp/ws" \
      "docker://$D/mirror" "${ferry_mirror_common[@]}"
    read -r nA_blob nA_man nA_other nA_total < <(count_requests "$regA" "$markA_noop")
    read -r nB_blob nB_man nB_other nB_total < <(count_requests "$regD" "$markD_noop")
    printf '%s\t%s %s %s %s\t%s %s %s %s\n' "$run" "$nA_blob" "$nA_man" "$nA_other" "$nA_total" \
      "$nB_blob" "$nB_man" "$nB_other" "$nB_total" >>"$tmp/noop-requests.tsv"
    log "no-op requests: A blob $nA_blob, manifest $nA_man, other $nA_other; B blob $nB_blob, manifest $nB_man, other $nB_other"
  fi

  want sync && fresh_dest && run_step "$run" sync check_sync -- with_fresh_skopeo_cache "$tmp/skopeo-sync.sh" "$tmp/sync.yaml" docker "$D/sync"

  want raw && fresh_dest && run_step "$run" raw check_raw -- raw_upload "$D"

  # mirror-to-disk; its folder is kept for disk-to-mirror below
  if want m2d; then
    clean_output
    run_step "$run" m2d check_m2d -- measured "$ferry" mirror -c "$tmp/isc.yaml" "file://$tmp/out" -q --source-use-http
    archive_bytes=$(find "$tmp/out" -maxdepth 1 -name 'mirror_*.tar' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }')
    archive_parts=$(find "$tmp/out" -maxdepth 1 -name 'mirror_*.tar' | wc -l)
    printf '%s\t%s\t%s\n' "$run" "$archive_bytes" "$archive_parts" >>"$tmp/archive.tsv"
    rm -rf "$tmp/archive" && mv "$tmp/out" "$tmp/archive"
  fi

  want d2m && fresh_dest && run_step "$run" d2m check_m2m -- measured "$ferry" mirror --from "file://$tmp/archive" "docker://$D/mirror" -q --dest-use-http

  want copy-shared && clean_output && run_step "$run" copy-shared check_dir_output -- with_fresh_skopeo_cache "$tmp/skopeo-copy-shared.sh" "$A" \
    "$tmp/images.tsv" "$tmp/out"
  want sync-dir && clean_output && run_step "$run" sync-dir check_dir_output -- with_fresh_skopeo_cache "$tmp/skopeo-sync.sh" "$tmp/sync.yaml" dir "$tmp/out"
  rm -rf "$tmp/out"
done

# ---------------------------------------------------------------- report
median() { # step -> median seconds over the runs
  awk -F'\t' -v s="$1" '$2 == s { print $3 }' "$results" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
all_of() { awk -F'\t' -v s="$1" -v c="$2" '$2 == s { out = out (out == "" ? "" : ", ") $c } END { print out }' "$results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { if (r == "-") print "-"; else print (r + 0 <= g + 0) ? "met" : "**not met**" }'; }
any_failed=0
awk -F'\t' '$4 != 0 || $5 ~ /^FAIL/' "$results" | grep -q . && any_failed=1

label() {
  case $1 in
    m2m) echo "ferry mirror-to-mirror A → B" ;;
    noop) echo "ferry mirror-to-mirror again (B complete)" ;;
    sync) echo "skopeo sync --all --dest docker A → B'" ;;
    raw) echo "raw ceiling: curl POST+PUT ×$unique_blobs, mounts, manifests (-P $parallel)" ;;
    m2d) echo "ferry mirror-to-disk A → DIR" ;;
    d2m) echo "ferry disk-to-mirror DIR → C" ;;
    copy-shared) echo "skopeo copy --all × $image_count, oci + --dest-shared-blob-dir" ;;
    sync-dir) echo "skopeo sync --all --dest dir" ;;
  esac
}

m2m=$(median m2m) sync_s=$(median sync) raw=$(median raw) m2d=$(median m2d)
shared=$(median copy-shared) syncdir=$(median sync-dir)
archive_bytes=$(awk -F'\t' '{ print $2 }' "$tmp/archive.tsv" | tail -n 1)
archive_parts=$(awk -F'\t' '{ print $3 }' "$tmp/archive.tsv" | tail -n 1)
overhead=$(awk -v a="$archive_bytes" -v u="$unique_bytes" 'BEGIN { if (a == "") print "-"; else printf "%.2f", 100 * (a - u) / u }')
overhead_all=$(awk -v a="$archive_bytes" -v u="$unique_bytes" -v m="$manifest_bytes" 'BEGIN { if (a == "") print "-"; else printf "%.2f", 100 * (a - u - m) / u }')

{
  echo
  echo "## ferry mirror benchmark: $image_count images, $repo_count repositories ($scale set)"
  echo
  echo "- ferry: \`$ferry_origin\` (sha256 $ferry_id); $(skopeo --version); $("$REGISTRY_BIN" --version 2>/dev/null | head -n 1)"
  echo "- machine: $ncpu CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r);" \
    "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- set: $image_count tags, $manifest_count manifests, $unique_blobs unique blobs = $unique_bytes bytes," \
    "$pair_count (repository, blob) pairs; $runs run(s); skopeo blob-info cache: $skopeo_cache_mode"
  echo
  echo "| step | seconds (median) | every run | load1 at start | CPU s client / A / dest / other (last run) | peak RSS MiB (max) | MiB written (last run) | check |"
  echo "|---|---|---|---|---|---|---|---|"
  for s in m2m sync raw noop m2d copy-shared sync-dir d2m; do
    last=$(awk -F'\t' -v s="$s" '$2 == s { l = $7 " / " $8 " / " $9 " / " $10 } END { print l }' "$results")
    peak=$(awk -F'\t' -v s="$s" '$2 == s && $11 != "-" && $11 + 0 > m { m = $11 + 0 } END { print m ? m : "-" }' "$results")
    wrote=$(awk -F'\t' -v s="$s" '$2 == s { l = $12 } END { print l }' "$results")
    echo "| $(label "$s") | $(median "$s") | $(all_of "$s" 3) | $(all_of "$s" 6) | $last | $peak | $wrote | $(all_of "$s" 5) |"
  done
  echo
  echo "| measure | value | goal | verdict |"
  echo "|---|---|---|---|"
  r=$(ratio "$m2m" "$raw"); echo "| mirror-to-mirror / raw ceiling | $r | ≤ 1.1 | $(verdict "$r" 1.1) |"
  r=$(ratio "$m2m" "$sync_s"); echo "| mirror-to-mirror / skopeo sync | $r | ≤ 0.45 | $(verdict "$r" 0.45) |"
  r=$(ratio "$m2d" "$shared"); echo "| mirror-to-disk / skopeo copy --dest-shared-blob-dir | $r | ≤ 0.35 | $(verdict "$r" 0.35) |"
  r=$(ratio "$m2d" "$syncdir"); echo "| mirror-to-disk / skopeo sync --dest dir | $r | ≤ 0.1 | $(verdict "$r" 0.1) |"
  echo "| archive bytes ($archive_parts part(s)) vs unique blob bytes | $archive_bytes vs $unique_bytes: +$overhead % (+$overhead_all % beyond blobs and manifests) | ≤ 1 % | $(verdict "$overhead" 1) |"
  peak_ferry=$(awk -F'\t' '($2 == "m2m" || $2 == "m2d" || $2 == "d2m") && $11 != "-" && $11 + 0 > m { m = $11 + 0 } END { print m ? m : "-" }' "$results")
  echo "| ferry peak RSS (m2m, m2d, d2m; --parallel 8) | $peak_ferry MiB | < 100 MiB | $(verdict "$peak_ferry" 99.99) |"
  written() { awk -F'\t' -v s="$1" '$2 == s { l = $12 } END { print l }' "$results"; }
  archive_mib=$(awk -v a="$archive_bytes" 'BEGIN { if (a == "") print 0; else printf "%.0f", a / 1048576 }')
  r=$(awk -v w="$(written m2d)" -v a="$archive_mib" 'BEGIN { if (w == "-" || w == "" || a == 0) print "-"; else printf "%.2f", 100 * (w - a) / a }')
  echo "| mirror-to-disk: written beyond the archive | $(written m2d) MiB written, archive $archive_mib MiB: +$r % | < 1 % | $(verdict "$r" 1) |"
  unique_mib=$(awk -v u="$unique_bytes" 'BEGIN { printf "%.0f", u / 1048576 }')
  for s in m2m d2m; do
    r=$(awk -v w="$(written "$s")" -v u="$unique_mib" 'BEGIN { if (w == "-" || w == "" || u == 0) print "-"; else printf "%.2f", 100 * w / u }')
    echo "| $s: written to disk / unique blob bytes | $(written "$s") MiB / $unique_mib MiB = $r % | ≈ 0 (< 1 %) | $(verdict "$r" 1) |"
  done
  while IFS=$'\t' read -r run a b; do
    read -r ab am ao _ <<<"$a"
    read -r bb bm bo _ <<<"$b"
    ok="**not met**"
    if ((ab == 0 && bb == 0)); then ok=met; fi
    echo "| no-op requests, run $run: A blob / manifest / other; B blob / manifest / other | $ab / $am / $ao; $bb / $bm / $bo | 0 blob requests, ≈ $image_count manifest requests per side | $ok (blobs) |"
  done <"$tmp/noop-requests.tsv"
  ((any_failed == 0)) || echo "SOME STEPS FAILED or did not verify; see the check column and $results"
} | tee "$tmp/results.md"

echo
echo "per step (results.tsv: run step seconds exit check load1 cpu-client cpu-A cpu-dest cpu-other peak-RSS-MiB written-MiB):"
column -t -s $'\t' "$results"
exit "$any_failed"
