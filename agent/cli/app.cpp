#include "agent/cli/app.hpp"

#include <string>

#include <CLI/CLI.hpp>

#include "agent/cli/command.hpp"
#include "agent/cli/exit_code.hpp"
#include "common/log.hpp"

#ifndef RATCHET_VERSION
#error "the build system defines RATCHET_VERSION"
#endif

namespace ratchet::cli {
namespace {

std::string version_text() {
  std::string text = "ratchet " RATCHET_VERSION "\nfeatures:";
#if RATCHET_HAVE_TPM
  text += " +tpm";
#else
  text += " -tpm";
#endif
#if RATCHET_HAVE_UBOOTENV
  text += " +ubootenv";
#else
  text += " -ubootenv";
#endif
  return text;
}

}  // namespace

int guarded(const std::function<int()>& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    log::error("Internal: {}", e.what());
  } catch (...) {
    log::error("Internal: unknown exception");
  }
  return static_cast<int>(ExitCode::Internal);
}

int run(std::span<char*> argv) noexcept {
  return guarded([argv] {
    CLI::App app{
        "ratchet: a verified, rollback-proof A/B update agent (Uptane/TUF, TPM 2.0, U-Boot)",
        "ratchet"};
    app.set_version_flag("--version", version_text());
    app.require_subcommand(0, 1);

    std::string log_level = "info";
    app.add_option("--log-level", log_level, "error, warning, notice, info or debug")
        ->capture_default_str();
    app.add_flag_callback(
        "-v,--verbose", [&] { log_level = "debug"; }, "same as --log-level debug");

    const std::vector<Command> commands = {
        add_write_command(app),   add_bench_command(app),     add_fetch_command(app),
        add_targets_command(app), add_provision_command(app), add_reprovision_command(app),
        add_status_command(app),  add_boot_command(app),      add_confirm_command(app),
        add_update_command(app),  add_install_command(app),   add_manifest_command(app)};

    try {
      app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError& e) {
      const int rc = app.exit(e);
      return rc == 0 ? 0 : static_cast<int>(ExitCode::Usage);
    }
    const auto level = log::parse_level(log_level);
    if (!level) {
      log::error("--log-level: unknown level '{}'", log_level);
      return static_cast<int>(ExitCode::Usage);
    }
    log::set_level(*level);

    for (const auto& c : commands)
      if (c.app->parsed()) return c.run();
    // No sub-command is a usage error: the help goes where errors go.
    (void)std::fputs(app.help().c_str(), stderr);
    return static_cast<int>(ExitCode::Usage);
  });
}

}  // namespace ratchet::cli
