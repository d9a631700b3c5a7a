// Audio files through libsndfile (WAV, FLAC, OGG, AIFF, ...), read in blocks of interleaved
// float frames so that memory stays constant whatever the file's length.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

struct sf_private_tag;

namespace popwatch {

// One-line, user-facing reason a file could not be read (the message names the file).
class AudioFileError : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
};

class FileSource {
   public:
    explicit FileSource(const std::string& path);  // throws AudioFileError
    ~FileSource();
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;

    double sample_rate() const { return sample_rate_; }
    int channels() const { return channels_; }
    std::int64_t frames() const { return frames_; }  // as the header says; may be 0 if unknown
    double duration_s() const { return frames_ / sample_rate_; }
    const std::string& path() const { return path_; }
    // The header promised more data than the file holds (a copy or a recording cut short).
    bool truncated() const { return truncated_; }

    // Reads up to out.size()/channels() frames; returns the number of frames read (0 at the end).
    // Throws AudioFileError on a read error (e.g. a truncated compressed stream).
    std::size_t read(std::span<float> out);

   private:
    std::string path_;
    sf_private_tag* file_ = nullptr;
    double sample_rate_ = 0;
    int channels_ = 0;
    std::int64_t frames_ = 0;
    bool truncated_ = false;
    // 16-bit PCM in an uncompressed container: read as shorts and scaled here, in a loop the
    // compiler vectorises; the same floats libsndfile's own conversion makes (x / 32768 is exact),
    // at a fraction of its cost.
    bool pcm16_ = false;
    std::vector<short> shorts_;
};

}  // namespace popwatch
