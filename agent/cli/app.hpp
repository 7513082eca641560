// The `ratchet` command line: global options and the sub-commands each area registers.
#pragma once

#include <functional>
#include <span>

namespace ratchet::cli {

// Runs the command line and returns the process exit code. Never throws.
[[nodiscard]] int run(std::span<char*> argv) noexcept;

// Runs `body`; an exception escaping it is a bug: logged, and exit code 70 (Internal).
[[nodiscard]] int guarded(const std::function<int()>& body) noexcept;

}  // namespace ratchet::cli
