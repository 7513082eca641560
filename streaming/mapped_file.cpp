#include "streaming/mapped_file.hpp"

#include <utility>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "common/file.hpp"

namespace ratchet::streaming {

Result<std::uint64_t> file_or_device_size(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(errno_error(errno, path.string()));
  if (S_ISREG(st.st_mode)) return static_cast<std::uint64_t>(st.st_size);
  if (S_ISBLK(st.st_mode)) {
    std::uint64_t size = 0;
    if (::ioctl(fd, BLKGETSIZE64, &size) != 0) return fail(errno_error(errno, path.string()));
    return size;
  }
  return fail(Code::InvalidArgument, "{}: neither a regular file nor a block device",
              path.string());
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
}

Result<MappedFile> MappedFile::open(const std::filesystem::path& path, std::uint64_t length) {
  auto fd = RATCHET_TRY(open_file(path, O_RDONLY));
  const std::uint64_t size = RATCHET_TRY(file_or_device_size(fd.get(), path));
  if (length == 0) length = size;
  if (length > size)
    return fail(Code::BadReference, "{}: {} bytes, shorter than the {} bytes needed", path.string(),
                size, length);
  MappedFile m;
  if (length == 0) return m;
  void* p = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd.get(), 0);
  if (p == MAP_FAILED) return fail(errno_error(errno, path.string()));
  // Matches are found anywhere in the reference; readahead of whole runs still helps.
  (void)::madvise(p, length, MADV_WILLNEED);
  m.data_ = static_cast<const std::byte*>(p);
  m.size_ = static_cast<std::size_t>(length);
  return m;
}

}  // namespace ratchet::streaming
