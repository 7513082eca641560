// Untrusted files and processes, end to end with the binary: a bundle whose files are a FIFO, a
// symbolic link or a device node is refused at once (InvalidArgument, exit 2) and changes
// nothing; the `command` ECU's flash program runs without a shell, so a staged path holding
// quotes and $(...) reaches it as one argument and runs nothing else; and how the configuration
// spells that command.
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "agent/config/config.hpp"
#include "tests/agent/update_e2e_fixture.hpp"

namespace ratchet::update {
namespace {

namespace fs = std::filesystem;

class UntrustedInput : public UpdateE2E {
 protected:
  // A bundle of what the repositories hold now, at dir/usb, with the servers gone (offline).
  void make_bundle() {
    assign("rootfs-v2.img", v2, "primary");
    publish();
    fs::create_directories(dir / "usb");
    fs::copy(dir / "director", dir / "usb/director", fs::copy_options::recursive);
    fs::copy(dir / "image", dir / "usb/image", fs::copy_options::recursive);
    director_server.reset();
    image_server.reset();
  }
  test::ProcessResult install(const fs::path& bundle) {
    // Without the fix the FIFO case blocks in open(2) forever; the generous kill turns that
    // into a failure rather than a hung suite (no timing is asserted).
    return test::run_process(
        {RATCHET_BINARY, "install", bundle.string(), "--config", (dir / "ratchet.toml").string()},
        {}, std::chrono::seconds(60));
  }
  // Refused with `what` in the message, and nothing the device holds moved: the trusted
  // metadata, the slots, the boot environment.
  void expect_refused_changing_nothing(const std::string& what) {
    const Json floors = json_of("status").at("floors");
    const auto env0 = test::read_bytes(env_files.copy0), env1 = test::read_bytes(env_files.copy1);
    const auto slot_a = test::read_bytes(dir / "slot_a.img");
    const auto slot_b = test::read_bytes(dir / "slot_b.img");
    const auto r = install(dir / "usb");
    expect_exit(r, 2, "InvalidArgument");
    EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
    EXPECT_EQ(json_of("status").at("floors"), floors);
    EXPECT_EQ(test::read_bytes(env_files.copy0), env0);
    EXPECT_EQ(test::read_bytes(env_files.copy1), env1);
    EXPECT_EQ(test::read_bytes(dir / "slot_a.img"), slot_a);
    EXPECT_EQ(test::read_bytes(dir / "slot_b.img"), slot_b);
    EXPECT_FALSE(trial().has_value());
  }
  // After the refusal the run lock is free and the same bundle, repaired, installs.
  void expect_repaired_bundle_installs(const fs::path& file) {
    fs::remove(file);
    fs::copy_file(dir / "director" / file.lexically_relative(dir / "usb/director"), file);
    expect_exit(install(dir / "usb"), 10);
    EXPECT_EQ(slot_b_image(), v2);
  }
};

TEST_F(UntrustedInput, FifoInABundleIsRefusedAtOnce) {
  make_bundle();
  const auto targets = dir / "usb/director/targets.json";
  fs::remove(targets);
  ASSERT_EQ(::mkfifo(targets.c_str(), 0644), 0);
  expect_refused_changing_nothing(targets.string() + ": a FIFO, not a regular file");
  expect_repaired_bundle_installs(targets);
}

TEST_F(UntrustedInput, SymlinkInABundleIsRefused) {
  make_bundle();
  // Even one pointing at the very file that belongs there: a bundle holds files, not links.
  const auto targets = dir / "usb/director/targets.json";
  fs::remove(targets);
  fs::create_symlink(dir / "director/targets.json", targets);
  expect_refused_changing_nothing(targets.string() + ": a symbolic link, not a regular file");
  expect_repaired_bundle_installs(targets);
}

TEST_F(UntrustedInput, DeviceNodeInABundleIsNeverOpened) {
  if (::geteuid() != 0) GTEST_SKIP() << "mknod needs root";
  make_bundle();
  const auto targets = dir / "usb/director/targets.json";
  fs::remove(targets);
  ASSERT_EQ(::mknod(targets.c_str(), S_IFCHR | 0644, ::makedev(1, 3)), 0);  // /dev/null
  expect_refused_changing_nothing(targets.string() + ": a character device, not a regular file");
  expect_repaired_bundle_installs(targets);
}

// The staged file's name holds a quote and a command substitution. The flash program must see
// it as its one argument, and no shell must run what it says.
TEST_F(UntrustedInput, CommandEcuPathIsOneArgumentNeverShellSyntax) {
  const test::Bytes mcu = test::random_bytes(100000, 5);
  release("mcu.bin", mcu, 1, "mcu-x");
  assign("mcu.bin", mcu, "mcu", "mcu-x");
  publish();
  const auto script = dir / "flash.sh";
  std::ofstream(script) << "#!/bin/sh\nprintf '%s\\n' \"$#\" \"$@\" > " << (dir / "args").string()
                        << "\ncmp -s \"$1\" " << (dir / "mcu.expected").string() << "\n";
  fs::permissions(script, fs::perms::owner_all);
  test::write_bytes(dir / "mcu.expected", mcu);
  const auto staged = dir / "mcu'$(touch $RATCHET_PWNED)'.bin";
  extra_ecus =
      "[[ecu]]\nserial = \"mcu\"\nhardware_id = \"mcu-x\"\nkind = \"command\"\n"
      "path = \"" +
      staged.string() + "\"\ncommand = \"" + script.string() + "\"\n";
  write_config();
  const auto pwned = dir / "pwned";
  const auto r =
      test::run_process({RATCHET_BINARY, "update", "--config", (dir / "ratchet.toml").string()},
                        {"RATCHET_PWNED=" + pwned.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(pwned)) << "a shell ran the file name";
  std::ifstream in(dir / "args");
  const std::string args((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(args, "1\n" + staged.string() + "\n");
  EXPECT_EQ(json_of("status").at("ecus").at("mcu").at("installed").at("name"), "mcu.bin")
      << json_of("status").dump();
}

config::Config parse_command(const std::string& command) {
  const std::string text =
      "[device]\nid = \"d\"\n[server]\ndirector_url = \"http://x/\"\n"
      "image_url = \"http://x/\"\n[anchor]\ndir = \"/a\"\n"
      "[[ecu]]\nserial = \"s\"\nhardware_id = \"h\"\nslot_a = \"/a\"\n"
      "slot_b = \"/b\"\n[[ecu]]\nserial = \"m\"\nhardware_id = \"h\"\n"
      "kind = \"command\"\npath = \"/p\"\ncommand = " +
      command + "\n";
  auto c = config::parse_config(text, "ratchet.toml");
  if (c) return *c;
  config::Config refused;  // no ECUs; the error where the source would be
  refused.source = c.error().to_string();
  return refused;
}

TEST(CommandConfig, AnArrayOrAStringSplitOnBlanks) {
  EXPECT_EQ(parse_command(R"(["/usr/bin/flash", "--verify", "a b"])").ecus.at(1).command,
            (std::vector<std::string>{"/usr/bin/flash", "--verify", "a b"}));
  EXPECT_EQ(parse_command("\"  /usr/bin/flash\t--verify  \"").ecus.at(1).command,
            (std::vector<std::string>{"/usr/bin/flash", "--verify"}));
}

TEST(CommandConfig, ShellSyntaxInAStringIsRefusedNotRunDifferently) {
  for (const char* bad :
       {R"("flash 'a b'")", R"("flash $HOME")", R"("flash; reboot")", R"("flash | tee")",
        R"("flash > log")", R"("exit 7 #")", R"x("flash $(x)")x", R"("flash `x`")"}) {
    const auto c = parse_command(bad);
    EXPECT_TRUE(c.ecus.empty()) << bad;
    EXPECT_NE(c.source.string().find("BadConfig: ratchet.toml: ecu[1].command: "),
              std::string::npos)
        << c.source;
    EXPECT_NE(c.source.string().find("runs without a shell"), std::string::npos) << c.source;
  }
  for (const char* bad : {"[]", R"([""])", R"("   ")", "[1]", "3"}) {
    const auto c = parse_command(bad);
    EXPECT_TRUE(c.ecus.empty()) << bad;
    EXPECT_NE(c.source.string().find("ecu[1].command"), std::string::npos) << c.source;
  }
}

}  // namespace
}  // namespace ratchet::update
