// Which slot runs, by every method, on a system view put together in a test directory: the
// kernel command line, /dev/disk/by-* links, the device of `/` and sysfs slaves (dm-verity).
#include "bootctl/booted_slot.hpp"

#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "bootctl/kernel_cmdline.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::bootctl {
namespace {

namespace fs = std::filesystem;

class BootedSlotTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  SlotDevices files{dir / "slot_a.img", dir / "slot_b.img"};  // file-backed slots
  SystemView view{
      .cmdline = dir / "cmdline", .root = dir / "root", .dev = dir / "dev", .sys = dir / "sys"};

  void SetUp() override {
    std::ofstream(files.a) << "a";
    std::ofstream(files.b) << "b";
    fs::create_directories(view.root);
    fs::create_directories(view.dev / "disk");
  }
  BootedSlot with(const std::string& cmdline, const SlotDevices& slots) {
    std::ofstream(view.cmdline) << cmdline << "\n";
    return detect_booted_slot(slots, view);
  }
  void link(const std::string& name, const fs::path& to) {
    fs::create_directories((view.dev / name).parent_path());
    fs::create_symlink(to, view.dev / name);
  }
  // `under` shows up as a slave of `top` in sysfs, as dm-verity's data device does.
  void slave(dev_t top, dev_t under, const std::string& name) {
    const auto d = view.sys / "dev/block" /
                   (std::to_string(major(top)) + ":" + std::to_string(minor(top))) / "slaves" /
                   name;
    fs::create_directories(d);
    std::ofstream(d / "dev") << major(under) << ":" << minor(under) << "\n";
  }
};

// Three real block device nodes to match against (only stat'ed, never opened).
std::optional<std::array<fs::path, 3>> block_devices() {
  std::array<fs::path, 3> out{"/dev/loop0", "/dev/loop1", "/dev/loop2"};
  for (const auto& p : out) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) return std::nullopt;
  }
  return out;
}
dev_t rdev_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_rdev;
}

TEST(KernelCmdline, ParametersAsTheKernelReadsThem) {
  EXPECT_EQ(cmdline_param("root=/dev/vda2 ratchet.slot=b quiet", "ratchet.slot"), "b");
  EXPECT_EQ(cmdline_param("xratchet.slot=a", "ratchet.slot"), std::nullopt);
  EXPECT_EQ(cmdline_param("quiet", "root"), std::nullopt);
  EXPECT_EQ(cmdline_param("root=/dev/a root=/dev/b", "root"), "/dev/b");  // the last counts
  EXPECT_EQ(cmdline_param("x=\"a b\" rauc.slot=\"B\"\n", "rauc.slot"), "B");
  EXPECT_EQ(parse_rauc_slot("A"), Slot::A);
  EXPECT_EQ(parse_rauc_slot("rootfs.1"), Slot::B);
  EXPECT_EQ(parse_rauc_slot("system0"), Slot::A);
  EXPECT_EQ(parse_rauc_slot("rootfs.10"), std::nullopt);
  EXPECT_EQ(parse_rauc_slot("recovery"), std::nullopt);
}

TEST_F(BootedSlotTest, TheBootloaderSaysSo) {
  EXPECT_EQ(with("quiet ratchet.slot=b", {}).slot, Slot::B);
  EXPECT_EQ(with("quiet ratchet.slot=b", {}).how, "ratchet.slot=b");
  EXPECT_EQ(with("rauc.slot=A", {}).slot, Slot::A);
  EXPECT_EQ(with("rauc.slot=rootfs.1", files).slot, Slot::B);
  const auto bad = with("ratchet.slot=c", {});
  EXPECT_EQ(bad.slot, std::nullopt);
  EXPECT_NE(bad.how.find("ratchet.slot=c is not a or b"), std::string::npos) << bad.how;
}

TEST_F(BootedSlotTest, RootGivenAsAPathOrByIdMatchesTheSlot) {
  EXPECT_EQ(with("root=" + files.b.string(), files).slot, Slot::B);
  link("disk/by-partuuid/0fc63daf-02", files.a);
  link("disk/by-partlabel/rootfs_b", files.b);
  link("disk/by-uuid/5e1c0c2a", files.b);
  EXPECT_EQ(with("root=PARTUUID=0FC63DAF-02 rootwait", files).slot, Slot::A);
  EXPECT_EQ(with("root=PARTLABEL=rootfs_b", files).slot, Slot::B);
  const auto b = with("root=UUID=5E1C0C2A", files);
  EXPECT_EQ(b.slot, Slot::B);
  EXPECT_NE(b.how.find("root=UUID=5E1C0C2A is slot b"), std::string::npos) << b.how;
  // A device that is in /dev but is neither slot.
  std::ofstream(dir / "other.img") << "x";
  link("mmcblk0p1", dir / "other.img");
  const auto neither = with("root=/dev/mmcblk0p1", files);
  EXPECT_EQ(neither.slot, std::nullopt);
  EXPECT_NE(neither.how.find("root=/dev/mmcblk0p1 is neither slot"), std::string::npos)
      << neither.how;
}

TEST_F(BootedSlotTest, UnknownSaysWhyForEveryMethod) {
  const auto none = with("console=ttyS0 root=PARTUUID=feed-01", files);
  EXPECT_EQ(none.slot, std::nullopt);
  EXPECT_NE(none.how.find("no ratchet.slot= or rauc.slot="), std::string::npos) << none.how;
  EXPECT_NE(none.how.find("by-partuuid/feed-01"), std::string::npos) << none.how;
  EXPECT_NE(none.how.find("is neither slot"), std::string::npos) << none.how;  // `/`
  EXPECT_EQ(with("quiet", {}).how, "no ratchet.slot= or rauc.slot= in " + view.cmdline.string() +
                                       "; no slot devices configured to match root= or / against");
  fs::remove(view.cmdline);
  EXPECT_EQ(detect_booted_slot({}, view).slot, std::nullopt);
}

TEST_F(BootedSlotTest, MethodsThatDisagreeMakeItUnknown) {
  const auto r = with("ratchet.slot=a root=" + files.b.string(), files);
  EXPECT_EQ(r.slot, std::nullopt);
  EXPECT_NE(r.how.find("ratchet.slot=a, but root="), std::string::npos) << r.how;
  EXPECT_EQ(with("ratchet.slot=b root=" + files.b.string(), files).slot, Slot::B);
}

TEST_F(BootedSlotTest, BlockDevicesThroughDeviceMapperAndTheRootMount) {
  const auto devs = block_devices();
  if (!devs) GTEST_SKIP() << "no /dev/loop0..2 block devices to stat";
  const SlotDevices slots{(*devs)[0], (*devs)[1]};
  // root= as MAJ:MIN, and as a /dev path (under the test's /dev) that is a link to the device.
  const dev_t b = rdev_of(slots.b);
  EXPECT_EQ(with("root=" + std::to_string(major(b)) + ":" + std::to_string(minor(b)), slots).slot,
            Slot::B);
  link("mapper/root", slots.a);
  EXPECT_EQ(with("root=/dev/mapper/root", slots).slot, Slot::A);
  // dm-verity: root= names the verity device (loop2 stands in), sysfs shows slot b beneath it.
  const dev_t verity = rdev_of((*devs)[2]);
  link("dm-0", (*devs)[2]);
  EXPECT_EQ(with("root=/dev/dm-0", slots).slot, std::nullopt);
  slave(verity, b, "loop1");
  EXPECT_EQ(with("root=/dev/dm-0", slots).slot, Slot::B);
  // No root= at all: the device `/` is mounted from, and what lies under it.
  struct stat st {};
  ASSERT_EQ(::stat(view.root.c_str(), &st), 0);
  EXPECT_EQ(with("quiet", slots).slot, std::nullopt);
  slave(st.st_dev, verity, "dm-0");
  const auto r = with("quiet", slots);
  EXPECT_EQ(r.slot, Slot::B) << r.how;
  EXPECT_NE(r.how.find(view.root.string() + " (on device"), std::string::npos) << r.how;
}

}  // namespace
}  // namespace ratchet::bootctl
