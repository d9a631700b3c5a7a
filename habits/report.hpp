// The HTML report: one self-contained page (inline SVG and CSS, no script, no network) with the
// daily episodes against the limit, an hour-of-day x weekday heatmap, a per-site breakdown,
// streaks, the trend and the latest warnings.
#pragma once

#include <span>
#include <string>

#include "habits/rules.hpp"

namespace popwatch::habits {

// `days`: contiguous, oldest first, the last one today (or the day the report ends).
std::string html_report(std::span<const DaySummary> days, const Guidance& guidance);

// Escapes text for HTML element content and attribute values.
std::string html_escape(std::string_view text);

}  // namespace popwatch::habits
