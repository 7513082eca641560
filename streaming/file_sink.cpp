#include "streaming/file_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "common/file.hpp"

namespace ratchet::streaming {

Result<std::unique_ptr<FileSink>> FileSink::create(const std::filesystem::path& path) {
  std::unique_ptr<FileSink> s(new FileSink());
  s->path_ = path;
  s->part_ = path;
  s->part_ += ".part";
  s->fd_ = RATCHET_TRY(open_file(s->part_, O_WRONLY | O_CREAT | O_TRUNC, 0644));
  return s;
}

FileSink::~FileSink() {
  if (!done_) {  // abandoned: leave nothing behind
    fd_.reset();
    std::error_code ec;
    std::filesystem::remove(part_, ec);
  }
}

Status FileSink::write(std::span<const std::byte> data) {
  return write_all(fd_.get(), data, part_.string());
}

Status FileSink::finish() {
  if (::fsync(fd_.get()) != 0) return fail(errno_error(errno, part_.string()));
  if (const int err = fd_.close_checked(); err != 0) return fail(errno_error(err, part_.string()));
  if (::rename(part_.c_str(), path_.c_str()) != 0) return fail(errno_error(errno, path_.string()));
  done_ = true;
  return sync_directory(path_.parent_path());
}

}  // namespace ratchet::streaming
