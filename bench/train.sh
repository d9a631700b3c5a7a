#!/usr/bin/env bash
# Reproduces dsp/models/pop_classifier.json and clunk_classifier.json: renders 15 h of DEVELOPMENT-split recordings
# (seeds 5000+, never the benchmark's test seeds or split), collects every candidate's features
# with its true class, and trains the gradient-boosted trees. Then the same again with features
# measured as listen --quick decides (12 ms after the onset) for quick_pop_classifier.json and
# quick_clunk_classifier.json. The clunk model also sees the thud-body features, and 10 h more of
# development audio with 4 clunks a minute (seeds 6000+): at 1 a minute there are too few clunks to
# learn them from. About 12 minutes on 2 cores.
#   bench/train.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mkdir -p "$build/train"
"$build/bench/popwatch_collect_features" --files 180 --minutes 5 --episodes-per-min 4 --clunks-per-min 1 --seed-base 5000 \
    --out "$build/train/features.csv"
"$build/bench/popwatch_train_classifier" --features "$build/train/features.csv" --out dsp/models/pop_classifier.json \
    --depth 6 --rounds 600 --eta 0.1 --hold-hours 3
"$build/bench/popwatch_collect_features" --files 120 --minutes 5 --episodes-per-min 4 --clunks-per-min 4 --seed-base 6000 \
    --out "$build/train/clunk_rich.csv"
"$build/bench/popwatch_train_classifier" --features "$build/train/features.csv" --features "$build/train/clunk_rich.csv" \
    --out dsp/models/clunk_classifier.json --target clunk --body --depth 4 --rounds 800 --eta 0.1 --hold-hours 5
# The quick models (DetectorConfig::quick): the same recordings, features measured 12 ms after the onset.
"$build/bench/popwatch_collect_features" --quick --files 180 --minutes 5 --episodes-per-min 4 --clunks-per-min 1 \
    --seed-base 5000 --out "$build/train/quick_features.csv"
"$build/bench/popwatch_train_classifier" --features "$build/train/quick_features.csv" \
    --out dsp/models/quick_pop_classifier.json --depth 6 --rounds 600 --eta 0.1 --hold-hours 3
"$build/bench/popwatch_train_classifier" --features "$build/train/quick_features.csv" \
    --out dsp/models/quick_clunk_classifier.json --target clunk --depth 4 --rounds 300 --eta 0.1 --hold-hours 3
