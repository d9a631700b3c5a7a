// The audio libraries write diagnostics to stderr that say nothing the user can act on: ALSA and
// JACK print pages while PortAudio scans devices, and PortAudio's ALSA host API prints
// "Expression ... failed" from its own thread when a device vanishes. While a QuietStderr lives,
// file descriptor 2 points at /dev/null; real() is a stream to the real stderr for popwatch's own
// messages. Scopes nest. POPWATCH_AUDIO_DEBUG=1 turns it off (stderr stays as it is).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace popwatch {

class QuietStderr {
   public:
    QuietStderr() {
        const char* debug = std::getenv("POPWATCH_AUDIO_DEBUG");
        if (debug && *debug && *debug != '0') return;
        std::fflush(stderr);
        const int real = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (real >= 0 && null >= 0 && ::dup2(null, STDERR_FILENO) >= 0)
            real_ = real;
        else if (real >= 0)
            ::close(real);
        if (null >= 0) ::close(null);
    }
    ~QuietStderr() {
        if (real_ < 0) return;
        if (file_) std::fflush(file_);
        std::fflush(stderr);
        ::dup2(real_, STDERR_FILENO);
        if (file_)
            std::fclose(file_);  // closes real_
        else
            ::close(real_);
    }
    QuietStderr(const QuietStderr&) = delete;
    QuietStderr& operator=(const QuietStderr&) = delete;

    // Line-buffered stream to the stderr that was there before (stderr itself when not quieted).
    std::FILE* real() {
        if (real_ < 0) return stderr;
        if (!file_ && (file_ = ::fdopen(real_, "w"))) std::setvbuf(file_, nullptr, _IOLBF, 0);
        return file_ ? file_ : stderr;
    }

   private:
    int real_ = -1;
    std::FILE* file_ = nullptr;
};

}  // namespace popwatch
