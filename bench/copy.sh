#!/usr/bin/env bash
# Benchmark: registry -> registry copy of the ferry-testdata bench set (40 images in 10
# repositories, half of them multi-arch with 4 platforms, ~1 GB of unique blobs), ferry
# against one-by-one `skopeo copy --all`, on two local plain-HTTP docker-registry instances.
#
# Usage: bench/copy.sh [--runs N] [--parallel N] [--ferry PATH] [--testdata PATH] [--keep]
#
#   --runs N          runs per scenario, interleaved (default 3)
#   --parallel N      passed to `ferry copy --parallel` (default: ferry's own default)
#   --ferry PATH      the ferry binary (default build-main/bin/ferry, then build/bin/ferry)
#   --testdata PATH   the ferry-testdata binary (default: next to ferry, then build-main/bin, build/bin)
#   --keep            keep the temporary directory (layouts, registry data and logs, results)
#
# Scenarios, each run N times in the order ferry, noop, skopeo:
#   ferry   B wiped and restarted, sync, then one `ferry copy -q -f mapping-ab.txt` for all images
#   noop    ferry again, with B already complete
#   skopeo  B wiped and restarted, sync, then `skopeo copy -q --all --preserve-digests` per image,
#           with a private, empty skopeo blob-info cache per run (unshare -m + bind mount as root)
# After every run the tags on B are checked: each tag's raw manifest on B must hash to the same
# sha256 as on A, and every (repository, manifest or blob) of the set must answer 200 on B.
# Needs: docker-registry, skopeo, curl, jq, sha256sum, awk; see ./scripts/setup.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=lib/registry.sh
source "$here/lib/registry.sh"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"

runs=3
parallel=""
ferry=""
testdata=""
keep=0

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() {
  echo "copy.sh: $*" >&2
  exit 2
}

while (($#)); do
  case $1 in
    --runs) runs=${2:?--runs needs a value}; shift 2 ;;
    --runs=*) runs=${1#*=}; shift ;;
    --parallel) parallel=${2:?--parallel needs a value}; shift 2 ;;
    --parallel=*) parallel=${1#*=}; shift ;;
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
[[ -z $parallel || $parallel =~ ^[1-9][0-9]*$ ]] || die "--parallel needs a positive whole number"

if [[ -z $ferry ]]; then
  for candidate in "$root/build-main/bin/ferry" "$root/build/bin/ferry"; do
    if [[ -x $candidate ]]; then ferry=$candidate; break; fi
  done
  [[ -n $ferry ]] || die "no ferry binary in build-main/bin or build/bin; run ./scripts/setup.sh or pass --ferry"
fi
[[ -x $ferry ]] || die "ferry binary '$ferry' is not executable"
ferry=$(cd "$(dirname "$ferry")" && pwd)/$(basename "$ferry")
if [[ -z $testdata ]]; then
  for candidate in "$(dirname "$ferry")/ferry-testdata" "$root/build-main/bin/ferry-testdata" \
    "$root/build/bin/ferry-testdata"; do
    if [[ -x $candidate ]]; then testdata=$candidate; break; fi
  done
  [[ -n $testdata ]] || die "no ferry-testdata binary found; pass --testdata"
fi
[[ -x $testdata ]] || die "ferry-testdata binary '$testdata' is not executable"

for tool in "$REGISTRY_BIN" skopeo curl jq sha256sum awk sort; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (install it with ./scripts/setup.sh)"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-copy.XXXXXX")
regA=$tmp/registry-a
regB=$tmp/registry-b
cleanup() { bench_finish $? "$tmp" "$regA" "$regB"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_private_ferry "$tmp"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
clk_tck=$(getconf CLK_TCK)
ticks_to_s() { awk -v t="$1" -v hz="$clk_tck" 'BEGIN { printf "%.1f", t / hz }'; }

# Busy ticks of the whole machine (all CPUs), from /proc/stat.
machine_busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
ncpu=$(nproc)
# Waits (at most quiet_wait seconds) until the machine is nearly idle: other work on this
# machine (builds, tests) distorts the timings, and the "other CPU" column shows how much.
quiet_wait=${QUIET_WAIT:-120}
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
log "generating the bench set with $testdata"
layouts=$tmp/layouts
"$testdata" bench "$layouts" >"$tmp/images.txt" 2>"$tmp/testdata.log" ||
  { cat "$tmp/testdata.log" >&2; die "ferry-testdata failed"; }
log "ferry-testdata: $(tail -n 1 "$tmp/testdata.log")"

# images.tsv: "repo tag layout-dir" per image
while IFS= read -r line; do
  [[ -n $line ]] || continue
  dir=${line%:*}
  printf '%s %s %s\n' "$(basename "$dir")" "${line##*:}" "$dir"
done <"$tmp/images.txt" >"$tmp/images.tsv"
image_count=$(wc -l <"$tmp/images.tsv")
((image_count > 0)) || die "ferry-testdata printed no images"

# objects.tsv: "repo kind digest size mediaType" for every manifest and blob reachable from a tag.
walk_manifest() { # layout repo digest
  local layout=$1 repo=$2 digest=$3 file media
  file=$layout/blobs/${digest/://}
  media=$(jq -r '.mediaType // ""' "$file")
  printf '%s manifest %s %s %s\n' "$repo" "$digest" "$(stat -c %s "$file")" "$media"
  case $media in
    *index* | *manifest.list*)
      local child
      for child in $(jq -r '.manifests[].digest' "$file"); do
        walk_manifest "$layout" "$repo" "$child"
      done
      ;;
    *)
      jq -r --arg repo "$repo" '[.config] + (.layers // []) | .[] | "\($repo) blob \(.digest) \(.size) \(.mediaType)"' "$file"
      ;;
  esac
}
while read -r repo tag layout; do
  top=$(jq -r --arg tag "$tag" \
    '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $tag)][0].digest // empty' \
    "$layout/index.json")
  [[ -n $top ]] || die "tag $tag not found in $layout/index.json"
  echo "$repo $tag $top" >>"$tmp/layout-digests.txt"
  walk_manifest "$layout" "$repo" "$top"
done <"$tmp/images.tsv" | sort -u >"$tmp/objects.tsv"

repo_count=$(awk '{ print $1 }' "$tmp/images.tsv" | sort -u | wc -l)
multi_count=$(awk '$2 == "manifest" && ($5 ~ /index/ || $5 ~ /manifest.list/)' "$tmp/objects.tsv" | wc -l)
manifest_count=$(awk '$2 == "manifest" { print $1, $3 }' "$tmp/objects.tsv" | sort -u | wc -l)
pair_count=$(awk '$2 == "blob" { print $1, $3 }' "$tmp/objects.tsv" | sort -u | wc -l)
read -r unique_blobs unique_bytes < <(awk '$2 == "blob" && !seen[$3]++ { n++; s += $4 } END { printf "%d %.0f\n", n, s }' "$tmp/objects.tsv")
log "set: $image_count images in $repo_count repositories ($multi_count multi-arch), $manifest_count manifests," \
  "$unique_blobs unique blobs = $unique_bytes bytes, $pair_count (repository, blob) pairs"

# ---------------------------------------------------------------- registries
log "starting registries A and B"
registry_start "$regA"
registry_start "$regB"
A=$(registry_addr "$regA")
B=$(registry_addr "$regB")
log "A = $A (source), B = $B (destination); logs in $regA/registry.log, $regB/registry.log"

while read -r repo tag layout; do
  echo "oci:$layout:$tag=docker://$A/bench/$repo:$tag"
done <"$tmp/images.tsv" >"$tmp/mapping.txt"
while read -r repo tag _; do
  echo "docker://$A/bench/$repo:$tag=docker://$B/bench/$repo:$tag"
done <"$tmp/images.tsv" >"$tmp/mapping-ab.txt"

log "pushing the set into A: ferry copy -f mapping.txt --dest-use-http"
mark=$(registry_log_mark "$regA")
t0=$(now)
"$ferry" copy -q -f "$tmp/mapping.txt" --dest-use-http || die "pushing the set into A failed"
t1=$(now)
sleep 0.3
push_seconds=$(elapsed "$t0" "$t1")
push_requests=$(registry_requests_since "$regA" "$mark" | awk '$1 == "TOTAL" { print $2 }')
log "push to A: $push_seconds s, $push_requests requests"

# The reference digests, read back from A with skopeo; they must equal the layouts' tags.
manifest_digest() { # docker-ref
  local raw
  raw=$(skopeo inspect --raw --tls-verify=false "docker://$1" 2>/dev/null) || return 1
  printf '%s' "$raw" | sha256sum | awk '{ print "sha256:" $1 }'
}
while read -r repo tag top; do
  got=$(manifest_digest "$A/bench/$repo:$tag") || die "cannot read $A/bench/$repo:$tag back"
  [[ $got == "$top" ]] || die "A has $got for $repo:$tag, the layout has $top"
  echo "$repo $tag $got"
done <"$tmp/layout-digests.txt" >"$tmp/a-digests.txt"
log "A holds all $image_count tags with the layouts' digests"

# Every (repository, manifest or blob) of the set, as HEAD URLs on B, for the deep check.
awk -v b="$B" '{ kind = $2 == "blob" ? "blobs" : "manifests"; print "http://" b "/v2/bench/" $1 "/" kind "/" $3 }' \
  "$tmp/objects.tsv" | sort -u | awk '{ print "url = \"" $0 "\"\noutput = \"/dev/null\"" }' >"$tmp/b-objects.curl"
object_count=$(grep -c '^url' "$tmp/b-objects.curl")
log "check after each run: $image_count tag digests (skopeo inspect --raw) and HEAD on B for all $object_count (repository, object) pairs"

# distribution answers 404 to a manifest HEAD whose Accept does not list the manifest's type
manifest_accept="Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json,\
 application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"
# verify: prints "OK" or a short failure description.
verify_b() {
  local bad=0 repo tag want got missing
  while read -r repo tag want; do
    got=$(manifest_digest "$B/bench/$repo:$tag") || got=missing
    if [[ $got != "$want" ]]; then
      bad=$((bad + 1))
      echo "  $repo:$tag on B is $got, A has $want" >&2
    fi
  done <"$tmp/a-digests.txt"
  missing=$((object_count - $(curl -s -I -H "$manifest_accept" -w '%{http_code} %{url}\n' --config "$tmp/b-objects.curl" |
    awk '$1 == 200' | wc -l)))
  if ((bad == 0 && missing == 0)); then
    echo "OK"
  else
    echo "FAIL:${bad}tags,${missing}objects"
  fi
}

# ---------------------------------------------------------------- skopeo cache isolation
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
  skopeo_cache_mode=xdg # rootless c/image keeps its cache under $XDG_DATA_HOME/containers/cache
fi
if [[ $skopeo_cache_mode == shared ]]; then
  echo "copy.sh: WARNING: cannot isolate skopeo's blob-info cache (unshare -m / mount --bind not permitted);" \
    "skopeo runs share /var/lib/containers/cache, which may let later runs mount blobs instead of uploading them" >&2
fi
log "skopeo blob-info cache: $skopeo_cache_mode"

cat >"$tmp/skopeo-loop.sh" <<'LOOP'
# args: A B images.tsv ; copies every image one by one
set -eu
while read -r repo tag _; do
  skopeo copy -q --all --preserve-digests --src-tls-verify=false --dest-tls-verify=false \
    "docker://$1/bench/$repo:$tag" "docker://$2/bench/$repo:$tag"
done <"$3"
LOOP

run_skopeo_loop() { # cache-dir
  local cache=$1
  case $skopeo_cache_mode in
    unshare)
      unshare -m --propagation private bash -c \
        'mount --bind "$1" /var/lib/containers/cache && shift && exec bash "$@"' \
        bash "$cache" "$tmp/skopeo-loop.sh" "$A" "$B" "$tmp/images.tsv"
      ;;
    xdg) XDG_DATA_HOME=$cache bash "$tmp/skopeo-loop.sh" "$A" "$B" "$tmp/images.tsv" ;;
    *) bash "$tmp/skopeo-loop.sh" "$A" "$B" "$tmp/images.tsv" ;;
  esac
}

ferry_args=(copy -q --source-use-http --dest-use-http -f "$tmp/mapping-ab.txt")
[[ -z $parallel ]] || ferry_args+=(--parallel "$parallel")

# ---------------------------------------------------------------- scenarios
# results.tsv columns:
#  1 scenario 2 run 3 seconds 4 status 5 check 6 B-total 7 B-HEAD 8 B-GET 9 B-POST 10 B-PATCH
#  11 B-PUT 12 B-DELETE 13 B-manifest-PUT 14 A-GET 15 A-total 16 cpu-client 17 cpu-A 18 cpu-B
#  19 cpu-other (the rest of the machine during the run)
results=$tmp/results.tsv
: >"$results"

# run_scenario NAME RUN COMMAND...  (times COMMAND, counts requests, checks B)
run_scenario() {
  local name=$1 run=$2
  shift 2
  local markA markB cpuA0 cpuB0 t0 t1 status=0 seconds check clientcpu
  markA=$(registry_log_mark "$regA")
  markB=$(registry_log_mark "$regB")
  cpuA0=$(registry_cpu_ticks "$regA")
  cpuB0=$(registry_cpu_ticks "$regB")
  local busy0 busy1
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
  sleep 0.3 # let the registries' access logs catch up
  local cpuA cpuB
  cpuA=$(($(registry_cpu_ticks "$regA") - cpuA0))
  cpuB=$(($(registry_cpu_ticks "$regB") - cpuB0))
  # second line of `times`: the children's user and system time, e.g. "0m1.234s 0m0.567s"
  clientcpu=$(sed -n 2p "$tmp/times.out" | awk '{
    s = 0
    for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); s += p[1] * 60 + p[2] }
    printf "%.1f", s }')
  local other
  other=$(awk -v d=$((busy1 - busy0)) -v hz="$clk_tck" -v c="$clientcpu" -v a="$cpuA" -v b="$cpuB" \
    'BEGIN { o = (d - a - b) / hz - c; printf "%.1f", o < 0 ? 0 : o }')
  local countsB countsA
  countsB=$(registry_requests_since "$regB" "$markB")
  countsA=$(registry_requests_since "$regA" "$markA")
  if ((status != 0)); then
    echo "copy.sh: $name run $run exited with status $status; last output:" >&2
    tail -n 5 "$tmp/$name-$run.out" >&2
  fi
  check=$(verify_b)
  get() { awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }' <<<"$1"; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$name" "$run" "$seconds" "$status" "$check" \
    "$(get "$countsB" TOTAL)" "$(get "$countsB" HEAD)" "$(get "$countsB" GET)" "$(get "$countsB" POST)" \
    "$(get "$countsB" PATCH)" "$(get "$countsB" PUT)" "$(get "$countsB" DELETE)" "$(get "$countsB" MANIFEST_PUT)" \
    "$(get "$countsA" GET)" "$(get "$countsA" TOTAL)" \
    "$clientcpu" "$(ticks_to_s "$cpuA")" "$(ticks_to_s "$cpuB")" "$other" >>"$results"
  log "$name run $run: $seconds s, exit $status, B requests $(get "$countsB" TOTAL), A GETs $(get "$countsA" GET)," \
    "CPU client/A/B/other $clientcpu/$(ticks_to_s "$cpuA")/$(ticks_to_s "$cpuB")/$other s, check $check"
}

fresh_b() {
  registry_restart_wiped "$regB"
  sync
}

log "ferry: $ferry_origin ($("$ferry" version 2>/dev/null | head -n 1 || true), sha256 $ferry_id); skopeo: $(skopeo --version)"
for ((run = 1; run <= runs; run++)); do
  fresh_b
  wait_quiet
  run_scenario ferry "$run" "$ferry" "${ferry_args[@]}"
  sync
  wait_quiet
  run_scenario noop "$run" "$ferry" "${ferry_args[@]}"
  fresh_b
  cache=$(mktemp -d "$tmp/skopeo-cache.XXXXXX")
  wait_quiet
  run_scenario skopeo "$run" run_skopeo_loop "$cache"
done

# ---------------------------------------------------------------- report
stats() { # scenario column -> "min median"
  awk -F'\t' -v s="$1" -v c="$2" '$1 == s { print $c }' "$results" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "- -"; exit }
      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%s %s\n", v[1], m }'
}
# one value, or "min–max" when the runs differ
span() {
  awk -F'\t' -v s="$1" -v c="$2" '$1 == s { v = $c + 0; if (n++ == 0 || v < lo) lo = v; if (n == 1 || v > hi) hi = v }
    END { if (n == 0) print "-"; else if (lo == hi) print lo; else print lo "–" hi }' "$results"
}
max_of() { awk -F'\t' -v s="$1" -v c="$2" '$1 == s && (n++ == 0 || $c + 0 > m) { m = $c + 0 } END { print n ? m : "-" }' "$results"; }
median_of() { read -r _ m < <(stats "$1" "$2"); echo "$m"; }
checks() {
  awk -F'\t' -v s="$1" '$1 == s { n++; if ($5 == "OK" && $4 == 0) ok++ } END { if (ok == n) print "OK ×" n; else printf "%d/%d OK\n", ok, n }' "$results"
}
# B requests per (repository, blob) pair: minus manifest PUTs and one HEAD per image
per_pair() {
  local total mput
  total=$(median_of "$1" 6)
  mput=$(median_of "$1" 13)
  awk -v t="$total" -v m="$mput" -v i="$image_count" -v p="$pair_count" 'BEGIN { printf "%.2f", (t - m - i) / p }'
}
methods() {
  local out="" m col
  for m in HEAD:7 GET:8 POST:9 PATCH:10 PUT:11 DELETE:12; do
    col=${m#*:}
    if [[ $(span "$1" "$col") != 0 ]]; then out+="${out:+, }${m%:*} $(span "$1" "$col")"; fi
  done
  echo "${out:-none}"
}

any_failed=0
awk -F'\t' '$4 != 0 || $5 != "OK"' "$results" | grep -q . && any_failed=1

{
  echo
  echo "## ferry copy benchmark: $image_count images, $repo_count repositories, registry A → registry B"
  echo
  echo "- ferry: \`$ferry_origin\` (sha256 $ferry_id)${parallel:+, --parallel $parallel}; $(skopeo --version);" \
    "$("$REGISTRY_BIN" --version 2>/dev/null | head -n 1)"
  echo "- machine: $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
  echo "- set: $image_count tags in $repo_count repositories ($multi_count multi-arch), $manifest_count manifests," \
    "$unique_blobs unique blobs = $unique_bytes bytes ($(awk -v b="$unique_bytes" 'BEGIN { printf "%.0f MiB", b / 1048576 }'))," \
    "$pair_count (repository, blob) pairs"
  echo "- push of the set into A (ferry, from the OCI layouts): $push_seconds s, $push_requests requests"
  echo "- $runs runs per scenario, interleaved; B wiped and restarted before every ferry and skopeo run;" \
    "skopeo blob-info cache: $skopeo_cache_mode"
  echo
  echo "| scenario | min s | median s | req B | B requests by method | manifest PUTs | GETs on A | B req per (repo, blob) | CPU s client / A / B (median) | other CPU s (max) | check |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for s in ferry skopeo noop; do
    read -r mn md < <(stats "$s" 3)
    case $s in
      ferry) label="ferry copy -f (all $image_count)" ;;
      skopeo) label="skopeo copy --all × $image_count" ;;
      noop) label="ferry no-op (B complete)" ;;
    esac
    pp=$(per_pair "$s")
    [[ $s != noop ]] || pp="–"
    echo "| $label | $mn | $md | $(span "$s" 6) | $(methods "$s") | $(span "$s" 13) | $(span "$s" 14) | $pp |" \
      "$(median_of "$s" 16) / $(median_of "$s" 17) / $(median_of "$s" 18) | $(max_of "$s" 19) | $(checks "$s") |"
  done
  echo
  read -r fmin fmed < <(stats ferry 3)
  read -r smin smed < <(stats skopeo 3)
  awk -v fmin="$fmin" -v fmed="$fmed" -v smin="$smin" -v smed="$smed" 'BEGIN {
    printf "ferry / skopeo time: %.2f (median / median), %.2f (min / min)  — target ≤ 0.50\n", fmed / smed, fmin / smin }'
  echo "B requests per (repository, blob) pair = (B requests − manifest PUTs − $image_count HEADs) / $pair_count;" \
    "ferry: $(per_pair ferry), skopeo: $(per_pair skopeo) — target ≤ ~1.5"
  echo "unique blobs: $unique_blobs, total $unique_bytes bytes"
  ((any_failed == 0)) || echo "SOME RUNS FAILED or did not verify; see the check column and $results"
} | tee "$tmp/results.md"

echo
echo "per run (results.tsv):"
{
  printf 'scenario\trun\tseconds\texit\tcheck\tB\tB-HEAD\tB-GET\tB-POST\tB-PATCH\tB-PUT\tB-DELETE\tB-mPUT\tA-GET\tA\tcpu-client\tcpu-A\tcpu-B\tcpu-other\n'
  cat "$results"
} | column -t -s $'\t'

exit "$any_failed"
