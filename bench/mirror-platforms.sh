#!/usr/bin/env bash
# Benchmark: the bytes `ferry mirror` carries across the air gap when the ImageSetConfiguration
# keeps some platforms (v2alpha1 `platforms`), against the same mirror-to-disk with every
# platform, on bench/mirror.sh's set (ferry-testdata bench: 40 images in 10 repositories, half
# multi-arch with linux/amd64, linux/arm64, linux/s390x and linux/ppc64le).
#
# Usage: bench/mirror-platforms.sh [--platforms LIST] [--ferry PATH] [--testdata PATH] [--keep]
#
#   --platforms LIST  comma-separated platforms to keep (default linux/amd64,linux/arm64: 2 of 4)
# Environment: FERRY_BENCH_SCALE=full (default, ~1 GB) | small (~90 MB)
#
# Prints, per run: archive bytes (the part files), blob bytes read from the source registry,
# and seconds; and the bytes the selection needs (computed from the layouts). Bytes do not
# depend on the machine's load; seconds do. Exits 1 when the narrowed archive is not smaller.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/registry.sh
source "$root/bench/lib/registry.sh"
# shellcheck source=lib/common.sh
source "$root/bench/lib/common.sh"

platforms=linux/amd64,linux/arm64
ferry=""
testdata=""
keep=0
scale=${FERRY_BENCH_SCALE:-full}
die() {
  echo "mirror-platforms.sh: $*" >&2
  exit 2
}
while (($#)); do
  case $1 in
    --platforms) platforms=${2:?}; shift 2 ;;
    --ferry) ferry=${2:?}; shift 2 ;;
    --testdata) testdata=${2:?}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1'" ;;
  esac
done
bench_scale_testdata_args
bench_find_binaries "$root"
for tool in "$REGISTRY_BIN" jq awk; do command -v "$tool" >/dev/null || die "'$tool' not found"; done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-mirror-platforms.XXXXXX")
regA=$tmp/registry-a
cleanup() {
  local status=$?
  registry_stop "$regA" || true
  if ((keep)); then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
  exit "$status"
}
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# A private copy, so a rebuild during the run cannot change what is measured.
commit=$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
mkdir -p "$tmp/bin"
cp "$ferry" "$tmp/bin/ferry"
ferry_origin=$ferry
ferry=$tmp/bin/ferry

log "generating the bench set ($scale)"
"$testdata" bench "$tmp/layouts" "${testdata_args[@]}" >"$tmp/images.txt" 2>/dev/null
registry_start "$regA"
A=$(registry_addr "$regA")
: >"$tmp/push.txt"
while IFS= read -r line; do
  dir=${line%:*} tag=${line##*:} repo=$(basename "${line%:*}")
  echo "oci:$dir:$tag=docker://$A/bench/$repo:$tag" >>"$tmp/push.txt"
done <"$tmp/images.txt"
log "pushing the set into A"
"$ferry" copy -q --dest-use-http -f "$tmp/push.txt"

# Two configurations: every platform, and the selection on every additional image.
yaml_list=$(awk -v list="$platforms" 'BEGIN { n = split(list, p, ","); for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? ", " : ""), p[i] }')
for selection in all chosen; do
  {
    echo "apiVersion: mirror.openshift.io/v2alpha1"
    echo "kind: ImageSetConfiguration"
    echo "mirror:"
    echo "  additionalImages:"
    while IFS= read -r line; do
      echo "    - name: $A/bench/$(basename "${line%:*}"):${line##*:}"
      if [[ $selection == chosen ]]; then echo "      platforms: [$yaml_list]"; fi
    done <"$tmp/images.txt"
  } >"$tmp/isc-$selection.yaml"
done

# Bytes of the distinct blobs (configs and layers) each selection needs, from the layouts.
blobs_of() { # layout digest all|chosen
  local file=$1/blobs/${2/://} child
  if jq -e '.manifests' "$file" >/dev/null; then
    if [[ $3 == all ]]; then
      for child in $(jq -r '.manifests[].digest' "$file"); do blobs_of "$1" "$child" all; done
    else
      for child in $(jq -r --arg list "$platforms" \
        '($list | split(",")) as $want | .manifests[] | select((.platform.os + "/" + .platform.architecture) as $p | $want | index($p)) | .digest' "$file"); do
        blobs_of "$1" "$child" all
      done
    fi
  else
    jq -r '[.config] + .layers | .[] | "\(.digest) \(.size)"' "$file"
  fi
}
for selection in all chosen; do
  while IFS= read -r line; do
    dir=${line%:*} tag=${line##*:}
    top=$(jq -r --arg tag "$tag" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $tag) | .digest' "$dir/index.json")
    blobs_of "$dir" "$top" "$selection"
  done <"$tmp/images.txt" | sort -u | awk '{ s += $2 } END { printf "%.0f\n", s }' >"$tmp/needed-$selection"
done

blob_bytes_served() { # registry-dir mark: bytes of 200 answers to blob GETs after mark
  tail -c +"$(($2 + 1))" "$1/registry.log" | grep -E "$REGISTRY_ACCESS_RE" |
    awk '$6 == "\"GET" && $7 ~ /\/blobs\/sha256:/ && $9 == 200 { s += $10 } END { printf "%.0f\n", s }'
}

run() { # selection
  local selection=$1 mark start end archive=$tmp/archive-$1
  mark=$(registry_log_mark "$regA")
  start=$EPOCHREALTIME
  "$ferry" mirror -q -c "$tmp/isc-$selection.yaml" "file://$archive" --source-use-http
  end=$EPOCHREALTIME
  cat "$archive"/mirror_*.tar | wc -c >"$tmp/archive-bytes-$selection"
  printf '| %s | %s | %s | %s | %s |\n' "$selection" "$(cat "$tmp/archive-bytes-$selection")" \
    "$(blob_bytes_served "$regA" "$mark")" "$(cat "$tmp/needed-$selection")" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')"
}

echo
echo "## ferry mirror-to-disk, every platform vs platforms: [$yaml_list] ($scale bench set)"
echo
echo "- ferry: \`$ferry_origin\` (commit $commit); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| platforms | archive bytes | blob bytes read from A | blob bytes the selection needs | seconds |"
echo "|---|---|---|---|---|"
run all
run chosen
ratio=$(awk -v a="$(cat "$tmp/archive-bytes-chosen")" -v b="$(cat "$tmp/archive-bytes-all")" 'BEGIN { printf "%.3f", a / b }')
echo
echo "the narrowed archive is $ratio of the full one"
if (($(cat "$tmp/archive-bytes-chosen") >= $(cat "$tmp/archive-bytes-all"))); then
  echo "FAIL: the narrowed archive is not smaller than the full one"
  exit 1
fi
