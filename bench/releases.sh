#!/usr/bin/env bash
# Benchmark: `ferry mirror` of OpenShift releases (mirror.platform) against `skopeo sync` of the same
# images, on a plan of 4 releases x 4 architectures x 190 components made by ferry-testdata
# (`releases --per-arch-components yes`: each payload's components are images of its own architecture
# on one base layer per architecture; one component in three changes with each version, the others are
# shared by all four versions, as in real z-streams), with local plain-HTTP docker-registry instances
# and a loopback update-graph server (python3).
#
# Usage: bench/releases.sh [--ferry PATH] [--testdata PATH] [--components N] [--keep]
#
#   --ferry PATH      the ferry binary (default build-main/bin/ferry, then build/bin/ferry)
#   --testdata PATH   the ferry-testdata binary (default: next to ferry)
#   --components N    components per payload (default 190)
#   --keep            keep the temporary directory (layout, registries, workspaces, logs)
#
# Setup (not measured): generate the payloads and components, push them into registry A (components
# by digest to openshift-release-dev/ocp-v4.0-art-dev, payloads by tag to .../ocp-release), serve a
# graph of stable-4.18 (4.18.0 -> 4.18.1 -> 4.18.2 -> 4.18.3) per architecture. The payloads name their
# components as registry.example.com/...; ferry reads them from A through --source-mirror.
# Steps (measured), each into a fresh destination registry:
#   plan        ferry mirror --dry-run (cold workspace: graph requests, payload layers read, plan), then
#               again (warm: release-manifests reused); the dry run also checks every image exists at A
#   m2m         ferry mirror -c isc.yaml (channels, 4 architectures, full) A -> B; planning time is the
#               time until ferry says "copying N image(s)", the rest is transfer
#   sync        skopeo sync --all --preserve-digests --src yaml of the same payloads and components A -> B'
# Reported: the times, and the shared-blob dedupe: blobs (and bytes) each release needs, summed over the
# 16 releases, against the distinct blobs that move.
# Needs: docker-registry, skopeo, python3, curl, jq (./scripts/setup.sh installs them).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=lib/registry.sh
source "$here/lib/registry.sh"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"

ferry=""
testdata=""
keep=0
components=190
versions=4.18.0,4.18.1,4.18.2,4.18.3
arches=amd64,arm64,ppc64le,s390x

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() {
  echo "releases.sh: $*" >&2
  exit 2
}
while (($#)); do
  case $1 in
    --ferry) ferry=${2:?--ferry needs a value}; shift 2 ;;
    --testdata) testdata=${2:?--testdata needs a value}; shift 2 ;;
    --components) components=${2:?--components needs a value}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $components =~ ^[1-9][0-9]*$ ]] || die "--components needs a positive whole number"
for tool in "$REGISTRY_BIN" skopeo python3 curl jq; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (install it with ./scripts/setup.sh)"
done
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
bench_find_binaries "$root"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-releases.XXXXXX")
regA=$tmp/registry-a
regD=$tmp/registry-dest
graph_pid=""
cleanup() {
  local status=$?
  [[ -z $graph_pid ]] || kill "$graph_pid" 2>/dev/null || true
  bench_finish "$status" "$tmp" "$regA" "$regD"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bench_private_ferry "$tmp"
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# ---------------------------------------------------------------- the releases
log "generating 4 versions x 4 architectures x $components components with $testdata"
layout=$tmp/layout
"$testdata" releases "$layout" --versions "$versions" --components "$components" --arches "$arches" \
  --per-arch-components yes >"$tmp/images.txt" 2>"$tmp/testdata.log" || { cat "$tmp/testdata.log" >&2; die "ferry-testdata failed"; }

registry_start "$regA"
registry_start "$regD"
A=$(registry_addr "$regA")
D=$(registry_addr "$regD")
log "A = $A (source); destination = $D (wiped before each step)"

# images.txt: "registry.example.com/REPO[:TAG] DIGEST"
awk -v A="$A" -v L="$layout" '{
  name = $1; sub(/^registry\.example\.com\//, "", name)
  if (index(name, ":")) { tag = substr(name, index(name, ":") + 1); repo = substr(name, 1, index(name, ":") - 1)
    print "oci:" L ":" tag "=docker://" A "/" repo ":" tag }
  else print "oci:" L "@" $2 "=docker://" A "/" name "@" $2
}' "$tmp/images.txt" | sort -u >"$tmp/push-mapping.txt"
log "setup: pushing $(wc -l <"$tmp/push-mapping.txt") images into A (ferry copy -f)"
"$ferry" copy -q -f "$tmp/push-mapping.txt" --dest-use-http || die "pushing into A failed"

# The graph server: stable-4.18 per architecture, from the payloads ferry-testdata printed.
python3 - "$tmp/images.txt" "$tmp/graph" <<'PY'
import json, os, sys
arch_of = {"x86_64": "amd64", "aarch64": "arm64", "ppc64le": "ppc64le", "s390x": "s390x"}
graphs = {}
for line in open(sys.argv[1]):
    name, digest = line.split()
    if ":" not in name.split("/")[-1]:
        continue
    repo, tag = name.rsplit(":", 1)
    version, arch = tag.split("-", 1)
    graphs.setdefault(arch_of[arch], []).append({"version": version, "payload": f"{repo}@{digest}",
        "metadata": {"io.openshift.upgrades.graph.release.channels": "stable-4.18",
                     "io.openshift.upgrades.graph.release.manifestref": digest}})
os.makedirs(sys.argv[2], exist_ok=True)
for arch, nodes in graphs.items():
    nodes.sort(key=lambda n: [int(x) for x in n["version"].split(".")])
    edges = [[i, i + 1] for i in range(len(nodes) - 1)]
    json.dump({"version": 1, "nodes": nodes, "edges": edges, "conditionalEdges": []}, open(f"{sys.argv[2]}/{arch}.json", "w"))
PY
cat >"$tmp/graph-server.py" <<'PY'
import http.server, sys, urllib.parse
root = sys.argv[1]
class Graph(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        try:
            body = open(f"{root}/{query['arch'][0]}.json", "rb").read()
            self.send_response(200)
        except (KeyError, OSError):
            body = b'{"kind":"missing_params","value":"arch"}'
            self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Graph)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
python3 "$tmp/graph-server.py" "$tmp/graph" >"$tmp/graph-port" &
graph_pid=$!
for _ in $(seq 50); do [[ -s $tmp/graph-port ]] && break; sleep 0.1; done
graph_url="http://127.0.0.1:$(cat "$tmp/graph-port")/graph"

cat >"$tmp/isc.yaml" <<YAML
apiVersion: mirror.openshift.io/v2alpha1
kind: ImageSetConfiguration
mirror:
  platform:
    architectures: [${arches//,/, }]
    channels:
      - name: stable-4.18
        full: true
YAML
common=(--update-url "$graph_url" --source-mirror "registry.example.com=$A" --source-use-http --dest-use-http)

# skopeo sync of the same list: the payloads by tag, the components by digest.
{
  echo "$A:"
  echo "  tls-verify: false"
  echo "  images:"
  awk '{ name = $1; sub(/^registry\.example\.com\//, "", name)
         if (index(name, ":")) { repo = substr(name, 1, index(name, ":") - 1); ref = substr(name, index(name, ":") + 1) }
         else { repo = name; ref = $2 }
         refs[repo] = refs[repo] (refs[repo] == "" ? "" : ", ") "\"" ref "\"" }
       END { for (r in refs) print "    " r ": [" refs[r] "]" }' "$tmp/images.txt" | sort
} >"$tmp/sync.yaml"

# ---------------------------------------------------------------- the dedupe, from the layout
read -r releases_n refs ref_bytes unique unique_bytes < <(python3 - "$tmp/images.txt" "$layout" <<'PY'
import json, sys
layout = sys.argv[2]
def blob(d): return json.load(open(f"{layout}/blobs/sha256/{d[7:]}"))
def blobs(d, out):
    m = blob(d)
    if "manifests" in m:
        for c in m["manifests"]: blobs(c["digest"], out)
    else:
        for b in [m["config"]] + m.get("layers", []): out[b["digest"]] = b["size"]
import os, tarfile, io
payloads = [l.split() for l in open(sys.argv[1]) if ":" in l.split()[0].split("/")[-1]]
refs = ref_bytes = 0
union = {}
for name, digest in payloads:
    need = {}
    blobs(digest, need)
    m = blob(digest)
    # the components: image-references in the payload's top layer
    top = m["layers"][-1]["digest"]
    with tarfile.open(f"{layout}/blobs/sha256/{top[7:]}") as t:
        refs_doc = json.load(t.extractfile("release-manifests/image-references"))
    for tag in refs_doc["spec"]["tags"]:
        blobs(tag["from"]["name"].split("@")[1], need)
    refs += len(need); ref_bytes += sum(need.values()); union.update(need)
print(len(payloads), refs, ref_bytes, len(union), sum(union.values()))
PY
)
log "dedupe: $releases_n releases need $refs blobs ($ref_bytes bytes) summed; $unique distinct ($unique_bytes bytes)"

# ---------------------------------------------------------------- measuring
fresh_dest() { registry_restart_wiped "$regD"; }
# Runs ferry with its notes timestamped: prints "total-seconds plan-seconds" (plan: until "copying").
timed_ferry() {
  local start line plan=""
  start=$(now)
  while IFS= read -r line; do
    if [[ -z $plan && $line == *"copying "*" image(s)"* ]]; then plan=$(elapsed "$start" "$(now)"); fi
    printf '%s\n' "$line" >>"$tmp/ferry-notes.log"
  done < <("$ferry" "$@" 2>&1)
  echo "$(elapsed "$start" "$(now)") ${plan:--}"
}

log "ferry: $ferry_origin (sha256 $ferry_id); $(skopeo --version)"
read -r plan_cold _ < <(timed_ferry mirror -c "$tmp/isc.yaml" --workspace "file://$tmp/ws-plan" --dry-run \
  "docker://$D/mirror" "${common[@]}")
read -r plan_warm _ < <(timed_ferry mirror -c "$tmp/isc.yaml" --workspace "file://$tmp/ws-plan" --dry-run \
  "docker://$D/mirror" "${common[@]}")
planned=$(wc -l <"$tmp/ws-plan/working-dir/dry-run/mapping.txt")
log "dry run: $planned images planned; cold $plan_cold s, warm $plan_warm s"

fresh_dest
read -r m2m_total m2m_plan < <(timed_ferry mirror -c "$tmp/isc.yaml" --workspace "file://$tmp/ws-m2m" \
  "docker://$D/mirror" "${common[@]}")
m2m_status=OK
grep -q "error" "$tmp/ws-m2m/working-dir/logs/"mirroring_errors_* 2>/dev/null && m2m_status=FAILED
read -r noop_total noop_plan < <(timed_ferry mirror -c "$tmp/isc.yaml" --workspace "file://$tmp/ws-m2m" \
  "docker://$D/mirror" "${common[@]}")
log "m2m: $m2m_total s (planning $m2m_plan s); no-op re-run $noop_total s (planning $noop_plan s)"
# A payload and a component at B, digest for digest.
check() {
  curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json" \
    "http://$1/v2/$2/manifests/$3" | sha256sum | awk '{ print "sha256:" $1 }'
}
first_payload=$(awk '/ocp-release:4.18.3-x86_64 / { print $2 }' "$tmp/images.txt")
[[ $(check "$D" mirror/openshift/release-images 4.18.3-x86_64) == "$first_payload" ]] || m2m_status="FAILED(digest)"

fresh_dest
sync_start=$(now)
sync_status=OK
skopeo sync --all --preserve-digests --src yaml --dest docker --dest-tls-verify=false "$tmp/sync.yaml" "$D/sync" \
  >"$tmp/sync.log" 2>&1 || sync_status=FAILED
sync_total=$(elapsed "$sync_start" "$(now)")
log "skopeo sync: $sync_total s ($sync_status)"

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
cat <<REPORT

## Releases: 4 versions x 4 architectures x $components components (bench/releases.sh)

- ferry $commit (sha256 $ferry_id); $(skopeo --version); $("$REGISTRY_BIN" --version 2>/dev/null | head -n 1)
- machine: $(nproc) CPUs, load average at the end $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: figures are indicative)
- $releases_n payloads, $planned images planned; blobs needed summed over the releases: $refs ($ref_bytes bytes);
  distinct: $unique ($unique_bytes bytes): dedupe ratio $(awk -v a="$unique" -v b="$refs" 'BEGIN { printf "%.3f", a / b }')
  of the blobs, $(awk -v a="$unique_bytes" -v b="$ref_bytes" 'BEGIN { printf "%.3f", a / b }') of the bytes

| step | seconds | |
|---|---|---|
| dry run, cold workspace (graph, payload layers, plan, existence check of every image) | $plan_cold | |
| dry run, warm workspace | $plan_warm | |
| ferry mirror-to-mirror A → B: planning (until the copy starts) | $m2m_plan | goal < 2 s |
| ferry mirror-to-mirror A → B: total | $m2m_total | $m2m_status |
| ferry no-op re-run: planning / total | $noop_plan / $noop_total | |
| skopeo sync --all --preserve-digests, same payloads and components A → B' | $sync_total | $sync_status |
REPORT
