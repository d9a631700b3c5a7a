#!/usr/bin/env bash
# Reproduces dsp/models/pop_classifier.json and clunk_classifier.json: renders 15 h of DEVELOPMENT-split recordings
# (seeds 5000+, never the benchmark's test seeds or split), collects every candidate's features
# with its true class, and trains the gradient-boosted trees. The pop model also learns from 30 h more of the
# same (seeds 9000+) and 15 h whose pops are drawn from wider shapes (seeds 16000+, --wide-pops), and reads
# act_pre_db (the activity before the act) in place of pre_db. Then the same again with features
# measured as listen --quick decides (12 ms after the onset) for quick_pop_classifier.json and
# quick_clunk_classifier.json. The clunk model also sees the thud-body features, and 10 h more of
# development audio with 4 clunks a minute (seeds 6000+): at 1 a minute there are too few clunks to
# learn them from. About 30 minutes on 2 cores.
#   bench/train.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mkdir -p "$build/train"
"$build/bench/popwatch_collect_features" --files 180 --minutes 5 --episodes-per-min 4 --clunks-per-min 1 --seed-base 5000 \
    --out "$build/train/features.csv"
"$build/bench/popwatch_collect_features" --files 360 --minutes 5 --episodes-per-min 4 --clunks-per-min 1 --seed-base 9000 \
    --out "$build/train/features_more.csv"
"$build/bench/popwatch_collect_features" --files 180 --minutes 5 --episodes-per-min 4 --clunks-per-min 1 --seed-base 16000 \
    --wide-pops --out "$build/train/features_wide.csv"
"$build/bench/popwatch_train_classifier" --features "$build/train/features.csv" --features "$build/train/features_more.csv" \
    --features "$build/train/features_wide.csv" --with act_pre_db --without pre_db --out dsp/models/pop_classifier.json \
    --depth 6 --rounds 1200 --eta 0.1 --hold-hours 12
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
