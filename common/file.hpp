// Whole-file helpers with the two properties every caller needs: reads are bounded (a file is
// input like any other) and writes are atomic and durable (temp file, fsync, rename, fsync dir).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "common/fd.hpp"
#include "common/result.hpp"

namespace ratchet {

// Opens an input file (bundle, metadata, configuration, chunk list, key, payload) for reading
// without ever blocking and without following a link: lstat (a device node is never opened),
// then O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, so that neither a FIFO (whose open(2)
// waits for a writer) nor a device swapped in meanwhile can stall the caller, then fstat. Anything
// but a regular file, a symbolic link included, is InvalidArgument naming the path and what it is;
// absent is NotFound. O_NONBLOCK is cleared on the descriptor returned. Every input file is opened
// through here.
[[nodiscard]] Result<UniqueFd> open_regular_file(const std::filesystem::path& path);

// Reads a whole regular file (opened with open_regular_file); TooLarge if it is longer than
// max_bytes, NotFound if absent.
[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& path,
                                            std::uint64_t max_bytes);

// Replaces `path` with `data` so that after a crash it holds either the old or the new content.
// The data goes to atomic_temp_path(path) first; on every failure that file is removed again (a
// crash can still leave it: remove_file() it before the next write needs the space).
[[nodiscard]] Status write_file_atomic(const std::filesystem::path& path,
                                       std::span<const std::byte> data, unsigned mode = 0644);
[[nodiscard]] Status write_file_atomic(const std::filesystem::path& path, std::string_view data,
                                       unsigned mode = 0644);

// `<path>.tmp`: where write_file_atomic() stages the new content of `path`.
[[nodiscard]] std::filesystem::path atomic_temp_path(const std::filesystem::path& path);

// unlink(2); a missing file is fine, any other failure is Io naming the path.
[[nodiscard]] Status remove_file(const std::filesystem::path& path);

// Whether `path` exists (stat(2), symlinks followed). Only ENOENT means "missing": any other
// failure (EACCES, EIO, ENOTDIR, ELOOP) is an Io error naming the path, never taken for absent.
[[nodiscard]] Result<bool> path_exists(const std::filesystem::path& path);

// open(2) with O_CLOEXEC, errors naming the path.
[[nodiscard]] Result<UniqueFd> open_file(const std::filesystem::path& path, int flags,
                                         unsigned mode = 0644);

// fsync of a directory, so a rename or create inside it is durable.
[[nodiscard]] Status sync_directory(const std::filesystem::path& dir);

// Writes all of `data` at the current offset, retrying on EINTR and short writes.
[[nodiscard]] Status write_all(int fd, std::span<const std::byte> data, std::string_view what);

// "path: strerror" Io error (or OutOfSpace for ENOSPC/EDQUOT) from errno value `err`.
[[nodiscard]] Error errno_error(int err, std::string_view what);

}  // namespace ratchet
