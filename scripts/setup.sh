#!/usr/bin/env bash
# Install what popwatch needs from Debian's archive (idempotent, quiet when all is there),
# then configure and build. Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config
  libkissfft-dev libsndfile1-dev portaudio19-dev libsqlite3-dev
  catch2 libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libtomlplusplus-dev
  libxgboost-dev aubio-tools python3-mir-eval python3-numpy
  clang libclang-rt-14-dev
  pulseaudio pulseaudio-utils libasound2-plugins
  sqlite3 tzdata libnotify-bin chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "${1:-}" = "--no-build" ] && exit 0
build_type=${POPWATCH_BUILD_TYPE:-Release}
cmake -S . -B build -DCMAKE_BUILD_TYPE="$build_type" ${POPWATCH_CMAKE_ARGS:-} >/dev/null
cmake --build build -j"$(nproc)" 2>&1 | grep -Ev '^\[ *[0-9]+%\]|^-- ' || true
test -x build/popwatch || { echo "setup: build failed" >&2; exit 1; }
