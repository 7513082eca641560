#include "common/file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ratchet {

Error errno_error(int err, std::string_view what) {
  const Code code = (err == ENOSPC || err == EDQUOT) ? Code::OutOfSpace
                    : (err == ENOENT)                ? Code::NotFound
                                                     : Code::Io;
  return Error(code, fmt::format("{}: {}", what, std::strerror(err)));
}

Result<UniqueFd> open_file(const std::filesystem::path& path, int flags, unsigned mode) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return fail(errno_error(errno, path.string()));
  return UniqueFd(fd);
}

namespace {

std::string_view file_type(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a file";
}

// A directory where a device file (key, counter, config) should be is a fault of this device's
// files (Io, exit 40); a FIFO, device node or link where input should be is bad input.
Code not_regular_code(mode_t mode) {
  return S_ISDIR(mode) ? Code::Io : Code::InvalidArgument;
}

}  // namespace

Result<UniqueFd> open_regular_file(const std::filesystem::path& path) {
  // lstat first, so that a device node is never even opened (opening one can have effects: a
  // watchdog arms, a tape rewinds); the flags and the fstat below close the race with a swap.
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return fail(errno_error(errno, path.string()));
  if (!S_ISREG(st.st_mode))
    return fail(not_regular_code(st.st_mode), "{}: {}, not a regular file", path.string(),
                file_type(st.st_mode));
  const int raw = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0) return fail(errno_error(errno, path.string()));
  UniqueFd fd(raw);
  if (::fstat(fd.get(), &st) != 0) return fail(errno_error(errno, path.string()));
  if (!S_ISREG(st.st_mode))
    return fail(not_regular_code(st.st_mode), "{}: {}, not a regular file", path.string(),
                file_type(st.st_mode));
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
    return fail(errno_error(errno, path.string()));
  return fd;
}

Status write_all(int fd, std::span<const std::byte> data, std::string_view what) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno_error(errno, what));
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::string> read_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  auto fd = RATCHET_TRY(open_regular_file(path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(errno_error(errno, path.string()));
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes)
    return fail(Code::TooLarge, "{}: {} bytes, more than the limit of {}", path.string(),
                st.st_size, max_bytes);
  std::string out;
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  // Read one byte past the expected size: a file that grew under us must not slip past the bound.
  char probe = 0;
  while (true) {
    char* dst = got < out.size() ? out.data() + got : &probe;
    const std::size_t want = got < out.size() ? out.size() - got : 1;
    const ssize_t n = ::read(fd.get(), dst, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno_error(errno, path.string()));
    }
    if (n == 0) break;
    if (got >= out.size())
      return fail(Code::TooLarge, "{}: file grew while being read", path.string());
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

Status sync_directory(const std::filesystem::path& dir) {
  auto fd = RATCHET_TRY(open_file(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY));
  if (::fsync(fd.get()) != 0) return fail(errno_error(errno, dir.string()));
  return {};
}

std::filesystem::path atomic_temp_path(const std::filesystem::path& path) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  return tmp;
}

Status remove_file(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return fail(Code::Io, "{}: cannot remove: {}", path.string(), std::strerror(errno));
  return {};
}

Result<bool> path_exists(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  return fail(Code::Io, "{}: {}", path.string(), std::strerror(errno));
}

namespace {

Status write_and_sync(const std::filesystem::path& tmp, std::span<const std::byte> data,
                      unsigned mode) {
  auto fd = RATCHET_TRY(open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode));
  RATCHET_TRY(write_all(fd.get(), data, tmp.string()));
  if (::fsync(fd.get()) != 0) return fail(errno_error(errno, tmp.string()));
  if (const int err = fd.close_checked(); err != 0) return fail(errno_error(err, tmp.string()));
  return {};
}

}  // namespace

Status write_file_atomic(const std::filesystem::path& path, std::span<const std::byte> data,
                         unsigned mode) {
  const std::filesystem::path tmp = atomic_temp_path(path);
  // A partial temporary file must not stay behind: on a full disk it would keep the space that
  // every later write needs.
  if (auto written = write_and_sync(tmp, data, mode); !written) {
    (void)::unlink(tmp.c_str());  // best effort: the write error is the one to report
    return written;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    (void)::unlink(tmp.c_str());
    return fail(errno_error(err, path.string()));
  }
  return sync_directory(path.parent_path());
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view data, unsigned mode) {
  return write_file_atomic(path, std::as_bytes(std::span(data.data(), data.size())), mode);
}

}  // namespace ratchet
