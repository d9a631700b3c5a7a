#!/usr/bin/env bash
# Reproduces dsp/models/dual_classifier.json (issue #8, the air reference): renders 2 h of
# DEVELOPMENT-split dual recordings (contact sensor + laptop mic; dual and dual-negatives, seeds
# 5000+, never the benchmark's seeds or the test split), keeps the candidates the dual model
# decides, and trains pop-vs-other trees on all features (the single ones and the air
# reference's). The single-sensor models are untouched (bench/train.sh).
#   bench/train_dual.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mkdir -p "$build/train"
"$build/bench/popwatch_collect_features" --dual --files 30 --minutes 4 --episodes-per-min 3 --clunks-per-min 0.5 \
    --seed-base 5000 --out "$build/train/dual_features.csv"
"$build/bench/popwatch_train_classifier" --dual --features "$build/train/dual_features.csv" \
    --out dsp/models/dual_classifier.json --depth 5 --rounds 400 --eta 0.1 --hold-hours 0.4
