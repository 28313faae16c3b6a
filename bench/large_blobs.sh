#!/usr/bin/env bash
# Benchmark: peak memory and disk writes with large layers, ferry against skopeo.
#
# One image of 16 layers of 60 MiB (random, incompressible; ~961 MiB; see LAYERS) is pushed to
# registry A; then, for each ferry binary given, in one run on the same machine:
#   copy r->r     ferry copy --parallel 8 docker://A/big:v1 docker://B/big:v1   (B wiped first)
#   copy r->oci   ferry copy --parallel 8 docker://A/big:v1 oci:DIR:v1
#   m2d           ferry mirror -c isc.yaml file://DIR        (additionalImages: A/big:v1)
#   d2m           ferry mirror --from file://DIR docker://B/mirror   (B wiped first)
# and once: skopeo copy --all A -> B. Each line gives wall seconds, peak RSS and the
# bytes the process wrote to disk (GNU time's %O: ru_oublock, the kernel's
# write_bytes accounting in 512-byte blocks, the figure /proc/PID/io reports).
#
# Usage: bench/large_blobs.sh [FERRY_BINARY ...]   (default: build/bin/ferry)
# Environment: LAYERS=N (default 16) layers of LAYER_MIB=M MiB (default 60); LAYERS=1 LAYER_MIB=3072
# is the one-3-GiB-layer set.
# Needs: docker-registry, skopeo, jq, GNU time (/usr/bin/time); ./scripts/setup.sh installs them.
# Uses about 4 GB under $TMPDIR; removes it at the end.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=lib/registry.sh
source "$here/lib/registry.sh"

(($#)) || set -- "$root/build/bin/ferry"
testdata=$(dirname "$1")/ferry-testdata
for tool in "$REGISTRY_BIN" skopeo jq /usr/bin/time "$testdata"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "large_blobs.sh: '$tool' not found" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-large-blobs.XXXXXX")
cleanup() {
  registry_stop "$work/A" || true
  registry_stop "$work/B" || true
  rm -rf "$work"
}
trap cleanup EXIT

layers=${LAYERS:-16}
layer_mib=${LAYER_MIB:-60}
"$testdata" bench "$work/layouts" --repos 1 --images-per-repo 1 --base-layers 0 --layers "$layers" \
  --layer-min-mib "$layer_mib" --layer-max-mib "$layer_mib" --repo-layer-size-mib 1 >/dev/null 2>&1
echo "image: $layers layers of $layer_mib MiB (and a 1 MiB one)"
registry_start "$work/A"
registry_start "$work/B"
A=$(registry_addr "$work/A")
tag=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$work/layouts/app0/index.json")
"$1" copy -q --dest-use-http "oci:$work/layouts/app0:$tag" "docker://$A/big:v1"
printf 'apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nmirror:\n  additionalImages:\n  - name: %s/big:v1\n' \
  "$A" >"$work/isc.yaml"

measure() { # LABEL COMMAND...
  local label=$1
  shift
  /usr/bin/time -o "$work/time" -f "%e %M %O" "$@" >/dev/null
  read -r seconds rss blocks <"$work/time"
  printf '| %s | %s | %d | %d |\n' "$label" "$seconds" $((rss / 1024)) $((blocks * 512 / 1048576))
}
wiped_b() {
  registry_restart_wiped "$work/B"
  registry_addr "$work/B"
}

echo "| step | seconds | peak RSS (MiB) | written to disk (MiB) |"
echo "|---|---|---|---|"
for ferry in "$@"; do
  name="ferry $("$ferry" version -o json | jq -r '.commit // .version')"
  B=$(wiped_b)
  measure "$name copy r->r" "$ferry" copy -q --parallel 8 --source-use-http --dest-use-http "docker://$A/big:v1" "docker://$B/big:v1"
  rm -rf "$work/oci"
  measure "$name copy r->oci" "$ferry" copy -q --parallel 8 --source-use-http "docker://$A/big:v1" "oci:$work/oci:v1"
  rm -rf "$work/disk"
  measure "$name mirror m2d" "$ferry" mirror -q -c "$work/isc.yaml" --src-tls-verify=false "file://$work/disk"
  echo "| (archive size) | | | $(($(du -s --block-size=512 "$work/disk" | cut -f1) * 512 / 1048576)) |"
  B=$(wiped_b)
  measure "$name mirror d2m" "$ferry" mirror -q --from "file://$work/disk" --dest-tls-verify=false "docker://$B/mirror"
done
B=$(wiped_b)
measure "skopeo copy --all r->r" skopeo copy -q --all --src-tls-verify=false --dest-tls-verify=false "docker://$A/big:v1" "docker://$B/big:v1"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
