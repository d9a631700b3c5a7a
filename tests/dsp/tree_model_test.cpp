#include "dsp/tree_model.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "dsp/config.hpp"

using namespace popwatch;

namespace {

// One XGBoost tree in its JSON model format: split on the model's feature 1 at 100; leaves -1 / +1.
std::string model_json(const std::string& names) {
    return R"({"learner": {"feature_names": [)" + names +
           R"(], "objective": {"name": "binary:logistic"},
        "learner_model_param": {"base_score": "5E-1"},
        "gradient_booster": {"model": {"trees": [{
            "left_children": [1, -1, -1], "right_children": [2, -1, -1],
            "split_indices": [1, 0, 0], "split_conditions": [100, -1, 1],
            "default_left": [1, 0, 0], "sum_hessian": [2, 1, 1]}]}}}})";
}

}  // namespace

TEST_CASE("a model's features are found by name whatever their order", "[dsp][model]") {
    // The clunk model names single-sensor features and the body's, skipping the air reference's.
    const TreeModel m = TreeModel::from_xgboost_json(model_json(R"("level_dbfs", "ring_hz")"));
    Features f;
    f[Features::level_dbfs] = 1000;  // would send it right if the split read feature 0
    f[Features::ring_hz] = 50;
    CHECK(m.log_odds(f) == Approx(-1));
    f[Features::ring_hz] = 150;
    CHECK(m.log_odds(f) == Approx(1));
    f[Features::ring_hz] = NAN;  // missing goes the default way
    CHECK(m.log_odds(f) == Approx(-1));
}

TEST_CASE("a model naming a feature popwatch does not measure is refused", "[dsp][model]") {
    CHECK_THROWS_AS(TreeModel::from_xgboost_json(model_json(R"("level_dbfs", "no_such_feature")")),
                    std::invalid_argument);
    CHECK_THROWS_AS(TreeModel::from_xgboost_json("{}"), std::invalid_argument);
}

TEST_CASE("the shipped models load", "[dsp][model]") {
    CHECK(default_pop_model().trees() > 0);
    CHECK(default_clunk_model().trees() > 0);
    CHECK(default_dual_model().trees() > 0);
    CHECK(quick_pop_model().trees() > 0);
    CHECK(quick_clunk_model().trees() > 0);
}

TEST_CASE("the embedded models are their JSON files packed at build time and nothing else", "[dsp][model]") {
    const std::pair<const char*, const TreeModel*> shipped[] = {{"pop", &default_pop_model()},
                                                                {"clunk", &default_clunk_model()},
                                                                {"dual", &default_dual_model()},
                                                                {"quick_pop", &quick_pop_model()},
                                                                {"quick_clunk", &quick_clunk_model()}};
    for (const auto& [name, model] : shipped) {
        INFO(name);
        std::ifstream in(std::string(POPWATCH_SOURCE_DIR) + "/dsp/models/" + name + "_classifier.json");
        REQUIRE(in);
        const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const TreeModel parsed = TreeModel::from_xgboost_json(json);
        const std::string bytes = parsed.packed();
        CHECK(bytes == model->packed());  // the build embedded this JSON, not a stale one
        CHECK(TreeModel::from_packed(bytes).packed() == bytes);
        Features f;
        for (std::size_t i = 0; i < f.values.size(); ++i) f.values[i] = static_cast<float>(i % 7) * 3.5f - 8;
        CHECK(model->log_odds(f) == parsed.log_odds(f));
    }
}

TEST_CASE("a damaged packed model is refused", "[dsp][model]") {
    const std::string bytes = TreeModel::from_xgboost_json(model_json(R"("level_dbfs", "ring_hz")")).packed();
    CHECK_NOTHROW(TreeModel::from_packed(bytes));
    CHECK_THROWS_AS(TreeModel::from_packed(""), std::invalid_argument);
    CHECK_THROWS_AS(TreeModel::from_packed(bytes.substr(0, bytes.size() - 1)), std::invalid_argument);
    CHECK_THROWS_AS(TreeModel::from_packed(bytes + "x"), std::invalid_argument);
    std::string other_features = bytes;
    other_features[12] ^= 1;  // the feature count, after the magic and the version
    CHECK_THROWS_AS(TreeModel::from_packed(other_features), std::invalid_argument);
    std::string bad_index = bytes;
    bad_index[bad_index.size() - 1] = 0x7f;  // the last root, far outside the nodes
    CHECK_THROWS_AS(TreeModel::from_packed(bad_index), std::invalid_argument);
}

TEST_CASE("the padded branch-free walk gives the node-by-node walk's log-odds bit for bit", "[dsp][model]") {
    // Every shipped model, on random feature vectors with missing values and values on thresholds'
    // far sides, at scales from hundredths to thousands (dB, ms, Hz). Equality, not Approx: the
    // accuracy tables must not move with the layout.
    constexpr float scales[] = {0.0002f, 0.02f, 1.0f, 50.0f};
    std::uint32_t state = 12345;
    const auto next = [&] { return state = state * 1664525u + 1013904223u; };
    for (const TreeModel* m : {&default_pop_model(), &default_clunk_model(), &default_dual_model(), &quick_pop_model(),
                               &quick_clunk_model()}) {
        CHECK(m->depth() >= 4);
        for (int k = 0; k < 2000; ++k) {
            Features f;
            for (auto& v : f.values) {
                const std::uint32_t r = next();
                v = r % 7 == 0 ? NAN
                               : static_cast<float>(static_cast<int>(r >> 8) % 20000 - 10000) * scales[(r >> 3) % 4];
            }
            REQUIRE(m->log_odds(f) == m->walked_log_odds(f));
        }
    }
}

TEST_CASE("the early give-up stops only under its bound and is otherwise the whole sum bit for bit", "[dsp][model]") {
    std::uint32_t state = 777;
    const auto next = [&] { return state = state * 1664525u + 1013904223u; };
    const TreeModel& m = default_pop_model();
    const DetectorConfig c;
    REQUIRE(m.trees() > static_cast<std::size_t>(c.pop_early_trees));
    int gave_up = 0, whole = 0;
    for (int k = 0; k < 4000; ++k) {
        Features f;
        for (auto& v : f.values) {
            const std::uint32_t r = next();
            v = r % 7 == 0 ? NAN : static_cast<float>(static_cast<int>(r >> 8) % 20000 - 10000) / 50.0f;
        }
        const float all = m.log_odds(f);
        const float early = m.log_odds_or_give_up(f, static_cast<std::size_t>(c.pop_early_trees), c.pop_early_give_up);
        if (early == all) {
            ++whole;
        } else {
            ++gave_up;
            REQUIRE(early < c.pop_early_give_up);  // it stopped only under the bound
        }
        REQUIRE(m.log_odds_or_give_up(f, 0, -1e30f) == all);  // a bound nothing is under: the whole sum
        REQUIRE(m.log_odds_or_give_up(f, 0, 1e30f) == all);   // no trees to judge by: never gives up
    }
    CHECK(gave_up > 0);
    CHECK(whole > 0);
}

TEST_CASE("a tree shallower than the model's depth keeps its leaves' values", "[dsp][model]") {
    // Two trees: a stump (depth 1) and a depth-2 tree, so the stump is padded a level.
    const std::string json = R"({"learner": {"feature_names": ["level_dbfs", "ring_hz"],
        "objective": {"name": "binary:logistic"}, "learner_model_param": {"base_score": "5E-1"},
        "gradient_booster": {"model": {"trees": [
          {"left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [0, 0, 0],
           "split_conditions": [0, -1, 1], "default_left": [0, 0, 0], "sum_hessian": [2, 1, 1]},
          {"left_children": [1, 3, -1, -1, -1], "right_children": [2, 4, -1, -1, -1],
           "split_indices": [1, 1, 0, 0, 0], "split_conditions": [100, 50, 10, 20, 30],
           "default_left": [1, 0, 0, 0, 0], "sum_hessian": [3, 2, 1, 1, 1]}]}}}})";
    const TreeModel m = TreeModel::from_xgboost_json(json);
    CHECK(m.depth() == 2);
    Features f;
    f[Features::level_dbfs] = -5;  // stump: left, -1
    f[Features::ring_hz] = 10;     // second tree: left, left: 20
    CHECK(m.log_odds(f) == 19);
    f[Features::ring_hz] = 70;  // left, right: 30
    CHECK(m.log_odds(f) == 29);
    f[Features::ring_hz] = 200;  // right: 10, whatever lies below the padded leaf
    CHECK(m.log_odds(f) == 9);
    f[Features::level_dbfs] = NAN;  // the stump's missing values go right: +1
    f[Features::ring_hz] = NAN;     // root's go left, then the next split's right: 30
    CHECK(m.log_odds(f) == 31);
    CHECK(m.walked_log_odds(f) == 31);
}

TEST_CASE("a malformed tree is refused", "[dsp][model]") {
    const auto with_children = [](const std::string& left, const std::string& right) {
        return R"({"learner": {"feature_names": ["level_dbfs"], "objective": {"name": "binary:logistic"},
            "learner_model_param": {"base_score": "5E-1"}, "gradient_booster": {"model": {"trees": [
            {"left_children": )" +
               left + R"(, "right_children": )" + right +
               R"(, "split_indices": [0, 0, 0], "split_conditions": [0, -1, 1], "default_left": [0, 0, 0],
               "sum_hessian": [2, 1, 1]}]}}}})";
    };
    CHECK_NOTHROW(TreeModel::from_xgboost_json(with_children("[1, -1, -1]", "[2, -1, -1]")));
    CHECK_THROWS_AS(TreeModel::from_xgboost_json(with_children("[1, -1, -1]", "[7, -1, -1]")), std::invalid_argument);
    CHECK_THROWS_AS(TreeModel::from_xgboost_json(with_children("[1, 1, -1]", "[2, 2, -1]")), std::invalid_argument);
    CHECK_THROWS_AS(TreeModel::from_xgboost_json(with_children("[1, -1]", "[2, -1, -1]")), std::invalid_argument);
}

TEST_CASE("a trimmed model keeps its trees and loses the arrays popwatch never reads", "[dsp][model]") {
    const std::string json = R"({"learner": {"feature_names": ["level_dbfs", "ring_hz"],
        "objective": {"name": "binary:logistic"}, "learner_model_param": {"base_score": "5E-1"},
        "gradient_booster": {"model": {"trees": [{"left_children": [1, -1, -1], "right_children": [2, -1, -1],
          "split_indices": [1, 0, 0], "split_conditions": [100, -0.123456789, 1.5], "default_left": [1, 0, 0],
          "sum_hessian": [2, 1, 1], "base_weights": [0, -1, 1], "loss_changes": [3, 0, 0], "parents": [2147483647, 0, 0],
          "split_type": [0, 0, 0], "categories": [], "categories_nodes": [], "categories_segments": [],
          "categories_sizes": []}]}}}})";
    const std::string trimmed = TreeModel::trimmed_json(json);
    for (const char* key : {"base_weights", "loss_changes", "parents", "split_type", "categories"})
        CHECK(trimmed.find(key) == std::string::npos);
    const TreeModel a = TreeModel::from_xgboost_json(json), b = TreeModel::from_xgboost_json(trimmed);
    Features f;
    for (float v : {50.0f, 150.0f, NAN}) {
        f[Features::ring_hz] = v;
        CHECK(a.log_odds(f) == b.log_odds(f));
    }
    f[Features::ring_hz] = 50;
    CHECK(b.log_odds(f) == -0.123456789f);  // the leaf's float survives the round trip exactly
    CHECK_THROWS_AS(TreeModel::trimmed_json("{not json"), std::invalid_argument);
}
