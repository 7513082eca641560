// The `ratchet` command line: global options and the sub-commands each area registers.
#pragma once

#include <span>

namespace ratchet::cli {

// Runs the command line and returns the process exit code. Never throws.
[[nodiscard]] int run(std::span<char*> argv) noexcept;

}  // namespace ratchet::cli
