#!/usr/bin/env bash
# Fuzz every parser of outside input with libFuzzer (clang; ASan + UBSan on everything):
#   fuzz_labels  label files (CSV, Audacity label tracks) and confounder lists
#   fuzz_audio   any bytes as an audio file through `analyze`'s path: libsndfile, checks, detector
#   fuzz_config  the config file (TOML and its field tables) and the --sites syntax of its [sites]
# Each target first replays every kept regression input (fuzz/regressions/TARGET/: inputs that
# once crashed, fixed since; all must pass), then fuzzes for SECONDS from the seeds in
# fuzz/seeds/TARGET/. A crash leaves its input in build-fuzz/crashes/ and fails the run: fix
# it, then keep the input in fuzz/regressions/TARGET/.
#   scripts/fuzz.sh [SECONDS]      (default 30 per target; CI runs a short pass)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
scripts/setup.sh --no-build  # clang and libclang-rt (libFuzzer) are in its package list

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOPWATCH_FUZZ=ON \
  -DPOPWATCH_TESTS=OFF -DPOPWATCH_BENCH=OFF -DPOPWATCH_WERROR=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_labels fuzz_audio fuzz_config 2>&1 | grep -Ev '^\[ *[0-9]+%\]|^-- ' || true

mkdir -p build-fuzz/crashes
status=0
for target in labels audio config; do
  exe=build-fuzz/fuzz/fuzz_$target
  regressions=(fuzz/regressions/$target/*)
  if [ -e "${regressions[0]}" ]; then
    "$exe" -runs=0 "${regressions[@]}" >build-fuzz/$target-regressions.log 2>&1 ||
      { echo "fuzz: $target: a kept regression input fails again (build-fuzz/$target-regressions.log)" >&2; status=1; }
  fi
  corpus=build-fuzz/corpus/$target  # grows between local runs; the repository keeps only seeds
  mkdir -p "$corpus"
  if "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix=build-fuzz/crashes/$target- -print_final_stats=1 \
      "$corpus" "fuzz/seeds/$target" >build-fuzz/$target.log 2>&1; then
    echo "fuzz: $target: $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' build-fuzz/$target.log | grep -Eo '[0-9]+$') runs in ${seconds} s, no crash"
  else
    echo "fuzz: $target: CRASH, input in build-fuzz/crashes/ (log: build-fuzz/$target.log)" >&2
    tail -n 30 build-fuzz/$target.log >&2
    status=1
  fi
done
exit $status
