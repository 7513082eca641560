#include "tests/support/tmpfs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

namespace ratchet::test {

Tmpfs::Tmpfs(const std::filesystem::path& mount_point, std::uint64_t bytes) : path_(mount_point) {
  if (::geteuid() != 0) {
    error_ = "mounting a tmpfs needs root";
    return;
  }
  std::filesystem::create_directories(path_);
  const std::string options = "size=" + std::to_string(bytes) + ",mode=0755";
  if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    error_ = std::string("mount tmpfs: ") + std::strerror(errno);
    return;
  }
  mounted_ = true;
}

Tmpfs::~Tmpfs() {
  if (mounted_) (void)::umount2(path_.c_str(), MNT_DETACH);
}

void Tmpfs::fill(const std::filesystem::path& name, std::uint64_t leave) const {
  const auto file = path_ / name;
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  const std::vector<char> block(std::size_t{64} * 1024, 'x');
  off_t size = 0;
  while (true) {
    const ssize_t n = ::write(fd, block.data(), block.size());
    if (n <= 0) break;
    size += n;
  }
  (void)::ftruncate(fd, std::max<off_t>(0, size - static_cast<off_t>(leave)));
  (void)::close(fd);
}

std::string Tmpfs::listing() const {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::recursive_directory_iterator(path_))
    names.push_back(std::filesystem::relative(e.path(), path_).string());
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names)
    out += n + "\n";
  return out;
}

}  // namespace ratchet::test
