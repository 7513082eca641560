#include "common/log.hpp"

#include <array>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace ratchet {
namespace {

// Captures what the logger writes to fd 2 during the lifetime of the object.
class StderrCapture {
 public:
  StderrCapture() {
    ::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    if (::pipe(pipe_.data()) != 0) throw std::runtime_error("pipe");
    ::dup2(pipe_[1], STDERR_FILENO);
    ::close(pipe_[1]);
  }
  ~StderrCapture() { restore(); }
  std::string finish() {
    restore();
    std::string out;
    std::array<char, 4096> buf{};
    ssize_t n = 0;
    while ((n = ::read(pipe_[0], buf.data(), buf.size())) > 0)
      out.append(buf.data(), n);
    ::close(pipe_[0]);
    return out;
  }

 private:
  void restore() {
    if (saved_ >= 0) {
      ::dup2(saved_, STDERR_FILENO);
      ::close(saved_);
      saved_ = -1;
    }
  }
  int saved_ = -1;
  std::array<int, 2> pipe_{};
};

TEST(Log, JournalPrefixesCarryThePriority) {
  log::set_journal_prefixes(true);
  log::set_level(log::Level::Info);
  StderrCapture cap;
  log::error("disk {} failed", "mmcblk0");
  log::warning("slow");
  log::info("fine");
  log::debug("hidden at info level");
  EXPECT_EQ(cap.finish(), "<3>disk mmcblk0 failed\n<4>slow\n<6>fine\n");
}

TEST(Log, JournalStreamMustNameThisExactStream) {
  EXPECT_TRUE(log::names_stream("8:1234", 8, 1234));
  EXPECT_FALSE(log::names_stream("8:1234", 8, 1235));
  EXPECT_FALSE(log::names_stream("9:1234", 8, 1234));
  EXPECT_FALSE(log::names_stream("8:1234x", 8, 1234));
  EXPECT_FALSE(log::names_stream("", 8, 1234));
  EXPECT_FALSE(log::names_stream("81234", 8, 1234));
}

TEST(Log, TerminalStyleHasLabels) {
  log::set_journal_prefixes(false);
  log::set_level(log::Level::Debug);
  StderrCapture cap;
  log::error("bad");
  log::debug("detail");
  log::notice("note");
  EXPECT_EQ(cap.finish(), "error: bad\ndebug: detail\nnote\n");
  log::set_level(log::Level::Info);
}

TEST(Log, ParseLevel) {
  EXPECT_EQ(log::parse_level("debug"), log::Level::Debug);
  EXPECT_EQ(log::parse_level("warning"), log::Level::Warning);
  EXPECT_FALSE(log::parse_level("loud").has_value());
}

}  // namespace
}  // namespace ratchet
