#!/usr/bin/env bash
# Installs ferry's build and test dependencies (Debian packages only), builds
# ferry, and runs the built-in example: `ferry mirror` of the operator catalog and
# images shipped in examples/mirror into an archive, and `ferry describe` of it.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libsimdjson-dev libyaml-cpp-dev
  libarchive-dev zlib1g-dev libzstd-dev libcli11-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  libgtest-dev googletest
  # for the tests and benchmarks: a real registry and independent clients
  docker-registry skopeo umoci apache2-utils openssl curl jq
  # release signatures: gpgv verifies them (also at run time), gpg makes the tests' throw-away keys
  gpgv gnupg
  # packaging tests (h6): the container recipe is built with buildah when it can run
  buildah
  # for the fuzz targets (fuzz/, docs/fuzzing.md): clang and its libFuzzer
  clang libclang-rt-14-dev
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"

echo
echo "== built-in example: mirror an operator catalog and an image to an archive (mirror-to-disk), then describe it"
# examples/mirror/images is an OCI layout holding a two-platform operator catalog, its bundle and
# operator images and an additional image, all named registry.example.com/demo/...;
# --source-mirror reads them from there (ferry-testdata mirror-example wrote it).
out="$(mktemp -d)/archive"
./build/bin/ferry mirror -c examples/mirror/imageset-config.yaml \
  --source-mirror registry.example.com/demo=oci:examples/mirror/images "file://$out"
./build/bin/ferry describe "$out"
echo "(the archive is in $out; load it into a registry with: build/bin/ferry mirror --from file://$out docker://HOST:PORT/NS)"
