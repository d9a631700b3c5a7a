#include <cstdio>

#include "tools/commands.hpp"

int main(int argc, char** argv) {
    CLI::App app{
        "popwatch - hears joint-cavitation pops (back, neck, knuckle cracking), counts them and\n"
        "tracks how often and where they happen.\n\n"
        "Exit codes: 0 ok, 2 bad command line or config file, 3 some input could not be read (the rest\n"
        "was processed; listen/devices: no usable audio input device), 4 internal or environment\n"
        "error (history database locked, read-only, disk full), 5 eval accuracy below --min-f1."};
    app.require_subcommand(1);
    app.set_version_flag("--version", "popwatch 0.1.0");
    int exit_code = popwatch::exit_ok;
    popwatch::register_analyze(app, exit_code);
    popwatch::register_synth(app, exit_code);
    popwatch::register_eval(app, exit_code);
    popwatch::register_listen(app, exit_code);
    popwatch::register_devices(app, exit_code);
    popwatch::register_today(app, exit_code);
    popwatch::register_history(app, exit_code);
    popwatch::register_report(app, exit_code);
    popwatch::register_tag(app, exit_code);
    popwatch::register_forget(app, exit_code);
    popwatch::register_export(app, exit_code);
    popwatch::register_config(app, exit_code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return popwatch::exit_usage;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "popwatch: %s\n", e.what());
        return popwatch::exit_failure;
    }
    return exit_code;
}
