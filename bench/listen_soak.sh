#!/usr/bin/env bash
# Memory soak of the capture path: hours of audio through PortAudio -> ring -> detector -> sinks,
# faster than real time. An ALSA `file` plugin device ("soak") reads raw float frames from a FIFO
# (`infile`) that popwatch_soak_feed fills by looping a busy synthesised office recording; its
# slave is ALSA's `null` device, which never waits, so PortAudio's callback runs as fast as it is
# fed and the ring overruns, counted, whenever the analysis falls behind. popwatch's resident
# memory is sampled every 10 s.
#   bench/listen_soak.sh [SECONDS=300]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
dir=$(mktemp -d /tmp/popwatch-soak.XXXXXX)
feeder=
cleanup() {
    [ -n "$feeder" ] && kill "$feeder" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
build/popwatch synth --scenario negatives --seed 77 --minutes 10 --rate 48000 --out "$dir" --stem office >/dev/null
mkfifo "$dir/audio.fifo"
mkdir -p "$dir/config/alsa"
cat >"$dir/config/alsa/asoundrc" <<EOF
pcm.soak {
    type file
    slave.pcm "null"
    file "/dev/null"
    infile "$dir/audio.fifo"
    format "raw"
}
EOF
build/bench/popwatch_soak_feed "$dir/office.wav" "$dir/audio.fifo" &
feeder=$!
start=$SECONDS
XDG_CONFIG_HOME=$dir/config build/popwatch listen --device soak --rate 48000 --for "$seconds" --format csv \
    >"$dir/events.csv" 2>"$dir/err" &
pid=$!
echo "elapsed_s rss_kb"
while sleep 10 && [ -r "/proc/$pid/status" ]; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$rss" ] && echo "$((SECONDS - start)) $rss"
done
wait "$pid"
cat "$dir/err"
echo "events printed: $(($(wc -l <"$dir/events.csv") - 1))"
