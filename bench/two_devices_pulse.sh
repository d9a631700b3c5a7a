#!/usr/bin/env bash
# listen --air-device through a sound server (BENCHMARKS.md, "Two devices: clock alignment"): a
# private PulseAudio daemon (tests/live/pulse.sh) with two null sinks; the body device is the
# default source (virt.monitor), the air device an ALSA pcm of type pulse on virt2.monitor,
# defined in a private asoundrc. The demo scene is played into both sinks, the air copy
# ~250 ms later. Null sinks share the server's clock: this shows the offset, not drift.
#   bench/two_devices_pulse.sh [SECONDS]   (default 200; run from the source tree, after a build)
set -euo pipefail
seconds=${1:-200}
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
build/popwatch synth --scenario demo --out "$dir/scene" >/dev/null
XDG_CONFIG_HOME=$dir/config build/popwatch listen --air-device popwatch_air --sites upper-back --rate 48000 \
    --for "$seconds" --format csv --no-record >"$dir/events.csv" 2>"$dir/stderr.txt" &
listen=$!
sleep 3
(sleep 0.25; paplay --device=virt2 "$dir/scene/demo-1.wav") &
paplay --device=virt "$dir/scene/demo-1.wav"
wait $listen
cat "$dir/stderr.txt"
echo "events: $(($(wc -l <"$dir/events.csv") - 1)) (the demo scene has 12 pops and 1 clunk)"
cut -d, -f2,4,6,7 "$dir/events.csv"
