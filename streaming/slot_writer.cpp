#include "streaming/slot_writer.hpp"

#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.hpp"
#include "streaming/mapped_file.hpp"

namespace ratchet::streaming {
namespace {

constexpr std::size_t kAlign = 4096;
constexpr std::size_t kKiB = 1024;
constexpr std::size_t kStagingSize = 4u << 20;
constexpr std::size_t kCompare = 64 * kKiB;  // compare blocks: one changed byte rewrites 64 KiB

Status pwrite_all(int fd, std::span<const std::byte> data, std::uint64_t at,
                  const std::filesystem::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(at));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno_error(errno, path.string()));
    }
    data = data.subspan(static_cast<std::size_t>(n));
    at += static_cast<std::uint64_t>(n);
  }
  return {};
}

Status pread_all(int fd, std::span<std::byte> data, std::uint64_t at,
                 const std::filesystem::path& path, std::size_t* got) {
  *got = 0;
  while (*got < data.size()) {
    const ssize_t n =
        ::pread(fd, data.data() + *got, data.size() - *got, static_cast<off_t>(at + *got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno_error(errno, path.string()));
    }
    if (n == 0) break;
    *got += static_cast<std::size_t>(n);
  }
  return {};
}

Status fdatasync_checked(int fd, const std::filesystem::path& path) {
  if (::fdatasync(fd) != 0) return fail(errno_error(errno, path.string()));
  return {};
}

// Opens the slot once and checks what was opened: a symbolic link is followed only when it leads
// to a block device, anything but a block device or a regular file is refused, and O_NONBLOCK
// keeps a FIFO from hanging the open.
Result<UniqueFd> open_slot(const std::filesystem::path& target, bool create) {
  const int flags = O_RDWR | O_NONBLOCK | O_CLOEXEC | (create ? O_CREAT : 0);
  int fd = ::open(target.c_str(), flags | O_NOFOLLOW, 0644);
  bool via_link = false;
  if (fd < 0 && errno == ELOOP) {
    via_link = true;
    fd = ::open(target.c_str(), flags & ~O_CREAT);
  }
  if (fd < 0) {
    if (errno == ENOENT && !create)
      return fail(Code::NotFound, "{}: no such slot (slots are never created)", target.string());
    return fail(errno_error(errno, target.string()));
  }
  UniqueFd owned(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(errno_error(errno, target.string()));
  if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
    return fail(Code::InvalidArgument, "{}: neither a block device nor a regular file",
                target.string());
  if (via_link && !S_ISBLK(st.st_mode))
    return fail(Code::InvalidArgument,
                "{}: a symbolic link to a regular file, not a slot (name the file itself)",
                target.string());
  const int status = ::fcntl(fd, F_GETFL);
  if (status < 0 || ::fcntl(fd, F_SETFL, status & ~O_NONBLOCK) != 0)
    return fail(errno_error(errno, target.string()));
  return owned;
}

}  // namespace

Result<WriteMode> parse_write_mode(std::string_view name) {
  if (name == "auto") return WriteMode::Auto;
  if (name == "buffered") return WriteMode::Buffered;
  if (name == "direct") return WriteMode::Direct;
  return fail(Code::InvalidArgument, "unknown write mode '{}' (auto, buffered, direct)", name);
}

Result<std::unique_ptr<SlotWriter>> SlotWriter::open(const std::filesystem::path& target,
                                                     std::uint64_t image_length,
                                                     const SlotWriterOptions& options,
                                                     std::uint64_t start_offset,
                                                     std::vector<std::byte> saved_head) {
  if (options.head_size % kAlign != 0)
    return fail(Code::InvalidArgument, "head size {} is not a multiple of {}", options.head_size,
                kAlign);
  std::unique_ptr<SlotWriter> w(new SlotWriter());
  w->path_ = target;
  w->options_ = options;
  w->image_length_ = image_length;
  w->fd_ = RATCHET_TRY(open_slot(target, options.create));
  const std::uint64_t size = RATCHET_TRY(file_or_device_size(w->fd_.get(), target));
  struct stat st {};
  if (::fstat(w->fd_.get(), &st) != 0) return fail(errno_error(errno, target.string()));
  if (S_ISBLK(st.st_mode) && size < image_length)
    return fail(Code::OutOfSpace, "{}: slot has {} bytes, the image needs {}", target.string(),
                size, image_length);
  w->head_.resize(
      static_cast<std::size_t>(std::min<std::uint64_t>(options.head_size, image_length)));
  if (start_offset == 0) {
    // Invalidate whatever filesystem the slot held before a single new byte lands in it.
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(options.head_size, size));
    if (n > 0) {
      const std::vector<std::byte> zeros(n);
      RATCHET_TRY(pwrite_all(w->fd_.get(), zeros, 0, target));
      RATCHET_TRY(fdatasync_checked(w->fd_.get(), target));
    }
  } else {
    if (start_offset < w->head_.size() || saved_head.size() != w->head_.size() ||
        start_offset > image_length)
      return fail(Code::InvalidArgument, "{}: cannot resume at offset {}", target.string(),
                  start_offset);
    w->head_ = std::move(saved_head);
  }
  w->offset_ = start_offset;
  w->staged_at_ = start_offset;
  w->window_start_ = start_offset;
  w->previous_window_ = start_offset;
  w->direct_ =
      options.mode == WriteMode::Direct || (options.mode == WriteMode::Auto && S_ISBLK(st.st_mode));
  if (w->direct_) {
    // The same descriptor takes O_DIRECT for the aligned body (never a second open by name).
    RATCHET_TRY(w->set_direct(true));
    RATCHET_TRY(w->set_direct(false));
    w->staging_.reset(
        static_cast<std::byte*>(::operator new (kStagingSize, std::align_val_t{kAlign})));
    w->staging_size_ = kStagingSize;
  }
  if (options.skip_identical)
    w->compare_.reset(static_cast<std::byte*>(::operator new (kCompare, std::align_val_t{kAlign})));
  return w;
}

Status SlotWriter::set_direct(bool on) {
  const int flags = ::fcntl(fd_.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd_.get(), F_SETFL, on ? (flags | O_DIRECT) : (flags & ~O_DIRECT)) != 0)
    return fail(errno_error(errno, path_.string() + " (O_DIRECT)"));
  return {};
}

// Writes one piece at `at`, skipping it when the slot already holds these bytes.
Status SlotWriter::put(std::span<const std::byte> data, std::uint64_t at, int fd) {
  if (!options_.skip_identical) {
    RATCHET_TRY(pwrite_all(fd, data, at, path_));
    stats_.written += data.size();
    return {};
  }
  // Compare in blocks small enough that one changed byte does not rewrite megabytes.
  while (!data.empty()) {
    const std::size_t n = std::min(kCompare, data.size());
    std::size_t got = 0;
    RATCHET_TRY(pread_all(fd, std::span(compare_.get(), n), at, path_, &got));
    if (got == n && std::memcmp(compare_.get(), data.data(), n) == 0) {
      stats_.skipped += n;
    } else {
      RATCHET_TRY(pwrite_all(fd, data.first(n), at, path_));
      stats_.written += n;
    }
    data = data.subspan(n);
    at += n;
  }
  return {};
}

Status SlotWriter::flush_staging(bool final) {
  if (staged_ == 0) return {};
  const std::size_t aligned = final ? staged_ : staged_ - staged_ % kAlign;
  const std::size_t direct_part = staged_ - staged_ % kAlign;
  if (direct_part > 0) {
    RATCHET_TRY(set_direct(true));
    Status put_direct = put(std::span(staging_.get(), direct_part), staged_at_, fd_.get());
    RATCHET_TRY(set_direct(false));
    RATCHET_TRY(put_direct);
  }
  if (final && aligned > direct_part)  // the unaligned tail of the image goes through the cache
    RATCHET_TRY(put(std::span(staging_.get() + direct_part, aligned - direct_part),
                    staged_at_ + direct_part, fd_.get()));
  const std::size_t keep = staged_ - aligned;
  if (keep > 0) std::memmove(staging_.get(), staging_.get() + aligned, keep);
  staged_at_ += aligned;
  staged_ = keep;
  return {};
}

// Bounded dirty data: kick off writeback of the window just filled, wait for the one before it.
Status SlotWriter::writeback(bool final) {
  if (direct_) return {};
  if (!final && offset_ - window_start_ < options_.writeback_window) return {};
  if (offset_ > window_start_)
    (void)::sync_file_range(fd_.get(), static_cast<off_t>(window_start_),
                            static_cast<off_t>(offset_ - window_start_), SYNC_FILE_RANGE_WRITE);
  if (window_start_ > previous_window_)
    (void)::sync_file_range(
        fd_.get(), static_cast<off_t>(previous_window_),
        static_cast<off_t>(window_start_ - previous_window_),
        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
  previous_window_ = window_start_;
  window_start_ = offset_;
  return {};
}

Status SlotWriter::write(std::span<const std::byte> data) {
  if (data.size() > image_length_ - offset_)
    return fail(Code::TooLarge, "{}: more than the {} bytes of the image", path_.string(),
                image_length_);
  if (offset_ < head_.size()) {
    const std::size_t n =
        std::min<std::size_t>(data.size(), head_.size() - static_cast<std::size_t>(offset_));
    std::memcpy(head_.data() + offset_, data.data(), n);
    offset_ += n;
    data = data.subspan(n);
    staged_at_ = offset_;
  }
  if (data.empty()) return {};
  if (!direct_) {
    RATCHET_TRY(put(data, offset_, fd_.get()));
    offset_ += data.size();
    return writeback(false);
  }
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), staging_size_ - staged_);
    std::memcpy(staging_.get() + staged_, data.data(), n);
    staged_ += n;
    offset_ += n;
    data = data.subspan(n);
    if (staged_ == staging_size_) RATCHET_TRY(flush_staging(false));
  }
  return {};
}

Status SlotWriter::sync() {
  if (direct_) {
    RATCHET_TRY(flush_staging(offset_ == image_length_));  // the tail only at the very end
    if (staged_ != 0)
      return fail(Code::Internal, "{}: sync at unaligned offset {}", path_.string(), offset_);
  }
  return fdatasync_checked(fd_.get(), path_);
}

Status SlotWriter::finish() {
  if (offset_ != image_length_)
    return fail(Code::LengthMismatch, "{}: {} bytes written, the image has {}", path_.string(),
                offset_, image_length_);
  if (direct_) RATCHET_TRY(flush_staging(true));
  RATCHET_TRY(writeback(true));
  RATCHET_TRY(fdatasync_checked(fd_.get(), path_));
  // The body is durable; only now may the slot start to look like a filesystem.
  RATCHET_TRY(pwrite_all(fd_.get(), head_, 0, path_));
  stats_.written += head_.size();
  RATCHET_TRY(fdatasync_checked(fd_.get(), path_));
  if (const int err = fd_.close_checked(); err != 0) return fail(errno_error(err, path_.string()));
  return {};
}

}  // namespace ratchet::streaming
