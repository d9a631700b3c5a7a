// Feeds the memory soak (bench/listen_soak.sh): writes a recording as raw 32-bit float frames
// into a FIFO, over and over, for an ALSA `file` plugin device (`infile`) to read. The reader sets
// the pace: as fast as the capture path takes it. PortAudio opens and closes the device while it
// scans devices, so when a reader goes away the FIFO is reopened for the next one.
// Usage: popwatch_soak_feed FILE FIFO
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <vector>

#include "capture/file_source.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: popwatch_soak_feed FILE FIFO\n");
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);  // a reader going away is an EPIPE, handled below
    std::vector<float> block;
    int fd = -1;
    for (;;) {
        popwatch::FileSource file(argv[1]);
        block.resize(4096 * static_cast<std::size_t>(file.channels()));
        for (std::size_t n; (n = file.read(block)) > 0;) {
            const char* p = reinterpret_cast<const char*>(block.data());
            std::size_t left = n * static_cast<std::size_t>(file.channels()) * sizeof(float);
            while (left > 0) {
                if (fd < 0 && (fd = ::open(argv[2], O_WRONLY)) < 0) return 1;  // blocks until a reader opens
                const ssize_t w = ::write(fd, p, left);
                if (w < 0) {
                    if (errno == EINTR) continue;
                    ::close(fd);  // EPIPE: the reader closed; wait for the next one
                    fd = -1;
                    continue;
                }
                p += w;
                left -= static_cast<std::size_t>(w);
            }
        }
    }
}
