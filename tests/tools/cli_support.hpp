// Helpers for tests that run the real `popwatch` binary: a scratch directory, WAV writing, and
// running a command line while capturing stdout, stderr and the exit code.
#pragma once

#include <signal.h>
#include <sndfile.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace popwatch::test {

struct Run {
    int code = -1;
    std::string out, err;
};

inline std::filesystem::path scratch_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("popwatch-test-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs `popwatch ARGS` with stdout/stderr captured to files (not a terminal).
inline Run popwatch(const std::string& args, const std::filesystem::path& dir) {
    const auto out = dir / "stdout.txt", err = dir / "stderr.txt";
    const std::string cmd = std::string(POPWATCH_BINARY) + " " + args + " >" + out.string() + " 2>" + err.string();
    const int status = std::system(cmd.c_str());
    Run r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

// `popwatch ARGS` running in the background (stdout/stderr to files in `dir`), for commands that
// run until stopped (`listen`).
class Background {
   public:
    Background(const std::string& args, const std::filesystem::path& dir)
        : out_(dir / "bg-stdout.txt"), err_(dir / "bg-stderr.txt") {
        const std::string cmd =
            "exec " + std::string(POPWATCH_BINARY) + " " + args + " >" + out_.string() + " 2>" + err_.string();
        const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
        if (posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ) != 0) pid_ = -1;
    }
    ~Background() {
        if (pid_ > 0) ::kill(pid_, SIGKILL), ::waitpid(pid_, nullptr, 0);
    }
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

    // Waits until stderr contains `text`; false after `timeout_s` or if the process ended.
    bool wait_for_stderr(const std::string& text, double timeout_s) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
        while (std::chrono::steady_clock::now() < end) {
            if (slurp(err_).find(text) != std::string::npos) return true;
            if (pid_ > 0 && ::waitpid(pid_, &status_, WNOHANG) == pid_)
                return pid_ = -1, slurp(err_).find(text) != std::string::npos;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }
    void signal(int sig) {
        if (pid_ > 0) ::kill(pid_, sig);
    }
    // Waits for the process to end (killing it after `timeout_s`) and returns what it printed.
    Run finish(double timeout_s) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
        while (pid_ > 0) {
            if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            if (std::chrono::steady_clock::now() > end) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status_, 0);
                pid_ = -1;
                status_ = -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        Run r;
        r.code = status_ >= 0 && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
        r.out = slurp(out_);
        r.err = slurp(err_);
        return r;
    }

   private:
    std::filesystem::path out_, err_;
    pid_t pid_ = -1;
    int status_ = -1;
};

inline void write_wav(const std::filesystem::path& path, const std::vector<float>& interleaved, int rate,
                      int channels = 1, int format = SF_FORMAT_WAV | SF_FORMAT_PCM_16) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!f) throw std::runtime_error("cannot write " + path.string());
    sf_writef_float(f, interleaved.data(),
                    static_cast<sf_count_t>(interleaved.size() / static_cast<std::size_t>(channels)));
    sf_close(f);
}

inline std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream s(text);
    for (std::string line; std::getline(s, line);) out.push_back(line);
    return out;
}

}  // namespace popwatch::test
