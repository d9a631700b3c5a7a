#!/usr/bin/env bash
# listen --air-device through a sound server (BENCHMARKS.md, "Two devices: clock alignment"): a
# private PulseAudio daemon (tests/live/pulse.sh) with two null sinks; the body device is the
# default source (virt.monitor), the air device an ALSA pcm of type pulse on virt2.monitor,
# defined in a private asoundrc. The scene is played into both sinks, the air copy ~250 ms later:
#   demo: the 3-minute demo scene (mono) into both sinks;
#   dual: a 3-minute `synth --scenario dual` recording (seed 5), its contact channel into the
#         body sink and its laptop-mic channel into the air sink (bench/split_channels.py).
# Null sinks share the server's clock: this shows the offset, not drift.
#   bench/two_devices_pulse.sh [SECONDS] [demo|dual]   (default 200 demo; from the source tree)
set -euo pipefail
seconds=${1:-200} scene=${2:-demo}
dir=$(mktemp -d /tmp/popwatch-two-devices.XXXXXX)
tests/live/pulse.sh start "$dir/run"
trap 'tests/live/pulse.sh stop "$dir/run"; rm -rf "$dir"' EXIT
export XDG_RUNTIME_DIR=$dir/run
mkdir -p "$dir/config/alsa"
cat >"$dir/config/alsa/asoundrc" <<ASOUND
pcm.popwatch_air {
  type pulse
  device "virt2.monitor"
  hint { show on
    description "second null sink" }
}
ASOUND
if [ "$scene" = dual ]; then
    build/popwatch synth --scenario dual --minutes 3 --seed 5 --out "$dir/scene" >/dev/null
    python3 bench/split_channels.py "$dir/scene/dual-5.wav" "$dir/scene/ch"
    body_wav=$dir/scene/ch-1.wav air_wav=$dir/scene/ch-2.wav labels=$dir/scene/dual-5.labels.csv
else
    build/popwatch synth --scenario demo --out "$dir/scene" >/dev/null
    body_wav=$dir/scene/demo-1.wav air_wav=$dir/scene/demo-1.wav labels=$dir/scene/demo-1.labels.csv
fi
XDG_CONFIG_HOME=$dir/config build/popwatch listen --air-device popwatch_air --sites upper-back --rate 48000 \
    --for "$seconds" --format csv --no-record >"$dir/events.csv" 2>"$dir/stderr.txt" &
listen=$!
sleep 3
(sleep 0.25; paplay --device=virt2 "$air_wav") &
paplay --device=virt "$body_wav"
wait $listen
cat "$dir/stderr.txt"
echo "events: $(($(wc -l <"$dir/events.csv") - 1)); labelled: $(($(wc -l <"$labels") - 1))"
cut -d, -f2,4,6,7 "$dir/events.csv"
