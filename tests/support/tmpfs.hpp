// A small tmpfs mounted on a directory for the disk-full tests (root only: callers skip cleanly
// when mounted() is false). Unmounted (lazily, so a test that failed half-way still cleans up)
// when it goes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace ratchet::test {

class Tmpfs {
 public:
  Tmpfs(const std::filesystem::path& mount_point, std::uint64_t bytes);
  ~Tmpfs();
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  [[nodiscard]] bool mounted() const { return mounted_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] std::filesystem::path operator/(const std::filesystem::path& p) const {
    return path_ / p;
  }

  // Writes `name` until the file system is full, then gives back `leave` bytes (rounded to
  // pages): what is left free afterwards is about `leave`.
  void fill(const std::filesystem::path& name, std::uint64_t leave) const;
  // The names of every file below the mount point, sorted (what a failed run may have left).
  [[nodiscard]] std::string listing() const;

 private:
  std::filesystem::path path_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace ratchet::test
