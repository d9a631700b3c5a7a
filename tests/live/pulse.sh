#!/usr/bin/env bash
# CTest fixture for the live-capture tests, on machines with or without a sound card: a private
# PulseAudio daemon (its own XDG_RUNTIME_DIR) with a null sink "virt" whose monitor is the default
# source, so PortAudio's ALSA "default" device hears whatever `paplay --device=virt` plays. A second
# null sink "virt2" is bench/two_devices_pulse.sh's air microphone. For the listen --air-device
# test, a stereo null sink "pair" whose left channel is the source "pair_body" and whose right is
# "pair_air", each reached as a device of its own through an ALSA pcm of type pulse
# (tests/tools/listen_cli_test.cpp): one stereo stream played into "pair" reaches both with the
# offset written in the file, where two players, one per sink, start apart by however late the
# second one got going (over half a second, once, on a loaded machine).
#   pulse.sh start DIR   start it (stopping a leftover one first); DIR is created 0700
#   pulse.sh stop DIR    stop it by the pid in DIR/pulse/pid and remove DIR
set -euo pipefail
cmd=${1:?start|stop} dir=${2:?runtime dir}
export XDG_RUNTIME_DIR=$dir

stop() {
    local pidfile=$dir/pulse/pid pid
    if [ -f "$pidfile" ]; then
        pid=$(cat "$pidfile")
        if kill "$pid" 2>/dev/null; then
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$dir"
}

case $cmd in
start)
    command -v pulseaudio >/dev/null || { echo "pulse.sh: pulseaudio is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
    stop
    mkdir -p "$dir"
    chmod 700 "$dir"
    # auth-anonymous: the socket sits in a 0700 directory, so only this user can reach it, and
    # clients need no cookie in $HOME. -n: no default.pa (no hardware modules on a CI machine).
    pulseaudio -n --daemonize=yes --exit-idle-time=-1 --log-target="file:$dir/pulse.log" \
        -L "module-native-protocol-unix auth-anonymous=1" \
        -L "module-null-sink sink_name=virt rate=48000" \
        -L "module-null-sink sink_name=virt2 rate=48000" \
        -L "module-null-sink sink_name=pair channels=2 rate=48000" \
        -L "module-remap-source source_name=pair_body master=pair.monitor channels=1 master_channel_map=front-left channel_map=mono" \
        -L "module-remap-source source_name=pair_air master=pair.monitor channels=1 master_channel_map=front-right channel_map=mono" \
        2>>"$dir/pulse.log"
    for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
    pactl set-default-source virt.monitor
    pactl set-default-sink virt
    echo "pulse.sh: PulseAudio running (pid $(cat "$dir/pulse/pid")) in $dir"
    ;;
stop) stop ;;
*) echo "usage: pulse.sh start|stop DIR" >&2; exit 2 ;;
esac
