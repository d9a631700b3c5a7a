#!/usr/bin/env python3
"""Split a 32-bit float WAV (popwatch synth's format) into one mono WAV per channel: IN OUT_PREFIX
writes OUT_PREFIX-1.wav, OUT_PREFIX-2.wav, ... (used by bench/two_devices_pulse.sh --dual)."""
import struct
import sys

data = open(sys.argv[1], "rb").read()
assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", "not a WAV file"
pos, fmt, samples = 12, None, None
while pos + 8 <= len(data):
    tag, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
    body = data[pos + 8:pos + 8 + size]
    if tag == b"fmt ":
        fmt = struct.unpack("<HHIIHH", body[:16])
    elif tag == b"data":
        samples = body
    pos += 8 + size + (size & 1)
code, channels, rate, _, _, bits = fmt
assert bits == 32 and code in (3, 0xFFFE), "expects 32-bit float"
frames = len(samples) // (4 * channels)
for c in range(channels):
    mono = b"".join(samples[(i * channels + c) * 4:(i * channels + c) * 4 + 4] for i in range(frames))
    header = b"RIFF" + struct.pack("<I", 4 + 8 + 16 + 8 + len(mono)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 3, 1, rate, rate * 4, 4, 32)
    header += b"data" + struct.pack("<I", len(mono))
    open(f"{sys.argv[2]}-{c + 1}.wav", "wb").write(header + mono)
