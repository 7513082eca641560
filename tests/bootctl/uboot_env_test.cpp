// UbootEnv over the real libubootenv and file-backed redundant copies: blank and corrupt
// environments, round trips with fw_printenv, and power cuts in the middle of a store.
#include "bootctl/uboot_env.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/data.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/uboot_env_files.hpp"

namespace ratchet::bootctl {
namespace {

class UbootEnvTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  test::UbootEnvFiles files{dir / "env"};

  UbootEnv env(bool with_defaults = true) {
    return UbootEnv(files.config, with_defaults ? files.defaults : std::filesystem::path());
  }
};

TEST_F(UbootEnvTest, BlankEnvironmentIsReportedAndNeverWrittenWithoutDefaults) {
  auto e = env(false);
  const auto snap = e.read().value();
  EXPECT_FALSE(snap.valid);
  EXPECT_TRUE(snap.vars.empty());
  const auto before0 = test::read_bytes(files.copy0);
  const auto before1 = test::read_bytes(files.copy1);
  auto w = e.write({{"ratchet_slot", "a"}});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code(), Code::BootEnv);
  EXPECT_NE(w.error().message().find("blank or corrupt"), std::string::npos);
  EXPECT_EQ(test::read_bytes(files.copy0), before0);
  EXPECT_EQ(test::read_bytes(files.copy1), before1);
}

TEST_F(UbootEnvTest, BlankEnvironmentStartsFromTheBoardDefaults) {
  auto e = env();
  const auto snap = e.read().value();
  EXPECT_FALSE(snap.valid);
  EXPECT_EQ(snap.vars.at("bootcmd"), "run distro_bootcmd");
  ASSERT_TRUE(e.write({{"ratchet_slot", "a"}, {"ratchet_good_a", "1"}}));
  const auto back = e.read().value();
  EXPECT_TRUE(back.valid);
  EXPECT_EQ(back.vars.at("bootcmd"), "run distro_bootcmd");  // U-Boot's own vars kept
  EXPECT_EQ(back.vars.at("ratchet_slot"), "a");
}

TEST_F(UbootEnvTest, FwPrintenvAndFwSetenvSeeTheSameEnvironment) {
  auto e = env();
  ASSERT_TRUE(e.write({{"ratchet_slot", "b"}}));
  auto printed = test::run_process({"fw_printenv", "-c", files.config.string(), "ratchet_slot"});
  if (printed.exit_code == 127) GTEST_SKIP() << "fw_printenv is not installed";
  EXPECT_EQ(printed.out, "ratchet_slot=b\n") << printed.err;
  auto set = test::run_process({"fw_setenv", "-c", files.config.string(), "bootlimit", "5"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(e.read().value().vars.at("bootlimit"), "5");
  EXPECT_EQ(e.read().value().vars.at("ratchet_slot"), "b");
}

TEST_F(UbootEnvTest, RemovingAVariable) {
  auto e = env();
  ASSERT_TRUE(e.write({{"ratchet_previous", "a"}}));
  ASSERT_TRUE(e.write({{"ratchet_previous", std::nullopt}}));
  EXPECT_FALSE(e.read().value().vars.contains("ratchet_previous"));
}

TEST_F(UbootEnvTest, ACorruptCopyFallsBackToTheOther) {
  auto e = env();
  ASSERT_TRUE(e.write({{"ratchet_slot", "a"}}));  // first store: copy 1
  ASSERT_TRUE(e.write({{"ratchet_slot", "b"}}));  // second: copy 0
  auto bytes = test::read_bytes(files.copy0);
  bytes[100] = std::byte{static_cast<unsigned char>(std::to_integer<unsigned>(bytes[100]) ^ 0x55u)};
  test::write_bytes(files.copy0, bytes);
  const auto snap = e.read().value();
  EXPECT_TRUE(snap.valid);
  EXPECT_EQ(snap.vars.at("ratchet_slot"), "a");
}

TEST_F(UbootEnvTest, BothCopiesCorruptIsBlank) {
  auto e = env(false);
  std::ofstream(files.copy0, std::ios::binary) << std::string(test::kEnvSize, 'x');
  std::ofstream(files.copy1, std::ios::binary) << std::string(test::kEnvSize, 'y');
  EXPECT_FALSE(e.read().value().valid);
}

TEST_F(UbootEnvTest, TruncatedCopyIsAClearError) {
  auto e = env();
  std::ofstream(files.copy0, std::ios::binary) << "short";
  auto r = e.read();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::BootEnv);
}

TEST_F(UbootEnvTest, MissingConfigIsAClearError) {
  UbootEnv e(dir / "nope.config");
  EXPECT_EQ(e.read().error().code(), Code::BadConfig);
}

// A power cut in the middle of a store: the copy being written holds a prefix of the new bytes
// and the rest of the old. Whatever the prefix, the environment reads as the old one or the new
// one, never a mixture.
TEST_F(UbootEnvTest, PowerCutAtAnyByteOfAStoreLeavesOldOrNew) {
  auto e = env();
  ASSERT_TRUE(e.write({{"ratchet_slot", "a"}, {"ratchet_good_a", "1"}, {"bootcount", "0"}}));
  ASSERT_TRUE(e.write({{"bootlimit", "3"}}));
  const Vars old_vars = e.read().value().vars;
  const auto old0 = test::read_bytes(files.copy0), old1 = test::read_bytes(files.copy1);
  ASSERT_TRUE(e.write({{"ratchet_slot", "b"},
                       {"ratchet_previous", "a"},
                       {"ratchet_good_b", "0"},
                       {"upgrade_available", "1"}}));
  const Vars new_vars = e.read().value().vars;
  const auto new0 = test::read_bytes(files.copy0), new1 = test::read_bytes(files.copy1);
  ASSERT_NE(old_vars, new_vars);
  const bool copy0_written = old0 != new0;
  ASSERT_NE(copy0_written, old1 != new1) << "a store writes exactly one copy";
  const auto& before = copy0_written ? old0 : old1;
  const auto& after = copy0_written ? new0 : new1;
  const auto& target = copy0_written ? files.copy0 : files.copy1;
  for (const std::size_t cut :
       {std::size_t{0}, std::size_t{1}, std::size_t{4}, std::size_t{5}, std::size_t{64},
        test::kEnvSize / 2, test::kEnvSize - 1, test::kEnvSize}) {
    SCOPED_TRACE(cut);
    auto torn = before;
    std::copy(after.begin(), after.begin() + static_cast<std::ptrdiff_t>(cut), torn.begin());
    test::write_bytes(target, torn);
    const auto snap = e.read().value();
    EXPECT_TRUE(snap.valid);
    EXPECT_TRUE(snap.vars == old_vars || snap.vars == new_vars);
    EXPECT_EQ(snap.vars == new_vars, cut == test::kEnvSize || torn == after);
  }
}

}  // namespace
}  // namespace ratchet::bootctl
