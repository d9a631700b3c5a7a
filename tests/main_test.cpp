#define CATCH_CONFIG_RUNNER
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

int main(int argc, char* argv[]) {
    // No test may touch the user's own history or config file: every test, and every popwatch it
    // runs, sees XDG_DATA_HOME and XDG_CONFIG_HOME inside a scratch directory, removed at the end.
    const auto home = std::filesystem::temp_directory_path() / ("popwatch-test-home-" + std::to_string(::getpid()));
    ::setenv("XDG_DATA_HOME", (home / "data").c_str(), 1);
    ::setenv("XDG_CONFIG_HOME", (home / "config").c_str(), 1);
    const int result = Catch::Session().run(argc, argv);
    std::error_code ec;
    std::filesystem::remove_all(home, ec);
    return result;
}
