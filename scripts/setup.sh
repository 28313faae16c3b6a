#!/usr/bin/env bash
# Installs ferry's build and test dependencies (Debian packages only), builds
# ferry, and runs the built-in example: the multi-arch sample image shipped in
# examples/ is copied into a new OCI layout, and its tree is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libsimdjson-dev libyaml-cpp-dev
  libarchive-dev zlib1g-dev libzstd-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev googletest
  # for the tests and benchmarks: a real registry and independent clients
  docker-registry skopeo umoci apache2-utils openssl curl jq
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
echo "== built-in example: copy the multi-arch sample (examples/multiarch) into a new OCI layout"
out="$(mktemp -d)/layout"
./build/bin/ferry copy oci:examples/multiarch:demo "oci:$out:demo"
./build/bin/ferry inspect "oci:$out:demo"
echo "(the copy is in $out)"
