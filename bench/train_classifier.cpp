// Trains the pop (or clunk) classifier with XGBoost (gradient-boosted trees) on features collected from the
// DEVELOPMENT split (popwatch_collect_features), and writes XGBoost's JSON model, which
// dsp/tree_model.cpp evaluates at run time without XGBoost. Every fifth recording (by seed) is held out
// to pick the number of rounds and to report what the threshold means.
//
//   build/bench/popwatch_train_classifier --features build/train/features.csv
//       --out dsp/models/pop_classifier.json
#include <fmt/format.h>
#include <xgboost/c_api.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "dsp/event.hpp"
#include "dsp/tree_model.hpp"

using namespace popwatch;

namespace {

#define XGB(call)                                                                                \
    do {                                                                                         \
        if ((call) != 0) throw std::runtime_error(std::string("xgboost: ") + XGBGetLastError()); \
    } while (0)

struct Data {
    std::vector<float> x;
    std::vector<float> y;
    std::vector<std::string> file, scenario, cause;
    std::size_t rows() const { return y.size(); }
};

// Features the model uses (indexes into Features), read from the CSV's columns by name.
std::vector<std::size_t> used;
// XGBoost's feature names of the used features (feature_names' views point at literals, so
// .data() is NUL-terminated).
std::vector<const char*> used_names() {
    std::vector<const char*> names;
    for (std::size_t k : used) names.push_back(feature_names[k].data());
    return names;
}
// The CSV each recording came from: the same recording in two would be counted twice.
std::map<std::string, std::string> source;

void read(const std::string& path, const std::string& target, Data& train, Data& hold) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::string line, cell;
    std::getline(in, line);
    // Which CSV column holds each used feature (collect_features writes file,time_s,class,
    // scenario,cause then every feature; an older CSV lacks the features added since).
    std::vector<std::string> header;
    for (std::stringstream s(line); std::getline(s, cell, ',');) header.push_back(cell);
    std::vector<std::size_t> column;
    for (std::size_t k : used) {
        const auto at = std::find(header.begin(), header.end(), feature_names[k]);
        if (at == header.end())
            throw std::runtime_error(path + " has no column " + std::string(feature_names[k]) +
                                     ": collect the features again");
        column.push_back(static_cast<std::size_t>(at - header.begin()));
    }
    std::map<std::string, int> file_index;
    std::vector<std::string> cells;
    while (std::getline(in, line)) {
        cells.clear();
        for (std::stringstream s(line); std::getline(s, cell, ',');) cells.push_back(cell);
        if (cells.size() < header.size()) throw std::runtime_error(path + ": short row: " + line);
        const std::string& file = cells[0];
        // Held out by the recording's seed (the name's last number), not by the order the files'
        // rows arrive in (collect_features writes them as its threads finish), so that reruns
        // hold out the same files.
        if (!file_index.count(file)) {
            file_index[file] = std::stoi(file.substr(file.rfind('-') + 1));
            if (!source.emplace(file, path).second)
                throw std::runtime_error(file + " is in both " + source[file] + " and " + path);
        }
        Data& d = file_index[file] % 5 == 4 ? hold : train;
        const std::string &cls = cells[2], &scenario = cells[3], &cause = cells[4];
        // A fragment of a clunk's body (collect_features): the detector merges it into the clunk,
        // so the clunk model neither learns it as one nor as a sound that is not one.
        if (target == "clunk" && cls == "clunk_part") continue;
        for (std::size_t c : column) d.x.push_back(std::stof(cells[c]));
        d.y.push_back(cls == target ? 1.0f : 0.0f);
        d.file.push_back(file);
        d.scenario.push_back(scenario);
        d.cause.push_back(cause);
    }
}

DMatrixHandle matrix(const Data& d) {
    DMatrixHandle m;
    XGB(XGDMatrixCreateFromMat(d.x.data(), d.rows(), used.size(), NAN, &m));
    XGB(XGDMatrixSetFloatInfo(m, "label", d.y.data(), d.rows()));
    auto names = used_names();
    XGB(XGDMatrixSetStrFeatureInfo(m, "feature_name", names.data(), names.size()));
    return m;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Train the pop classifier (XGBoost) on dev-split features"};
    std::vector<std::string> features{"build/train/features.csv"};
    std::string out = "dsp/models/pop_classifier.json";
    int rounds = 300, depth = 4;
    double eta = 0.08, hold_hours = 0;
    app.add_option("--features", features,
                   "CSV from popwatch_collect_features (several: their rows together; recordings must not repeat)");
    app.add_option("--out", out, "Model to write (XGBoost JSON)");
    app.add_option("--rounds", rounds, "Boosting rounds (the best on the held-out files is kept)");
    app.add_option("--depth", depth, "Tree depth");
    app.add_option("--eta", eta, "Learning rate");
    app.add_option("--hold-hours", hold_hours, "Hours of audio in the held-out files (for the rate printout)");
    std::string predictions, target = "pop";
    app.add_option("--target", target, "The class this model recognises (pop or clunk; everything else is negative)")
        ->check(CLI::IsMember({"pop", "clunk"}));
    bool dual = false;
    app.add_flag("--dual", dual,
                 "Use the air reference's features too (the dual model; data from collect_features --dual)");
    bool body = false;
    app.add_flag("--body", body,
                 "Use the thud-body features too (body_low_db .. thud_gap_ms: what rings on below 400 Hz, and the "
                 "time since the last thud; the clunk "
                 "model)");
    const auto is_feature = [](const std::string& name) {
        return std::find(feature_names.begin(), feature_names.end(), name) != feature_names.end()
                   ? std::string{}
                   : "not a feature popwatch measures: " + name;
    };
    std::vector<std::string> with, without;
    app.add_option("--with", with,
                   "Use this feature too, by name (may repeat; e.g. ring_hz for a pop model: a trial of one feature)")
        ->check(is_feature);
    app.add_option("--without", without,
                   "Leave this feature out, by name (may repeat; a trial of the model without it)")
        ->check(is_feature);
    app.add_option("--predictions", predictions, "Write held-out predictions with features (CSV), for analysis");
    double pos_weight = 0;
    app.add_option("--pos-weight", pos_weight,
                   "Weight of a positive row against a negative (default: 5 for pops, 2 for clunks)");
    CLI11_PARSE(app, argc, argv);
    const auto named = [](const std::vector<std::string>& names, std::size_t k) {
        return std::find(names.begin(), names.end(), feature_names[k]) != names.end();
    };
    for (std::size_t k = 0; k < Features::count; ++k)
        if ((k < Features::single_count || (dual && Features::is_air(k)) ||
             (body && k >= Features::body_low_db && k <= Features::thud_gap_ms) || named(with, k)) &&
            !named(without, k))
            used.push_back(k);
    try {
        Data train, hold;
        for (const auto& path : features) read(path, target, train, hold);
        const auto positives = std::count(train.y.begin(), train.y.end(), 1.0f);
        fmt::print("training rows {} ({} {}s), held-out rows {}\n", train.rows(), positives, target, hold.rows());
        DMatrixHandle dtrain = matrix(train), dhold = matrix(hold);
        BoosterHandle booster;
        DMatrixHandle both[] = {dtrain, dhold};
        XGB(XGBoosterCreate(both, 2, &booster));
        // Pops are rare among candidates; weight them up, but not to balance (that would trade
        // false pops for recall).
        const std::string weight = pos_weight > 0 ? fmt::format("{}", pos_weight) : target == "pop" ? "5" : "2";
        const std::map<std::string, std::string> params{{"objective", "binary:logistic"},
                                                        {"eval_metric", "logloss"},
                                                        {"tree_method", "hist"},
                                                        {"max_depth", std::to_string(depth)},
                                                        {"eta", fmt::format("{}", eta)},
                                                        {"subsample", "0.8"},
                                                        {"colsample_bytree", "0.8"},
                                                        {"min_child_weight", "2"},
                                                        {"lambda", "2"},
                                                        {"seed", "1"},
                                                        {"nthread", "2"},
                                                        {"scale_pos_weight", weight}};
        for (const auto& [k, v] : params) XGB(XGBoosterSetParam(booster, k.c_str(), v.c_str()));
        const char* names[] = {"train", "hold"};
        double best = 1e9;
        int best_round = 0;
        for (int i = 0; i < rounds; ++i) {
            XGB(XGBoosterUpdateOneIter(booster, i, dtrain));
            const char* result = nullptr;
            XGB(XGBoosterEvalOneIter(booster, i, both, names, 2, &result));
            const std::string r(result);
            const double loss = std::stod(r.substr(r.rfind(':') + 1));
            if (loss < best) best = loss, best_round = i + 1;
            if (i % 50 == 49) fmt::print("{}\n", r);
        }
        fmt::print("best held-out logloss {:.5f} at round {}\n", best, best_round);
        // Refit to the best number of rounds so the saved model is the one scored.
        XGB(XGBoosterFree(booster));
        XGB(XGBoosterCreate(both, 2, &booster));
        for (const auto& [k, v] : params) XGB(XGBoosterSetParam(booster, k.c_str(), v.c_str()));
        for (int i = 0; i < best_round; ++i) XGB(XGBoosterUpdateOneIter(booster, i, dtrain));

        // What thresholds mean on the held-out files.
        bst_ulong n = 0;
        const float* p = nullptr;
        XGB(XGBoosterPredict(booster, dhold, 0, 0, 0, &n, &p));
        fmt::print("held-out: threshold -> {0}s found / labelled, false {0}s\n", target);
        const auto total = std::count(hold.y.begin(), hold.y.end(), 1.0f);
        for (double t : {0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98}) {
            int tp = 0, fp = 0;
            for (bst_ulong i = 0; i < n; ++i)
                if (p[i] >= t) (hold.y[i] > 0 ? tp : fp)++;
            fmt::print("  {:.2f}: {}/{} found, {} false{}\n", t, tp, total, fp,
                       hold_hours > 0 ? fmt::format(" ({:.2f}/h)", fp / hold_hours) : "");
        }
        if (!predictions.empty()) {
            std::ofstream pred(predictions);
            pred << "p,y,file,scenario,cause";
            for (std::size_t k : used) pred << ',' << feature_names[k];
            pred << '\n';
            for (bst_ulong i = 0; i < n; ++i) {
                pred << p[i] << ',' << hold.y[i] << ',' << hold.file[i] << ',' << hold.scenario[i] << ','
                     << hold.cause[i];
                for (std::size_t k = 0; k < used.size(); ++k) pred << ',' << hold.x[i * used.size() + k];
                pred << '\n';
            }
        }
        std::map<std::string, int> causes;
        for (bst_ulong i = 0; i < n; ++i)
            if (p[i] >= 0.5 && hold.y[i] == 0) ++causes[hold.cause[i]];
        fmt::print("held-out false {}s at 0.5 by cause:", target);
        for (const auto& [c, k] : causes) fmt::print(" {}={}", c, k);
        fmt::print("\n");
        auto feature_names_c = used_names();
        XGB(XGBoosterSetStrFeatureInfo(booster, "feature_name", feature_names_c.data(), feature_names_c.size()));
        XGB(XGBoosterSaveModel(booster, out.c_str()));
        {  // without the arrays popwatch never reads: half the text embedded in every binary
            std::ifstream in(out);
            const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            in.close();
            std::ofstream(out) << TreeModel::trimmed_json(text);
        }
        fmt::print("wrote {}\n", out);
        XGBoosterFree(booster);
        XGDMatrixFree(dtrain);
        XGDMatrixFree(dhold);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
