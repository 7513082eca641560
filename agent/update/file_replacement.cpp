#include "agent/update/file_replacement.hpp"

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.hpp"
#include "common/log.hpp"

namespace ratchet::update {
namespace {

constexpr mode_t kDefaultMode = 0644;

}  // namespace

std::filesystem::path replacement_temp(const std::filesystem::path& target) {
  return target.parent_path() / ("." + target.filename().string() + ".ratchet-tmp");
}

Status remove_replacement_temp(const std::filesystem::path& target) {
  const auto temp = replacement_temp(target);
  if (::unlink(temp.c_str()) != 0 && errno != ENOENT)
    return fail(Code::Io, "{}: cannot remove: {}", temp.string(), std::strerror(errno));
  return {};
}

Result<FileReplacement> FileReplacement::begin(const std::filesystem::path& target,
                                               std::string_view what) {
  if (target.filename().empty())
    return fail(Code::BadConfig, "{} = \"{}\" names no file", what, target.string());
  mode_t mode = kDefaultMode;
  std::optional<std::pair<uid_t, gid_t>> owner;
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode))
      return fail(Code::BadConfig,
                  "{} = \"{}\" is not a regular file (a symlink, directory or device): a file "
                  "ECU's image replaces the file at that path",
                  what, target.string());
    mode = st.st_mode & 07777;
    if (st.st_uid != ::geteuid() || st.st_gid != ::getegid()) owner.emplace(st.st_uid, st.st_gid);
  } else if (errno != ENOENT) {
    return fail(errno_error(errno, target.string()));
  }
  RATCHET_TRY(remove_replacement_temp(target));
  FileReplacement r(target, replacement_temp(target));
  auto fd = open_file(r.temp_, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  if (!fd) {
    r.pending_ = false;  // not ours: nothing was created
    return fail(std::move(fd).error());
  }
  // The umask may have narrowed the mode; the target's owner comes along too (as root).
  if (::fchmod(fd->get(), mode) != 0) return fail(errno_error(errno, r.temp_.string()));
  if (owner && ::fchown(fd->get(), owner->first, owner->second) != 0)
    return fail(errno_error(errno, r.temp_.string() + " (owner of " + target.string() + ")"));
  if (const int err = fd->close_checked(); err != 0)
    return fail(errno_error(err, r.temp_.string()));
  return r;
}

FileReplacement::FileReplacement(FileReplacement&& other) noexcept
    : target_(std::move(other.target_)),
      temp_(std::move(other.temp_)),
      pending_(std::exchange(other.pending_, false)) {}

FileReplacement::~FileReplacement() {
  if (pending_ && ::unlink(temp_.c_str()) != 0 && errno != ENOENT)
    log::warning("{}: cannot remove: {} (the next run removes it)", temp_.string(),
                 std::strerror(errno));
}

Status FileReplacement::commit() {
  {
    auto fd = RATCHET_TRY(open_file(temp_, O_RDONLY | O_NOFOLLOW));
    if (::fsync(fd.get()) != 0) return fail(errno_error(errno, temp_.string()));
  }
  if (::rename(temp_.c_str(), target_.c_str()) != 0)
    return fail(errno_error(errno, temp_.string() + " -> " + target_.string()));
  pending_ = false;
  if (auto synced = sync_directory(target_.parent_path()); !synced)
    return fail(synced.error().code(),
                "{} holds the new image, but it may not survive a power "
                "cut: {}",
                target_.string(), synced.error().message());
  return {};
}

}  // namespace ratchet::update
