#include "capture/file_source.hpp"

#include <sndfile.h>

#include <cstring>
#include <filesystem>

namespace popwatch {

FileSource::FileSource(const std::string& path) : path_(path) {
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) throw AudioFileError(path + ": no such file");
    if (std::filesystem::is_directory(status)) throw AudioFileError(path + ": is a directory");
    if (std::filesystem::is_regular_file(status) && std::filesystem::file_size(path, ec) == 0)
        throw AudioFileError(path + ": empty file (0 bytes)");

    SF_INFO info{};
    file_ = sf_open(path.c_str(), SFM_READ, &info);
    if (!file_) {
        std::string why = sf_strerror(nullptr);
        throw AudioFileError(path + ": not a readable audio file (" + why + ")");
    }
    if (info.channels < 1 || info.samplerate < 1) {
        sf_close(file_);
        file_ = nullptr;
        throw AudioFileError(path + ": invalid header (no channels or sample rate)");
    }
    sample_rate_ = info.samplerate;
    channels_ = info.channels;
    frames_ = info.frames == SF_COUNT_MAX ? 0 : info.frames;
    if (info.frames == 0) {
        sf_close(file_);
        file_ = nullptr;
        throw AudioFileError(path + ": no audio in file (zero length)");
    }
    // libsndfile reads a cut-short WAV/AIFF up to where its data ends and notes the mismatch in
    // its log ("data : 384000 (should be 191978)"); that note is the only sign of truncation.
    char log[2048] = {};
    sf_command(file_, SFC_GET_LOG_INFO, log, sizeof log);
    for (const char* line = log; line && *line;
         line = std::strchr(line, '\n') ? std::strchr(line, '\n') + 1 : nullptr) {
        const char* end = std::strchr(line, '\n');
        const std::string text(line, end ? static_cast<std::size_t>(end - line) : std::strlen(line));
        if ((text.rfind("data", 0) == 0 || text.rfind("SSND", 0) == 0) && text.find("should be") != std::string::npos)
            truncated_ = true;
    }
    // Integer formats are scaled to [-1, 1); float files are passed through unchanged.
    sf_command(file_, SFC_SET_NORM_FLOAT, nullptr, SF_TRUE);
    const int major = info.format & SF_FORMAT_TYPEMASK;
    pcm16_ = (info.format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_16 &&
             (major == SF_FORMAT_WAV || major == SF_FORMAT_WAVEX || major == SF_FORMAT_AIFF || major == SF_FORMAT_W64 ||
              major == SF_FORMAT_RF64);
}

FileSource::~FileSource() {
    if (file_) sf_close(file_);
}

std::size_t FileSource::read(std::span<float> out) {
    const auto frames = static_cast<sf_count_t>(out.size() / static_cast<std::size_t>(channels_));
    sf_count_t got = 0;
    if (pcm16_) {
        const std::size_t n = static_cast<std::size_t>(frames) * static_cast<std::size_t>(channels_);
        if (shorts_.size() < n) shorts_.resize(n);
        got = sf_readf_short(file_, shorts_.data(), frames);
        const std::size_t samples = got > 0 ? static_cast<std::size_t>(got) * static_cast<std::size_t>(channels_) : 0;
        constexpr float scale = 1.0f / 32768;
        for (std::size_t i = 0; i < samples; ++i) out[i] = static_cast<float>(shorts_[i]) * scale;
    } else {
        got = sf_readf_float(file_, out.data(), frames);
    }
    if (got < 0) got = 0;
    if (got < frames) {
        int err = sf_error(file_);
        if (err != SF_ERR_NO_ERROR) throw AudioFileError(path_ + ": read error (" + sf_strerror(file_) + ")");
    }
    return static_cast<std::size_t>(got);
}

}  // namespace popwatch
