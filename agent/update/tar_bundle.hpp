// A USB bundle as one .tar file (POSIX ustar, as ratchet-repo bundle writes it): unpacked into a
// private directory before the same verification as a bundle directory. Only regular files and
// directories; names are bounded and may not leave the directory; sizes are bounded.
#pragma once

#include <filesystem>

#include "common/result.hpp"

namespace ratchet::update {

[[nodiscard]] Status unpack_tar(const std::filesystem::path& tar, const std::filesystem::path& into,
                                std::uint64_t max_total);

}  // namespace ratchet::update
