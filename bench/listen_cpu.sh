#!/usr/bin/env bash
# CPU cost of `popwatch listen` while monitoring, through the real capture path, on a machine
# with or without a sound card: a private PulseAudio daemon with a null sink (tests/live/pulse.sh)
# is the microphone. Reports user+system CPU seconds of the popwatch process over the run as a
# percentage of one core in the steady state (from 5 s in), with the sound server's CPU beside it.
#   bench/listen_cpu.sh [SECONDS] [CHANNELS] [quiet|office] [extra listen options...]
# quiet: the null sink plays nothing (digital silence); office: the demo office recording
# (typing, mouse, speech, knocks, pops) loops into it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60} channels=${2:-1} scene=${3:-quiet}
shift $(( $# < 3 ? $# : 3 ))
dir=$(mktemp -d /tmp/popwatch-cpu.XXXXXX)
tests/live/pulse.sh start "$dir/pulse" >/dev/null
player=
cleanup() {
    [ -n "$player" ] && kill "$player" 2>/dev/null || true
    tests/live/pulse.sh stop "$dir/pulse"
    rm -rf "$dir"
}
trap cleanup EXIT
export XDG_RUNTIME_DIR=$dir/pulse
if [ "$scene" = office ]; then
    XDG_CACHE_HOME=$dir build/popwatch analyze --demo >/dev/null 2>&1
    (
        trap 'kill "$child" 2>/dev/null; exit 0' TERM
        while :; do
            paplay --device=virt "$dir/popwatch/demo-office.wav" &
            child=$!
            wait "$child" || exit 0
        done
    ) &
    player=$!
fi
pulse_pid=$(cat "$dir/pulse/pulse/pid")
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
build/popwatch listen --rate 48000 --channels "$channels" --for "$seconds" --format csv "$@" \
    >"$dir/events.csv" 2>"$dir/err" &
pid=$!
# Steady state: from 5 s in (after PortAudio's device scan and the stream's start) to 1 s before the end.
sleep 5
t0=$(date +%s.%N) c0=$(ticks "$pid") p0=$(ticks "$pulse_pid")
sleep "$((seconds - 6))"
t1=$(date +%s.%N) c1=$(ticks "$pid") p1=$(ticks "$pulse_pid")
wait "$pid"
events=$(($(wc -l <"$dir/events.csv") - 1))
awk -v t="$(echo "$t1 - $t0" | bc)" -v c="$((c1 - c0))" -v p="$((p1 - p0))" -v hz="$hz" -v ch="$channels" -v sc="$scene" \
    -v ev="$events" -v opts="$*" \
    'BEGIN { printf "%s, 48 kHz, %d ch %s: popwatch %.2f %% of one core (%.2f s CPU in %.0f s); sound server %.2f %%; %d events\n",
             sc, ch, opts, 100 * c / hz / t, c / hz, t, 100 * p / hz / t, ev }'
grep -E "monitored|overflows" "$dir/err" | sed 's/^/  /'
