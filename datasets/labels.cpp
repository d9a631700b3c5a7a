#include "datasets/labels.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string_view>

#include "dsp/config.hpp"

namespace popwatch {
namespace {

struct Line {
    int number = 0;  // 1-based, as an editor shows it
    std::string text;
};

[[noreturn]] void fail(const std::string& path, int line, const std::string& reason) {
    throw std::runtime_error(path + ":" + std::to_string(line) + ": " + reason);
}

std::string_view trim(std::string_view s) {
    const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
    std::vector<std::string_view> fields;
    for (;;) {
        const auto at = s.find(separator);
        fields.push_back(s.substr(0, at));
        if (at == std::string_view::npos) return fields;
        s.remove_prefix(at + 1);
    }
}

// The lines that carry content: line ends (LF or CRLF) and a UTF-8 byte-order mark removed,
// blank lines and `#` comments dropped. Leading tabs are kept (they mean something to Audacity).
std::vector<Line> content_lines(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
    std::vector<Line> lines;
    std::string text;
    for (int number = 1; std::getline(in, text); ++number) {
        if (!text.empty() && text.back() == '\r') text.pop_back();
        if (number == 1 && text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
        const auto content = trim(text);
        if (content.empty() || content.front() == '#') continue;
        lines.push_back({number, std::move(text)});
    }
    if (in.bad()) throw std::runtime_error(path + ": read error");
    return lines;
}

double parse_seconds(const std::string& path, int line, std::string_view field, std::string_view what) {
    field = trim(field);
    double value = 0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (field.empty() || ec != std::errc{} || end != field.data() + field.size() || !std::isfinite(value) ||
        value < 0) {
        fail(path, line, std::string(what) + " '" + std::string(field) + "' is not a time in seconds >= 0");
    }
    return value;
}

// --- CSV -----------------------------------------------------------------------------------------

// A CSV field with surrounding spaces and one pair of double quotes removed.
std::string_view unquote(std::string_view field) {
    field = trim(field);
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
        field = field.substr(1, field.size() - 2);
    }
    return field;
}

// Column index of each name in the header line, -1 when absent.
std::vector<int> header_columns(std::string_view header, std::initializer_list<std::string_view> names) {
    const auto fields = split(header, ',');
    std::vector<int> columns;
    for (const auto name : names) {
        int found = -1;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (lower(unquote(fields[i])) == name) found = static_cast<int>(i);
        }
        columns.push_back(found);
    }
    return columns;
}

// Field `column` of a row; an absent optional column (-1) or a missing trailing field reads "".
std::string_view field_at(const std::vector<std::string_view>& row, int column) {
    if (column < 0 || static_cast<std::size_t>(column) >= row.size()) return {};
    return unquote(row[static_cast<std::size_t>(column)]);
}

void require_fields(const std::string& path, const Line& line, const std::vector<std::string_view>& row,
                    std::initializer_list<int> columns) {
    const int needed = std::max(columns) + 1;
    if (static_cast<int>(row.size()) < needed) {
        fail(path, line.number,
             "expected at least " + std::to_string(needed) + " comma-separated fields, found " +
                 std::to_string(row.size()));
    }
}

std::vector<LabelledEvent> read_label_csv(const std::string& path, const std::vector<Line>& lines) {
    const auto columns = header_columns(lines.front().text, {"time_s", "kind", "episode", "site", "position_cm"});
    const int time_col = columns[0], kind_col = columns[1];
    const int episode_col = columns[2], site_col = columns[3], position_col = columns[4];
    if (time_col < 0 || kind_col < 0) {
        fail(path, lines.front().number, "CSV header must name the columns time_s and kind");
    }
    std::vector<LabelledEvent> events;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const Line& line = lines[i];
        const auto row = split(line.text, ',');
        require_fields(path, line, row, {time_col, kind_col});
        LabelledEvent event;
        event.time_s = parse_seconds(path, line.number, field_at(row, time_col), "time_s");
        const auto kind = lower(field_at(row, kind_col));
        if (kind == "other") continue;  // a labelled non-pop: nothing to score against
        if (kind == "pop") {
            event.kind = Kind::pop;
        } else if (kind == "clunk") {
            event.kind = Kind::clunk;
        } else {
            fail(path, line.number, "kind '" + kind + "' is not pop, clunk or other");
        }
        const auto episode = field_at(row, episode_col);
        if (!episode.empty()) {
            const auto [end, ec] = std::from_chars(episode.data(), episode.data() + episode.size(), event.episode);
            if (ec != std::errc{} || end != episode.data() + episode.size() || event.episode < -1) {
                fail(path, line.number, "episode '" + std::string(episode) + "' is not an integer >= -1");
            }
        }
        if (const auto site = field_at(row, site_col); !site.empty()) event.site = site;
        if (const auto position = trim(field_at(row, position_col)); !position.empty()) {
            const auto [end, ec] =
                std::from_chars(position.data(), position.data() + position.size(), event.position_cm);
            if (ec != std::errc{} || end != position.data() + position.size() || !std::isfinite(event.position_cm))
                fail(path, line.number, "position_cm '" + std::string(position) + "' is not a number of cm");
        }
        events.push_back(std::move(event));
    }
    return events;
}

// --- Audacity label track ------------------------------------------------------------------------

std::vector<LabelledEvent> read_audacity(const std::string& path, const std::vector<Line>& lines) {
    std::vector<LabelledEvent> events;
    for (const Line& line : lines) {
        // Spectral-selection labels add a line `\<TAB>low_hz<TAB>high_hz` after their time line.
        if (line.text.starts_with('\\') || line.text.starts_with('\t')) continue;
        const auto fields = split(line.text, '\t');
        if (fields.size() < 2) {
            fail(path, line.number, "expected an Audacity label 'start<TAB>end<TAB>label'");
        }
        const double start_s = parse_seconds(path, line.number, fields[0], "start");
        const double end_s = parse_seconds(path, line.number, fields[1], "end");
        if (end_s < start_s) fail(path, line.number, "label ends before it starts");
        // Only pop and clunk labels are ground truth; anything else the user marked is ignored.
        const auto text = fields.size() > 2 ? lower(trim(fields[2])) : std::string();
        if (text == "pop") {
            events.push_back({start_s, Kind::pop, -1, "unknown"});
        } else if (text == "clunk") {
            events.push_back({start_s, Kind::clunk, -1, "unknown"});
        }
    }
    return events;
}

void sort_by_time(auto& events) {
    std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.time_s < b.time_s; });
}

}  // namespace

std::vector<int> group_episodes(std::span<const double> sorted_times_s, double gap_s) {
    std::vector<int> episodes;
    episodes.reserve(sorted_times_s.size());
    EpisodeCounter counter;  // the detector's rule
    for (double t : sorted_times_s) episodes.push_back(counter.next(t, gap_s));
    return episodes;
}

std::vector<LabelledEvent> read_labels(const std::string& path) {
    const auto lines = content_lines(path);
    if (lines.empty()) return {};  // Audacity writes an empty file for an empty label track
    const std::string_view first = lines.front().text;
    std::vector<LabelledEvent> events;
    if (first.find(',') != std::string_view::npos && first.find('\t') == std::string_view::npos) {
        events = read_label_csv(path, lines);
        sort_by_time(events);
    } else if (first.find('\t') != std::string_view::npos || first.starts_with('\\')) {
        events = read_audacity(path, lines);
        sort_by_time(events);
        std::vector<double> pop_times;
        for (const auto& e : events) {
            if (e.kind == Kind::pop) pop_times.push_back(e.time_s);
        }
        const auto episodes = group_episodes(pop_times, DetectorConfig{}.episode_gap_s);
        std::size_t next = 0;
        for (auto& e : events) {
            if (e.kind == Kind::pop) e.episode = episodes[next++];
        }
    } else {
        fail(path, lines.front().number,
             "not a label file: expected a CSV header with time_s,kind or an Audacity label "
             "line 'start<TAB>end<TAB>label'");
    }
    return events;
}

float envelope_level_at(std::span<const float> envelope, double start_s, double time_s) {
    const double block = std::floor((time_s - start_s) / envelope_block_s);
    float level = 0;
    for (double b = block - 1; b <= block + 1; ++b)
        if (b >= 0 && b < static_cast<double>(envelope.size()))
            level = std::max(level, envelope[static_cast<std::size_t>(b)]);
    return level;
}

std::vector<Confounder> read_confounders(const std::string& path) {
    const auto lines = content_lines(path);
    if (lines.empty()) return {};
    const auto columns = header_columns(lines.front().text, {"time_s", "duration_s", "class"});
    const int time_col = columns[0], duration_col = columns[1], class_col = columns[2];
    if (time_col < 0 || duration_col < 0 || class_col < 0) {
        fail(path, lines.front().number, "CSV header must name the columns time_s, duration_s and class");
    }
    std::vector<Confounder> confounders;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const Line& line = lines[i];
        const auto row = split(line.text, ',');
        require_fields(path, line, row, {time_col, duration_col, class_col});
        Confounder c;
        c.time_s = parse_seconds(path, line.number, field_at(row, time_col), "time_s");
        c.duration_s = parse_seconds(path, line.number, field_at(row, duration_col), "duration_s");
        c.class_name = field_at(row, class_col);
        if (c.class_name.empty()) fail(path, line.number, "empty class");
        confounders.push_back(std::move(c));
    }
    sort_by_time(confounders);
    return confounders;
}

}  // namespace popwatch
