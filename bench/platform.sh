#!/usr/bin/env bash
# Benchmark: what `ferry copy --platform linux/amd64` moves, against a full copy of the
# same ferry-testdata bench set (40 images in 10 repositories, half multi-arch with 4
# platforms), registry A -> registry B, both local plain-HTTP docker-registry instances.
#
# Usage: bench/platform.sh [--platform P] [--ferry PATH] [--testdata PATH] [--keep]
#
# Prints, for the full copy and the narrowed one: blob bytes served by A (from A's access
# log), bytes stored in B, requests to B and wall time, next to the bytes the chosen
# platform needs (computed from the layouts). Exits 1 when the narrowed copy moved a byte
# more than the platform needs, or when B does not hold exactly the chosen platform.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/registry.sh
source "$root/bench/lib/registry.sh"
# shellcheck source=lib/common.sh
source "$root/bench/lib/common.sh"

platform=linux/amd64
ferry=""
testdata=""
keep=0
die() {
  echo "platform.sh: $*" >&2
  exit 2
}
while (($#)); do
  case $1 in
    --platform) platform=${2:?}; shift 2 ;;
    --ferry) ferry=${2:?}; shift 2 ;;
    --testdata) testdata=${2:?}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1'" ;;
  esac
done
bench_find_binaries "$root"
for tool in "$REGISTRY_BIN" jq awk; do command -v "$tool" >/dev/null || die "'$tool' not found"; done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-platform.XXXXXX")
regA=$tmp/registry-a
regB=$tmp/registry-b
cleanup() {
  local status=$?
  registry_stop "$regA" || true
  registry_stop "$regB" || true
  if ((keep)); then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
  exit "$status"
}
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

log "generating the bench set"
"$testdata" bench "$tmp/layouts" >"$tmp/images.txt" 2>/dev/null
registry_start "$regA"
registry_start "$regB"
A=$(registry_addr "$regA")
B=$(registry_addr "$regB")
: >"$tmp/push.txt"
: >"$tmp/ab.txt"
while IFS= read -r line; do
  dir=${line%:*} tag=${line##*:} repo=$(basename "${line%:*}")
  echo "oci:$dir:$tag=docker://$A/bench/$repo:$tag" >>"$tmp/push.txt"
  echo "docker://$A/bench/$repo:$tag=docker://$B/bench/$repo:$tag" >>"$tmp/ab.txt"
done <"$tmp/images.txt"
log "pushing the set into A"
"$ferry" copy -q --dest-use-http -f "$tmp/push.txt"

# Bytes of the distinct blobs (configs and layers) each selection needs, from the layouts.
os=${platform%%/*} rest=${platform#*/} arch=${rest%%/*}
blobs_of() { # layout digest all|platform
  local file=$1/blobs/${2/://}
  if jq -e '.manifests' "$file" >/dev/null; then
    local child
    if [[ $3 == all ]]; then
      for child in $(jq -r '.manifests[].digest' "$file"); do blobs_of "$1" "$child" all; done
    else
      for child in $(jq -r --arg os "$os" --arg arch "$arch" \
        '.manifests[] | select(.platform.os == $os and .platform.architecture == $arch) | .digest' "$file"); do
        blobs_of "$1" "$child" all
      done
    fi
  else
    jq -r '[.config] + .layers | .[] | "\(.digest) \(.size)"' "$file"
  fi
}
for selection in all platform; do
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
stored_bytes() { du -sb "$1/data/docker/registry/v2/blobs" 2>/dev/null | awk '{ print $1 }'; }

run() { # name, extra ferry flags...
  local name=$1 markA markB start end
  shift
  registry_restart_wiped "$regB"
  markA=$(registry_log_mark "$regA")
  markB=$(registry_log_mark "$regB")
  start=$EPOCHREALTIME
  "$ferry" copy -q --source-use-http --dest-use-http "$@" -f "$tmp/ab.txt"
  end=$EPOCHREALTIME
  blob_bytes_served "$regA" "$markA" >"$tmp/served"
  printf '| %s | %s | %s | %s | %s |\n' "$name" "$(cat "$tmp/served")" "$(stored_bytes "$regB")" \
    "$(registry_requests_since "$regB" "$markB" | awk '$1 == "TOTAL" { print $2 }')" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')"
}

echo
echo "## ferry copy --platform $platform, bench set, A -> B"
echo
echo "bytes of blobs needed: every platform $(cat "$tmp/needed-all"), $platform only $(cat "$tmp/needed-platform")"
echo
echo "| copy | blob bytes read from A | bytes stored in B (blobs + manifests) | requests to B | seconds |"
echo "|---|---|---|---|---|"
run "every platform"
run "--platform $platform" --platform "$platform"
if [[ $(cat "$tmp/served") != $(cat "$tmp/needed-platform") ]]; then
  echo "FAIL: the narrowed copy read $(cat "$tmp/served") blob bytes from A; $platform needs $(cat "$tmp/needed-platform")"
  exit 1
fi

# Check the narrowed copy: every tag on B is one image of the chosen platform.
bad=0
while IFS= read -r line; do
  tag=${line##*:} repo=$(basename "${line%:*}")
  raw=$(curl -fsS -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json' \
    "http://$B/v2/bench/$repo/manifests/$tag")
  if jq -e '.manifests' <<<"$raw" >/dev/null; then bad=$((bad + 1)); fi
done <"$tmp/images.txt"
echo
if ((bad)); then
  echo "FAIL: $bad tags on B are still indexes"
  exit 1
fi
echo "check: every tag on B is a single $platform image"
