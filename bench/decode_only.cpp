// The floor of the whole-file speed comparison: read a file through the same FileSource that
// `analyze` uses, and do nothing with the samples.  Usage: popwatch_decode_only FILE
#include <cstdio>
#include <vector>

#include "capture/file_source.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    try {
        popwatch::FileSource source(argv[1]);
        std::vector<float> block(4096 * static_cast<std::size_t>(source.channels()));
        double sum = 0;
        std::size_t frames = 0;
        while (const std::size_t n = source.read(block)) frames += n, sum += block[0];
        std::printf("%zu frames (checksum %g)\n", frames, sum);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 3;
    }
}
