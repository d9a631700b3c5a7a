// The models shipped with popwatch: dsp/models/*_classifier.json, packed at build time by
// popwatch_model_pack and embedded (dsp/CMakeLists.txt), unpacked on first use (once per process).
#include <string_view>

#include "dsp/tree_model.hpp"

namespace popwatch {

std::string_view pop_classifier_packed();
std::string_view clunk_classifier_packed();
std::string_view dual_classifier_packed();
std::string_view quick_pop_classifier_packed();
std::string_view quick_clunk_classifier_packed();

namespace {

template <std::string_view (*bytes)()>
const TreeModel& embedded() {
    static const TreeModel model = TreeModel::from_packed(bytes());
    return model;
}

}  // namespace

const TreeModel& default_pop_model() { return embedded<pop_classifier_packed>(); }
const TreeModel& default_dual_model() { return embedded<dual_classifier_packed>(); }
const TreeModel& default_clunk_model() { return embedded<clunk_classifier_packed>(); }
const TreeModel& quick_pop_model() { return embedded<quick_pop_classifier_packed>(); }
const TreeModel& quick_clunk_model() { return embedded<quick_clunk_classifier_packed>(); }

}  // namespace popwatch
