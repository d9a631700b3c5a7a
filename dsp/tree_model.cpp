#include "dsp/tree_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace popwatch {

namespace {

// XGBoost's JSON holds per-node arrays popwatch never reads (gains, weights, parents,
// categories): about half the text. Dropped while parsing (returning false for a key drops it and
// its value), so the parsed document, the biggest allocation a run makes, stays about half the
// size for a model straight out of XGBoost; the shipped ones are trimmed already (trimmed_json).
nlohmann::json parse_used(std::string_view text) {
    return nlohmann::json::parse(text, [](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (event != nlohmann::json::parse_event_t::key) return true;
        const auto& key = parsed.get_ref<const std::string&>();
        return !(key == "base_weights" || key == "loss_changes" || key == "parents" || key == "split_type" ||
                 key.starts_with("categories"));
    });
}

// What from_xgboost_json reads of a model, taken straight from the text by a SAX pass: no JSON
// document is built. (A document of the 60 h pop model took ~25 MB and a quarter of a second to
// build and free at start-up, more than the quiet hour's whole analysis.)
struct ModelText {
    std::vector<std::string> feature_names;
    std::string objective;
    double base_score = NAN;  // XGBoost writes it as a string ("5E-1"); a number is read too
    struct Tree {
        std::vector<int> left, right, feature, default_left;
        std::vector<float> condition, cover;
    };
    std::vector<Tree> trees;
};

class ModelReader final : public nlohmann::json_sax<nlohmann::json> {
   public:
    explicit ModelReader(ModelText& out) : out_(out) {}

    bool null() override { return true; }
    bool boolean(bool v) override { return value(v ? 1.0 : 0.0); }
    bool number_integer(number_integer_t v) override { return value(static_cast<double>(v)); }
    bool number_unsigned(number_unsigned_t v) override { return value(static_cast<double>(v)); }
    bool number_float(number_float_t v, const string_t&) override { return value(v); }
    bool string(string_t& v) override {
        const In in = here();
        if (in == In::feature_names) out_.feature_names.push_back(v);
        if (in == In::objective && key_ == "name") out_.objective = v;
        if (in == In::model_param && key_ == "base_score") out_.base_score = std::strtod(v.c_str(), nullptr);
        return true;
    }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return open(false); }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(true); }
    bool end_array() override { return close(); }
    bool key(string_t& k) override {
        key_ = k;
        return true;
    }
    bool parse_error(std::size_t at, const std::string&, const nlohmann::detail::exception& e) override {
        throw std::invalid_argument("not an XGBoost JSON model: " + std::string(e.what()) + " (at byte " +
                                    std::to_string(at) + ")");
    }

   private:
    // Where the parser is: the containers on the way to what is read, everything else `other`.
    enum class In {
        document,
        top,
        learner,
        feature_names,
        objective,
        model_param,
        booster,
        model,
        trees,
        tree,
        left,
        right,
        feature,
        condition,
        default_left,
        cover,
        other
    };
    struct Open {
        In in;
        bool array;
    };
    In here() const { return open_.empty() ? In::document : open_.back().in; }
    In child(bool array) const {
        const In parent = here();
        const bool element = !open_.empty() && open_.back().array;  // no key: an array's element
        if (parent == In::document) return In::top;
        if (parent == In::trees && element && !array) return In::tree;
        if (element) return In::other;
        struct Step {
            In parent;
            std::string_view key;
            In child;
        };
        static constexpr Step steps[] = {{In::top, "learner", In::learner},
                                         {In::learner, "feature_names", In::feature_names},
                                         {In::learner, "objective", In::objective},
                                         {In::learner, "learner_model_param", In::model_param},
                                         {In::learner, "gradient_booster", In::booster},
                                         {In::booster, "model", In::model},
                                         {In::model, "trees", In::trees},
                                         {In::tree, "left_children", In::left},
                                         {In::tree, "right_children", In::right},
                                         {In::tree, "split_indices", In::feature},
                                         {In::tree, "split_conditions", In::condition},
                                         {In::tree, "default_left", In::default_left},
                                         {In::tree, "sum_hessian", In::cover}};
        for (const Step& step : steps)
            if (step.parent == parent && step.key == key_) return step.child;
        return In::other;
    }
    bool open(bool array) {
        const In in = child(array);
        if (in == In::tree) out_.trees.emplace_back();
        open_.push_back({in, array});
        return true;
    }
    bool close() {
        open_.pop_back();
        return true;
    }
    bool value(double v) {
        const In in = here();
        if (in == In::model_param && key_ == "base_score") out_.base_score = v;
        if (out_.trees.empty()) return true;
        ModelText::Tree& t = out_.trees.back();
        switch (in) {
            case In::left:
                t.left.push_back(static_cast<int>(v));
                break;
            case In::right:
                t.right.push_back(static_cast<int>(v));
                break;
            case In::feature:
                t.feature.push_back(static_cast<int>(v));
                break;
            case In::condition:
                t.condition.push_back(static_cast<float>(v));
                break;
            case In::default_left:
                t.default_left.push_back(static_cast<int>(v));
                break;
            case In::cover:
                t.cover.push_back(static_cast<float>(v));
                break;
            default:
                break;
        }
        return true;
    }

    ModelText& out_;
    std::vector<Open> open_;
    std::string key_;
};

ModelText read_model(std::string_view text) {
    ModelText m;
    ModelReader reader(m);
    nlohmann::json::sax_parse(text, &reader);
    return m;
}

}  // namespace

std::string TreeModel::trimmed_json(std::string_view text) {
    try {
        return parse_used(text).dump();
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(std::string("not an XGBoost JSON model: ") + e.what());
    }
}

TreeModel TreeModel::from_xgboost_json(std::string_view text) {
    TreeModel m;
    const ModelText j = read_model(text);
    const auto& names = j.feature_names;
    // A model names the features it was trained on, any of popwatch's in any order (the
    // single-sensor models predate the air reference's and the body's, which were appended):
    // map each to its index, and refuse a name popwatch does not measure, so a stale model
    // cannot be used silently.
    if (names.empty()) throw std::invalid_argument("model names no features");
    std::vector<std::int16_t> index;
    for (const auto& name : names) {
        const auto at = std::find(feature_names.begin(), feature_names.end(), name);
        if (at == feature_names.end())
            throw std::invalid_argument("model feature " + name + " is not one popwatch measures");
        index.push_back(static_cast<std::int16_t>(at - feature_names.begin()));
    }
    if (j.objective != "binary:logistic") throw std::invalid_argument("model objective is not binary:logistic");
    const double base = j.base_score;
    if (!(base > 0 && base < 1)) throw std::invalid_argument("model has no base_score in (0, 1)");
    m.base_log_odds_ = static_cast<float>(std::log(base / (1 - base)));
    for (const ModelText::Tree& tree : j.trees) {
        const auto& left = tree.left;
        const auto& right = tree.right;
        const auto& feature = tree.feature;
        const auto& condition = tree.condition;
        const auto& default_left = tree.default_left;
        const auto& cover = tree.cover;
        const std::size_t size = left.size();
        if (size == 0 || right.size() != size || feature.size() != size || condition.size() != size ||
            default_left.size() != size || cover.size() != size)
            throw std::invalid_argument("a tree's node arrays differ in length");
        const int offset = static_cast<int>(m.nodes_.size());
        for (std::size_t i = 0; i < size; ++i) {
            Node n;
            const bool leaf = left[i] == -1;
            const auto in_tree = [&](int child) { return child > 0 && child < static_cast<int>(size); };
            if (!leaf && !(in_tree(left[i]) && in_tree(right[i])))
                throw std::invalid_argument("a tree node's child is outside its tree");
            n.left = leaf ? -1 : left[i] + offset;
            n.right = leaf ? -1 : right[i] + offset;
            if (!leaf && (feature[i] < 0 || feature[i] >= static_cast<int>(names.size())))
                throw std::invalid_argument("split on an unknown feature");
            n.feature = leaf ? std::int16_t{0} : index[static_cast<std::size_t>(feature[i])];
            n.threshold = condition[i];
            n.default_left = default_left[i] != 0;
            m.nodes_.push_back(n);
            m.means_.push_back(0);
        }
        // Mean values bottom-up (children have higher indices than parents in XGBoost trees).
        for (std::size_t i = left.size(); i-- > 0;) {
            const std::size_t at = static_cast<std::size_t>(offset) + i;
            const Node& n = m.nodes_[at];
            if (n.left < 0) {
                m.means_[at] = n.threshold;
            } else {
                const float cl = cover[static_cast<std::size_t>(n.left - offset)],
                            cr = cover[static_cast<std::size_t>(n.right - offset)];
                m.means_[at] = (cl * m.means_[static_cast<std::size_t>(n.left)] +
                                cr * m.means_[static_cast<std::size_t>(n.right)]) /
                               std::max(cl + cr, 1e-12f);
            }
        }
        m.roots_.push_back(offset);
    }
    if (m.roots_.empty()) throw std::invalid_argument("model has no trees");
    for (int root : m.roots_) m.depth_ = std::max(m.depth_, m.depth_below(root, 0));
    m.splits_.resize(m.roots_.size() * ((std::size_t{1} << m.depth_) - 1));
    m.leaves_.resize(m.roots_.size() << m.depth_);
    for (std::size_t t = 0; t < m.roots_.size(); ++t) m.pad(t, m.roots_[t], 0, 0);
    return m;
}

int TreeModel::depth_below(int node, int level) const {
    if (level > max_depth)
        throw std::invalid_argument("model trees deeper than " + std::to_string(max_depth) +
                                    " levels (or with a cycle) are not supported");
    const Node& n = nodes_[static_cast<std::size_t>(node)];
    if (n.left < 0) return 0;
    return 1 + std::max(depth_below(n.left, level + 1), depth_below(n.right, level + 1));
}

void TreeModel::pad(std::size_t tree, int node, std::size_t position, int level) {
    const std::size_t inner = (std::size_t{1} << depth_) - 1;
    const Node& n = nodes_[static_cast<std::size_t>(node)];
    if (level == depth_) {  // depth_ is the deepest leaf's level, so n is a leaf
        leaves_[(tree << depth_) + position - inner] = n.threshold;
        return;
    }
    const bool leaf = n.left < 0;  // shallower than depth_: every leaf below gets its value
    if (!leaf)
        splits_[tree * inner + position] = {n.threshold, static_cast<std::uint16_t>(n.feature),
                                            static_cast<std::uint16_t>(n.default_left ? 0 : 1)};
    pad(tree, leaf ? node : n.left, 2 * position + 1, level + 1);
    pad(tree, leaf ? node : n.right, 2 * position + 2, level + 1);
}

int TreeModel::next(const Node& n, const Features& f) const {
    const float v = f.values[static_cast<std::size_t>(n.feature)];
    return std::isnan(v) ? (n.default_left ? n.left : n.right) : (v < n.threshold ? n.left : n.right);
}

int TreeModel::leaf_of(int node, const Features& f) const {
    while (nodes_[static_cast<std::size_t>(node)].left >= 0) node = next(nodes_[static_cast<std::size_t>(node)], f);
    return node;
}

namespace {

// 1 when the split sends the value right: XGBoost goes left when value < threshold, and a missing
// value (NaN, for which every comparison is false) the node's default way. No branch on the data.
inline std::size_t goes_right(float value, float threshold, std::uint16_t nan_right) {
    return static_cast<std::size_t>(value >= threshold) | (static_cast<std::size_t>(value != value) & nan_right);
}

}  // namespace

float TreeModel::sum_trees(const Features& f, float sum, std::size_t t, std::size_t end) const {
    const float* v = f.values.data();
    const std::size_t inner = (std::size_t{1} << depth_) - 1;
    const Split* s = splits_.data();
    const float* leaf = leaves_.data();
    // Eight trees at a time: their walks are independent, so their loads and compares overlap
    // (each level is a dependent load from a model larger than L1; eight walks hide more of that
    // latency than four).
    for (; t + walk_lanes <= end; t += walk_lanes) {
        const Split* first = s + t * inner;
        std::array<std::size_t, walk_lanes> i{};
        for (int level = 0; level < depth_; ++level)
            for (std::size_t k = 0; k < walk_lanes; ++k) {
                const Split& n = first[k * inner + i[k]];
                i[k] = 2 * i[k] + 1 + goes_right(v[n.feature], n.threshold, n.nan_right);
            }
        const float* l = leaf + (t << depth_);  // a walk ends at position inner + the leaf's index
        for (std::size_t k = 0; k < walk_lanes; ++k) sum += l[(k << depth_) + i[k] - inner];  // in tree order
    }
    for (; t < end; ++t) {
        const Split* st = s + t * inner;
        std::size_t i = 0;
        for (int level = 0; level < depth_; ++level)
            i = 2 * i + 1 + goes_right(v[st[i].feature], st[i].threshold, st[i].nan_right);
        sum += leaf[(t << depth_) + i - inner];
    }
    return sum;
}

float TreeModel::log_odds(const Features& f) const { return sum_trees(f, base_log_odds_, 0, roots_.size()); }

float TreeModel::log_odds_or_give_up(const Features& f, std::size_t first_trees, float give_up_below) const {
    // Split at a multiple of the walk's lanes, so the sum is the whole walk's, bit for bit.
    const std::size_t k = std::min(first_trees - first_trees % walk_lanes, roots_.size());
    if (k == 0) return log_odds(f);  // no trees to judge by: never give up
    const float partial = sum_trees(f, base_log_odds_, 0, k);
    if (partial < give_up_below) return partial;
    return sum_trees(f, partial, k, roots_.size());
}

float TreeModel::walked_log_odds(const Features& f) const {
    float sum = base_log_odds_;
    for (int root : roots_) sum += nodes_[static_cast<std::size_t>(leaf_of(root, f))].threshold;
    return sum;
}

float TreeModel::contributions(const Features& f, std::array<float, Features::count>& out) const {
    out.fill(0);
    float bias = base_log_odds_;
    for (int root : roots_) {
        int node = root;
        bias += means_[static_cast<std::size_t>(node)];
        while (nodes_[static_cast<std::size_t>(node)].left >= 0) {
            const Node& n = nodes_[static_cast<std::size_t>(node)];
            const int child = next(n, f);
            out[static_cast<std::size_t>(n.feature)] +=
                means_[static_cast<std::size_t>(child)] - means_[static_cast<std::size_t>(node)];
            node = child;
        }
    }
    return bias;
}

namespace {

constexpr char pack_magic[8] = {'p', 'o', 'p', 'w', 'a', 't', 'c', 'h'};
constexpr std::uint32_t pack_version = 1;
// A Node as packed, field by field (threshold, left, right, feature, default_left): no padding.
constexpr std::size_t packed_node_bytes =
    sizeof(float) + 2 * sizeof(std::int32_t) + sizeof(std::int16_t) + sizeof(std::uint8_t);

template <typename T>
void put(std::string& out, const T& value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
void put_array(std::string& out, const std::vector<T>& v) {
    put(out, static_cast<std::uint64_t>(v.size()));
    out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

struct Unpacker {
    std::string_view bytes;
    template <typename T>
    T get() {
        if (bytes.size() < sizeof(T)) throw std::invalid_argument("packed model is cut short");
        T value;
        std::memcpy(&value, bytes.data(), sizeof value);
        bytes.remove_prefix(sizeof value);
        return value;
    }
    template <typename T>
    std::vector<T> get_array() {
        const auto n = get<std::uint64_t>();
        if (n > bytes.size() / sizeof(T)) throw std::invalid_argument("packed model is cut short");
        std::vector<T> v(static_cast<std::size_t>(n));
        std::memcpy(v.data(), bytes.data(), v.size() * sizeof(T));
        bytes.remove_prefix(v.size() * sizeof(T));
        return v;
    }
};

}  // namespace

std::string TreeModel::packed() const {
    std::string out(pack_magic, sizeof pack_magic);
    put(out, pack_version);
    put(out, static_cast<std::uint32_t>(Features::count));
    put(out, static_cast<std::int32_t>(depth_));
    put(out, base_log_odds_);
    put_array(out, splits_);
    put_array(out, leaves_);
    // Node has a padding byte: written field by field, so the same model packs to the same bytes.
    put(out, static_cast<std::uint64_t>(nodes_.size()));
    for (const Node& n : nodes_)
        put(out, n.threshold), put(out, n.left), put(out, n.right), put(out, n.feature),
            put(out, static_cast<std::uint8_t>(n.default_left));
    put_array(out, means_);
    put_array(out, roots_);
    return out;
}

TreeModel TreeModel::from_packed(std::string_view bytes) {
    if (!bytes.starts_with(std::string_view(pack_magic, sizeof pack_magic)))
        throw std::invalid_argument("not a packed popwatch model");
    Unpacker in{bytes.substr(sizeof pack_magic)};
    if (in.get<std::uint32_t>() != pack_version) throw std::invalid_argument("packed model of another version");
    if (in.get<std::uint32_t>() != Features::count)
        throw std::invalid_argument("packed model made for another feature set (rebuild it)");
    TreeModel m;
    m.depth_ = in.get<std::int32_t>();
    m.base_log_odds_ = in.get<float>();
    m.splits_ = in.get_array<Split>();
    m.leaves_ = in.get_array<float>();
    const auto nodes = in.get<std::uint64_t>();
    if (nodes > in.bytes.size() / packed_node_bytes) throw std::invalid_argument("packed model is cut short");
    m.nodes_.resize(static_cast<std::size_t>(nodes));
    for (Node& n : m.nodes_) {
        n.threshold = in.get<float>(), n.left = in.get<std::int32_t>(), n.right = in.get<std::int32_t>();
        n.feature = in.get<std::int16_t>(), n.default_left = in.get<std::uint8_t>() != 0;
    }
    m.means_ = in.get_array<float>();
    m.roots_ = in.get_array<int>();
    // What the walks rely on: the padded layout's sizes, and every index inside its array.
    const std::size_t trees = m.roots_.size(), inner = (std::size_t{1} << std::clamp(m.depth_, 0, max_depth)) - 1;
    bool valid = !in.bytes.size() && trees > 0 && m.depth_ >= 0 && m.depth_ <= max_depth &&
                 m.splits_.size() == trees * inner && m.leaves_.size() == trees * (inner + 1) &&
                 m.means_.size() == m.nodes_.size();
    for (const Split& s : m.splits_) valid = valid && s.feature < Features::count && s.nan_right <= 1;
    for (const Node& n : m.nodes_)
        valid = valid && n.feature >= 0 && static_cast<std::size_t>(n.feature) < Features::count &&
                (n.left < 0 || (static_cast<std::size_t>(n.left) < m.nodes_.size() && n.right >= 0 &&
                                static_cast<std::size_t>(n.right) < m.nodes_.size()));
    for (int r : m.roots_) valid = valid && r >= 0 && static_cast<std::size_t>(r) < m.nodes_.size();
    if (!valid) throw std::invalid_argument("packed model is inconsistent");
    return m;
}

}  // namespace popwatch
