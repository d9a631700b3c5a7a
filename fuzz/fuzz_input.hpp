// A fuzzer's bytes as a file the parsers open by path, without touching the disk: an anonymous
// memory file (memfd) named by /proc/self/fd/N, so the real open-by-path code is what is fuzzed.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace popwatch::fuzz {

class MemoryFile {
   public:
    MemoryFile(const std::uint8_t* data, std::size_t size) : fd_(memfd_create("popwatch-fuzz", 0)) {
        if (fd_ < 0) std::abort();
        for (std::size_t done = 0; done < size;) {
            const ssize_t n = ::write(fd_, data + done, size - done);
            if (n <= 0) std::abort();
            done += static_cast<std::size_t>(n);
        }
    }
    ~MemoryFile() { ::close(fd_); }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;
    std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

   private:
    int fd_;
};

}  // namespace popwatch::fuzz
