// What each sub-command file provides: it adds its options to the `ratchet` app and returns the
// function to run when the user chose it.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "common/error.hpp"

namespace ratchet::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// Prints `error: <Code>: <message>` on stderr and returns the exit code for it.
[[nodiscard]] int report_error(const Error& error);

Command add_write_command(CLI::App& parent);
Command add_bench_command(CLI::App& parent);
Command add_fetch_command(CLI::App& parent);
Command add_targets_command(CLI::App& parent);
Command add_provision_command(CLI::App& parent);
Command add_reprovision_command(CLI::App& parent);
Command add_status_command(CLI::App& parent);
Command add_boot_command(CLI::App& parent);
Command add_confirm_command(CLI::App& parent);
Command add_update_command(CLI::App& parent);
Command add_install_command(CLI::App& parent);
Command add_manifest_command(CLI::App& parent);

}  // namespace ratchet::cli
