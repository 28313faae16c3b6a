#!/usr/bin/env bash
# Runs every test with ctest. The tests start what they need themselves: real
# docker-registry processes on free loopback ports (plain, basic auth, TLS,
# bearer token) and their token servers, torn down when each test ends.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/CMakeCache.txt ] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure --timeout 600 -j"$(nproc)" "$@"
