#!/usr/bin/python3
"""Where the pop model can stop early (DetectorConfig::pop_early_trees / pop_early_give_up).

Walks a model's trees over the held-out fifth (files with seed % 5 == 4) of training CSVs from
popwatch_collect_features and prints, after 64, 128 and 256 trees, the lowest partial log-odds of a
candidate the whole model calls a pop, and what share of all candidates is under a give-up bound.

  bench/pop_early_exit.py dsp/models/pop_classifier.json build/train/features.csv ...
"""
import csv
import json
import sys

import numpy as np


def main():
    model = json.load(open(sys.argv[1]))["learner"]
    names = model["feature_names"]
    base = float(model["learner_model_param"]["base_score"])
    trees = model["gradient_booster"]["model"]["trees"]
    rows = []
    for path in sys.argv[2:]:
        with open(path) as f:
            reader = csv.reader(f)
            column = {n: i for i, n in enumerate(next(reader))}
            at = [column[n] for n in names]
            for row in reader:
                if int(row[0].rsplit("-", 1)[1]) % 5 == 4:
                    rows.append([float(row[i]) if row[i] not in ("", "na") else np.nan for i in at])
    x = np.array(rows, dtype=np.float32)
    n = len(x)
    total = np.full(n, np.log(base / (1 - base)))
    partial = {}
    for k, t in enumerate(trees):
        left, right = np.array(t["left_children"]), np.array(t["right_children"])
        feature, cond = np.array(t["split_indices"]), np.array(t["split_conditions"], dtype=np.float32)
        default_left = np.array(t["default_left"]) == 1
        node = np.zeros(n, dtype=np.int64)
        while True:
            leaf = left[node] == -1
            if leaf.all():
                break
            v = x[np.arange(n), feature[node]]
            go_left = np.where(np.isnan(v), default_left[node], v < cond[node])
            node = np.where(leaf, node, np.where(go_left, left[node], right[node]))
        total += cond[node]
        if k + 1 in (64, 128, 256):
            partial[k + 1] = total.copy()
    print(f"{n} held-out candidates")
    for p in (0.5, 0.8):
        pops = total >= np.log(p / (1 - p))
        for k, s in partial.items():
            print(f"P >= {p}: {pops.sum()} pops; after {k} trees the lowest is {s[pops].min():.2f}; "
                  f"under -5: {(s < -5).mean():.3f} of candidates ({((s < -5) & pops).sum()} pops)")


if __name__ == "__main__":
    main()
