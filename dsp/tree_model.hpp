// Evaluates a gradient-boosted tree ensemble trained by XGBoost (binary:logistic), read from
// XGBoost's JSON model format, without linking XGBoost, and without allocating. Each tree is
// padded to a complete binary tree of the model's depth and stored level by level (node i's
// children at 2i+1 and 2i+2), so a tree is walked without branches on the data, a fixed number of
// steps, several trees at once; the sum is taken in tree order, so it is bit for bit the
// node-by-node walk's (`walked_log_odds`, the reference the tests hold it to). Also gives each
// feature's contribution to the log-odds (Saabas 2014: the change of the cover-weighted mean value
// along the decision path), which --explain prints.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dsp/event.hpp"

namespace popwatch {

class TreeModel {
   public:
    // Throws std::invalid_argument if the text is not an XGBoost binary:logistic tree model whose
    // feature names are all among `feature_names` (so a stale model cannot be used silently).
    static TreeModel from_xgboost_json(std::string_view json);
    // The same model text without the per-node arrays popwatch never reads (gains, weights,
    // parents, categories: about half of XGBoost's text); the trees and their numbers unchanged.
    // For train_classifier, so shipped models are embedded at half the size. Throws as above.
    static std::string trimmed_json(std::string_view json);
    // The parsed model as bytes, and back: how the shipped models are embedded (dsp/model_pack.cpp
    // packs each JSON at build time), so a run starts without parsing megabytes of text. The
    // bytes hold popwatch's own feature indexes, so they are valid only for the build that made
    // them; from_packed checks the format and the feature count and throws std::invalid_argument.
    std::string packed() const;
    static TreeModel from_packed(std::string_view bytes);

    float log_odds(const Features& f) const;
    // The first `first_trees` trees' sum (rounded down to a multiple of 8) when it is under
    // `give_up_below`, otherwise the whole log_odds (bit for bit): a cascade that stops early on a
    // candidate the model is already sure of. Under 8 trees: always the whole log_odds. The caller chooses the bound
    // with a margin from held-out data (DetectorConfig::pop_early_give_up).
    float log_odds_or_give_up(const Features& f, std::size_t first_trees, float give_up_below) const;
    // The same sum, node by node along XGBoost's own arrays: the reference log_odds is tested on.
    float walked_log_odds(const Features& f) const;
    // Fills per-feature contributions; returns the bias (the expected log-odds). bias + sum of
    // contributions == log_odds(f).
    float contributions(const Features& f, std::array<float, Features::count>& out) const;
    std::size_t trees() const { return roots_.size(); }
    int depth() const { return depth_; }
    static constexpr int max_depth = 10;  // deeper models are refused (the padding doubles per level)

   private:
    // 16 bytes, so the ensemble's hot path stays in cache; the means, needed only to explain,
    // live apart.
    struct Node {
        float threshold = 0;     // go left when value < threshold (XGBoost's rule); a leaf's value
        std::int32_t left = -1;  // -1: leaf
        std::int32_t right = -1;
        std::int16_t feature = 0;
        bool default_left = true;  // where NaN goes
    };
    static constexpr std::size_t walk_lanes = 8;  // trees walked at once
    // base + trees [t, end) of the padded layout, summed in tree order.
    float sum_trees(const Features& f, float sum, std::size_t t, std::size_t end) const;
    int leaf_of(int root, const Features& f) const;
    int next(const Node& n, const Features& f) const;

    // The padded layout log_odds walks: per tree 2^depth - 1 splits, then 2^depth leaves. Under a
    // leaf shallower than the depth the splits are arbitrary and every leaf below holds its value.
    struct Split {
        float threshold = 0;
        std::uint16_t feature = 0;
        std::uint16_t nan_right = 0;  // 1: a missing value goes right
    };
    int depth_below(int node, int level) const;
    void pad(std::size_t tree, int node, std::size_t position, int level);

    std::vector<Split> splits_;
    std::vector<float> leaves_;
    int depth_ = 0;

    std::vector<Node> nodes_;
    std::vector<float> means_;  // cover-weighted mean of the leaves below each node
    std::vector<int> roots_;
    float base_log_odds_ = 0;
};

// The models shipped with popwatch (dsp/models/*_classifier.json, embedded at build time).
const TreeModel& default_pop_model();
const TreeModel& default_clunk_model();
const TreeModel& default_dual_model();  // pop vs other with the air reference's features (issue #8)
// Trained on features measured DetectorConfig::quick_lookahead_s after the onset (listen --quick).
const TreeModel& quick_pop_model();
const TreeModel& quick_clunk_model();

}  // namespace popwatch
