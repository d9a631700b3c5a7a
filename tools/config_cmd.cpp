// `popwatch config`: the configuration in effect, as TOML, and where each file is.
#include <cstdio>

#include "habits/config.hpp"
#include "tools/commands.hpp"
#include "tools/habits_support.hpp"

namespace popwatch {

void register_config(CLI::App& app, int& exit_code) {
    auto o = std::make_shared<HabitsOptions>();
    CLI::App* cmd = app.add_subcommand("config", "Print the configuration in effect (TOML) and where each file is");
    cmd->footer(
        "Save the output as the config file and edit it: unknown keys and bad values are reported with\n"
        "the file, line and key. Precedence: defaults < config file < command-line flags.");
    add_habits_options(cmd, *o);
    cmd->callback([o, &exit_code] {
        exit_code = run_guarded("config", [&] {
            auto config = load_config(*o);
            const auto db = db_path(*o, config);
            std::string out = "# popwatch configuration in effect: defaults < config file < command-line flags\n";
            out += "# config file:      " + config.file.string() +
                   (config.file_found ? "\n" : "  (not found: defaults; save this output there to edit)\n");
            out +=
                "# history database: " + db.string() + (std::filesystem::exists(db) ? "\n" : "  (not created yet)\n");
            out += habits::to_toml(config);
            std::fputs(out.c_str(), stdout);
            return exit_ok;
        });
    });
}

}  // namespace popwatch
