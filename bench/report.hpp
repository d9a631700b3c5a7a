// Formatting shared by the accuracy drivers' Markdown tables (accuracy.cpp, dual_accuracy.cpp).
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <string>

#include "datasets/scoring.hpp"

namespace popwatch::bench {

// A figure, or "n/a" where it is undefined (NaN).
inline std::string num(double v, const char* spec = "{:.3f}") {
    return std::isfinite(v) ? fmt::format(fmt::runtime(spec), v) : "n/a";
}

// A 95 % interval as "lo–hi", or "—" where there is none.
inline std::string interval_text(const Interval& i, const char* spec = "{:.3f}") {
    return std::isnan(i.lo) ? std::string("—")
                            : fmt::format(fmt::runtime(spec), i.lo) + "–" + fmt::format(fmt::runtime(spec), i.hi);
}

}  // namespace popwatch::bench
