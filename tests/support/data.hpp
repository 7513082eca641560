// Test data: reproducible pseudo-random and image-like byte strings, and whole-file helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace ratchet::test {

using Bytes = std::vector<std::byte>;

// Incompressible bytes from a fixed seed.
Bytes random_bytes(std::size_t n, std::uint64_t seed);
// Something like a filesystem image: runs of zeros, repeated blocks and random blocks.
Bytes image_like(std::size_t n, std::uint64_t seed);
// A "new version" of `base`: mostly the same, with scattered edits, an insertion and growth.
Bytes edited(const Bytes& base, std::uint64_t seed, std::size_t extra = 0);

void write_bytes(const std::filesystem::path& path, std::span<const std::byte> data);
Bytes read_bytes(const std::filesystem::path& path);

std::span<const std::byte> as_bytes(std::string_view s);
std::vector<std::byte> sha256(std::span<const std::byte> data);

}  // namespace ratchet::test
