#include "tools/listen_sinks.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <stdexcept>

namespace popwatch {

std::string session_clock(double seconds) {
    const auto tenths = static_cast<long long>(std::max(0.0, seconds) * 10);
    const long long h = tenths / 36000, m = tenths / 600 % 60, s = tenths / 10 % 60, t = tenths % 10;
    return fmt::format("{}:{:02}:{:02}.{}", h, m, s, t);
}

std::string session_summary(const SessionStats& s, const SiteMap& sites) {
    const auto plural = [](long long n, const char* one, const char* many) {
        return fmt::format("{} {}", n, n == 1 ? one : many);
    };
    std::string out =
        fmt::format("session: {} monitored ({} elapsed)\n", session_clock(s.monitored_s), session_clock(s.elapsed_s));
    out += fmt::format("  {} in {}, {}\n", plural(s.pops, "pop", "pops"), plural(s.episodes, "episode", "episodes"),
                       plural(s.clunks, "clunk", "clunks"));
    out += fmt::format("  input overflows: {}, ring overruns: {} samples, offline: {}", s.input_overflows,
                       s.ring_overruns, plural(s.offline_gaps, "gap", "gaps"));
    if (s.offline_gaps > 0) out += fmt::format(" ({:.1f} s)", s.offline_s);
    if (s.bad_samples > 0) out += fmt::format("\n  {} NaN/Inf samples replaced by silence", s.bad_samples);
    for (const std::string& w : channel_warnings(s.channel_health, sites)) out += "\n  warning: " + w;
    return out;
}

// ---------------------------------------------------------------------------------------------
PrinterSink::PrinterSink(Format format, SiteMap sites, bool all, bool status_line, std::FILE* out, std::FILE* err)
    : format_(format), sites_(std::move(sites)), all_(all), status_line_(status_line), out_(out), err_(err) {}

void PrinterSink::header() {
    if (header_done_) return;
    header_done_ = true;
    if (format_ == Format::csv) {
        std::fprintf(out_, "%s\n", csv_header().c_str());
        std::fflush(out_);
    }
}

void PrinterSink::on_start(const std::string& input_name, double rate, int channels) {
    source_ = input_name;
    started_ = true;
    clear_status();
    std::fprintf(err_, "popwatch listen: listening to \"%s\" (%g Hz, %d channel%s); Ctrl-C ends the session\n",
                 input_name.c_str(), rate, channels, channels == 1 ? "" : "s");
    std::fflush(err_);
    header();
}

void PrinterSink::clear_status() {
    if (!status_drawn_) return;
    std::fputs("\r\033[K", err_);
    std::fflush(err_);  // before anything goes to stdout on the same terminal
    status_drawn_ = false;
}

void PrinterSink::on_event(const Event& e) {
    if (e.kind == Kind::other && !all_) return;
    header();
    clear_status();
    const Site& site = sites_.for_channel(e.channel);
    std::string line;
    switch (format_) {
        case Format::csv:
            line = csv_row(source_, e, site);
            break;
        case Format::jsonl:
            line = event_json(source_, e, site, false).dump();
            break;
        case Format::audacity:
            line = audacity_row(e, site);
            break;
        case Format::table:
            if (!table_header_done_) line = table_header() + "\n", table_header_done_ = true;
            line += table_row(e, site);
            break;
    }
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);  // one row per event, as it happens
    if (e.kind == Kind::clunk && !clunk_noted_) {
        std::fprintf(err_, "%s\n", clunk_note().c_str());
        clunk_noted_ = true;
    }
}

void PrinterSink::on_notice(const Notice& n) {
    clear_status();
    std::fprintf(err_, "popwatch listen: [%s] %s\n", session_clock(n.at_s).c_str(), n.message.c_str());
    std::fflush(err_);
}

void PrinterSink::on_status(const SessionStats& s) {
    header();
    if (!status_line_) return;
    // A 20-step meter over -60..0 dBFS.
    constexpr int width = 20;
    const int filled = std::clamp(static_cast<int>((s.level_dbfs + 60) / 60 * width), 0, width);
    const std::string meter =
        std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(width - filled), '.');
    std::string line;
    if (!started_)
        line = "  waiting for the first audio from the device ...";
    else if (s.online)
        line = fmt::format("  listening [{}] {:4.0f} dBFS  {}  pops {}  episodes {}", meter, s.level_dbfs,
                           session_clock(s.monitored_s), s.pops, s.episodes);
    else
        line = fmt::format("  microphone offline ({:.0f} s), retrying  {}  pops {}  episodes {}", s.offline_s,
                           session_clock(s.monitored_s), s.pops, s.episodes);
    if (s.clunks) line += fmt::format("  clunks {}", s.clunks);
    if (s.input_overflows || s.ring_overruns)
        line += fmt::format("  overflows {}", s.input_overflows + s.ring_overruns);
    std::fprintf(err_, "\r%s\033[K", line.c_str());
    std::fflush(err_);
    status_drawn_ = true;
}

void PrinterSink::on_end(const SessionStats& s) {
    header();
    clear_status();
    std::fflush(out_);
    std::fprintf(err_, "%s\n", session_summary(s, sites_).c_str());
    std::fflush(err_);
}

// ---------------------------------------------------------------------------------------------
namespace {

bool is_clip(const std::filesystem::path& p) {
    const std::string name = p.filename().string();
    return p.extension() == ".wav" && (name.rfind("pop-", 0) == 0 || name.rfind("clunk-", 0) == 0);
}

}  // namespace

ClipSink::ClipSink(std::filesystem::path dir, std::uint64_t cap_bytes, std::FILE* err)
    : dir_(std::move(dir)), cap_bytes_(cap_bytes), err_(err) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(dir_, ec)) {
        if (::mkdir(dir_.c_str(), 0700) != 0 && !fs::is_directory(dir_, ec))
            throw std::runtime_error("--keep-clips: cannot create " + dir_.string());
    }
    struct stat st {};
    if (::stat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw std::runtime_error("--keep-clips: " + dir_.string() + " is not a directory");
    if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)
        throw std::runtime_error("--keep-clips: " + dir_.string() +
                                 " must be a private directory of yours (chmod 700 it, or name a new one)");
    for (const auto& entry : fs::directory_iterator(dir_, ec))
        if (entry.is_regular_file(ec) && is_clip(entry.path())) bytes_ += entry.file_size(ec);
}

void ClipSink::on_audio(std::span<const float> audio, double at_s, double rate, int channels) {
    const bool jump = filled_ > 0 && std::abs(at_s - end_s_) > 2.0 / rate;  // a new segment after a gap
    if (rate != rate_ || channels != channels_ || jump) {
        write_ready(true);  // pending clips get what audio there was
        rate_ = rate;
        channels_ = channels;
        history_.assign(static_cast<std::size_t>(3 * rate) * static_cast<std::size_t>(channels), 0.0f);
        write_at_ = filled_ = 0;
    }
    for (float x : audio) {
        history_[write_at_] = x;
        write_at_ = write_at_ + 1 == history_.size() ? 0 : write_at_ + 1;
    }
    filled_ = std::min(history_.size(), filled_ + audio.size());
    end_s_ = at_s + static_cast<double>(audio.size() / static_cast<std::size_t>(channels)) / rate;
    write_ready(false);
}

void ClipSink::on_event(const Event& e) {
    if (e.kind == Kind::other) return;
    pending_.push_back({e.time_s, e.kind});
    write_ready(false);
}

void ClipSink::on_end(const SessionStats&) { write_ready(true); }

void ClipSink::write_ready(bool all) {
    while (!pending_.empty() && (all || pending_.front().onset_s + after_s <= end_s_)) {
        write_clip(pending_.front());
        pending_.pop_front();
    }
}

void ClipSink::write_clip(const Pending& clip) {
    if (filled_ == 0 || channels_ < 1) return;
    const auto ch = static_cast<std::size_t>(channels_);
    const double held_s = static_cast<double>(filled_ / ch) / rate_;
    const double from_s = std::max(clip.onset_s - before_s, end_s_ - held_s);
    const double to_s = std::min(clip.onset_s + after_s, end_s_);
    if (to_s <= from_s) return;
    const auto frames = static_cast<std::size_t>((to_s - from_s) * rate_);
    const std::uint64_t size = 44 + frames * ch * 2;
    if (bytes_ + size > cap_bytes_) {
        ++skipped_;
        if (!cap_noted_)
            std::fprintf(err_, "popwatch listen: clip directory %s reached its cap (%.0f MB); no more clips are kept\n",
                         dir_.c_str(), static_cast<double>(cap_bytes_) / 1e6);
        cap_noted_ = true;
        return;
    }
    // Samples from `from_s`: the buffer ends (at write_at_) at end_s_.
    const auto back = static_cast<std::size_t>((end_s_ - from_s) * rate_) * ch;
    std::vector<float> out(frames * ch);
    std::size_t at = (write_at_ + history_.size() - std::min(back, filled_)) % history_.size();
    for (float& x : out) {
        x = history_[at];
        at = at + 1 == history_.size() ? 0 : at + 1;
    }

    // Name from the wall-clock time of the onset: pop-20250114-093012.345.wav
    using clock = std::chrono::system_clock;
    const auto when = clock::now() - std::chrono::duration_cast<clock::duration>(
                                         std::chrono::duration<double>(std::max(0.0, end_s_ - clip.onset_s)));
    const std::time_t t = clock::to_time_t(when);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count() % 1000;
    std::tm tm{};
    localtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    std::string name = fmt::format("{}-{}.{:03}", kind_name(clip.kind), stamp, ms);
    std::filesystem::path path = dir_ / (name + ".wav");
    for (int k = 2; std::filesystem::exists(path); ++k) path = dir_ / fmt::format("{}-{}.wav", name, k);

    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        std::fprintf(err_, "popwatch listen: cannot write clip %s\n", path.c_str());
        return;
    }
    SF_INFO info{};
    info.samplerate = static_cast<int>(std::lround(rate_));
    info.channels = channels_;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* f = sf_open_fd(fd, SFM_WRITE, &info, SF_TRUE);
    if (!f) {
        ::close(fd);
        std::fprintf(err_, "popwatch listen: cannot write clip %s (%s)\n", path.c_str(), sf_strerror(nullptr));
        return;
    }
    sf_writef_float(f, out.data(), static_cast<sf_count_t>(frames));
    sf_close(f);
    bytes_ += size;
    ++saved_;
}

}  // namespace popwatch
