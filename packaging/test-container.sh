#!/bin/sh
# Builds packaging/Containerfile with buildah and runs `ferry version` in the
# image. Exits 77 (ctest: skipped) with the reason when buildah cannot run here.
set -eu
source_dir=$1
if ! command -v buildah >/dev/null 2>&1; then
  echo "SKIPPED: buildah is not installed (apt-get install buildah)"; exit 77
fi
if ! buildah info >/dev/null 2>&1; then
  echo "SKIPPED: buildah is installed but cannot run on this machine: $(buildah info 2>&1 | tail -1)"; exit 77
fi
# The Containerfile's base images must already be in local storage: tests
# never reach a public registry (this machine has none it may reach).
for base in $(sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' "$source_dir/packaging/Containerfile" | sort -u); do
  if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
    echo "SKIPPED: base image $base is not in local container storage and tests pull nothing from public registries (buildah pull it first)"; exit 77
  fi
done
tag=localhost/ferry-test:$$
buildah build --pull=never --layers -f "$source_dir/packaging/Containerfile" -t "$tag" "$source_dir"
container=$(buildah from "$tag")
trap 'buildah rm "$container" >/dev/null; buildah rmi "$tag" >/dev/null' EXIT
buildah run "$container" -- /usr/local/bin/ferry version | grep -q '^ferry '
echo "container image OK"
