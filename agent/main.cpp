#include <span>

#include "agent/cli/app.hpp"

int main(int argc, char** argv) {
  return ratchet::cli::run(std::span<char*>(argv, static_cast<std::size_t>(argc)));
}
