#!/usr/bin/env bash
# The fast test suite under sanitizers, each in its own build directory:
#   scripts/sanitize.sh address   ASan + UBSan (build-asan): memory errors, leaks, undefined behaviour
#   scripts/sanitize.sh thread    TSan (build-tsan): data races between the capture and analysis threads
# Without an argument, both. About 10 minutes each on 2 cores; not part of the CI run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-build
kinds=("$@")
status=0
[ ${#kinds[@]} -gt 0 ] || kinds=(address thread)
for kind in "${kinds[@]}"; do
  dir=build-${kind/address/asan}
  dir=${dir/thread/tsan}
  # Warnings are not errors here: GCC 12 reports false maybe-uninitialized ones in libstdc++
  # under the sanitizers.
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOPWATCH_SANITIZE="$kind" -DPOPWATCH_BENCH=ON \
    -DPOPWATCH_WERROR=OFF >/dev/null
  cmake --build "$dir" -j"$(nproc)" 2>&1 | grep -Ev '^\[ *[0-9]+%\]|^-- ' || true
  # halt_on_error: the first report fails the test that caused it.
  # Reports go to files under $dir/sanitizer/ (listen silences its children's stderr), printed
  # at the end.
  rm -rf "$dir/sanitizer" && mkdir -p "$dir/sanitizer"
  # Leaks inside the audio stack PortAudio dlopen()s (ALSA, its PulseAudio plugin) are suppressed
  # (scripts/lsan.supp); full unwinding on malloc so their stacks name those libraries.
  # TSan ignores the libc calls made inside libpulse, whose own atomics it cannot see
  # (scripts/tsan.supp).
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:fast_unwind_on_malloc=0:log_path=$PWD/$dir/sanitizer/asan \
  LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp:fast_unwind_on_malloc=0 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$PWD/$dir/sanitizer/ubsan \
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp:log_path=$PWD/$dir/sanitizer/tsan \
    ctest --test-dir "$dir" -L fast --output-on-failure -j"$(nproc)" --timeout 1800 || status=1
  if compgen -G "$dir/sanitizer/*" >/dev/null; then
    cat "$dir"/sanitizer/* >&2
    status=1
  fi
done
exit $status
