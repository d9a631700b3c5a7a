#include "dsp/tree_model.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <stdexcept>
#include <string>

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
