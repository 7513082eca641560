// A directory under $TMPDIR removed with everything in it when the test ends.
#pragma once

#include <filesystem>

namespace ratchet::test {

class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::filesystem::path& p) const {
    return path_ / p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace ratchet::test
