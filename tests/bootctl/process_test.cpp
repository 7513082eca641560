#include "bootctl/process.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace ratchet::bootctl {
namespace {

namespace fs = std::filesystem;

std::string text_of(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// (Timeouts: ConfirmationTest's hanging check.)
Status run(std::vector<std::string> argv) {
  return run_process(
      {.argv = std::move(argv), .timeout = std::chrono::seconds(10), .what = "the program"},
      nullptr, std::chrono::milliseconds(1000));
}

// Every argument reaches the program as it is: no word splitting, quoting, globbing or
// substitution, whatever it holds.
TEST(Process, ArgumentsAreNeverShellSyntax) {
  test::TempDir dir;
  const auto out = dir / "args";
  const std::string tricky = "a 'b' \"c\" $(touch " + (dir / "pwned").string() + ") `x` ; * |";
  ASSERT_TRUE(
      run({"/bin/sh", "-c", "printf '%s\\n' \"$#\" \"$@\" > \"$0\"", out.string(), tricky, ""}));
  EXPECT_EQ(text_of(out), "2\n" + tricky + "\n\n");
  EXPECT_FALSE(fs::exists(dir / "pwned"));
}

TEST(Process, NameWithoutSlashIsLookedUpInPath) {
  EXPECT_TRUE(run({"true"}));
}

TEST(Process, FailuresNameTheProgramAndWhy) {
  auto s = run({"false"});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), Code::HealthCheckFailed);
  EXPECT_EQ(s.error().message(), "the program exited with 1");
  s = run({"/nonexistent/flash"});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), Code::HealthCheckFailed);
  EXPECT_NE(s.error().message().find("could not start /nonexistent/flash"), std::string::npos)
      << s.error().message();
  s = run({});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), Code::HealthCheckFailed);
}

}  // namespace
}  // namespace ratchet::bootctl
