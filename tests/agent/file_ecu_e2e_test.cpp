// `ratchet update` with a `file` ECU, end to end (the UpdateE2E fixture: loopback Beast server,
// file anchor, file-backed environment and slots): the file is replaced atomically, so whatever
// interrupts a run (a dropped connection, a power cut, a full disk) it holds the old image or the
// new one, never a torn mix, no temporary file outlives the run that failed, and a rerun
// completes without any manual step.
#include <sys/stat.h>

#include "agent/update/file_replacement.hpp"
#include "tests/agent/update_e2e_fixture.hpp"
#include "tests/support/tmpfs.hpp"

namespace ratchet::update {
namespace {

class FileEcuE2E : public UpdateE2E {
 protected:
  const test::Bytes fw_old = test::random_bytes(3u << 20, 11);
  const test::Bytes fw_new = test::random_bytes(3u << 20, 12);
  std::filesystem::path fw;  // the file ECU's path

  // A file ECU "fw" at `path` holding fw_old (mode 0640), its new image assigned when `assigned`.
  void add_file_ecu(const std::filesystem::path& path, bool assigned = true) {
    fw = path;
    test::write_bytes(fw, fw_old);
    std::filesystem::permissions(fw, std::filesystem::perms(0640));
    if (assigned) assign_fw();
    extra_ecus = "[[ecu]]\nserial = \"fw\"\nhardware_id = \"mcu-x\"\nkind = \"file\"\npath = \"" +
                 fw.string() + "\"\n";
    write_config();
  }
  void assign_fw() {
    release("fw-2.bin", fw_new, 2, "mcu-x");
    assign("fw-2.bin", fw_new, "fw", "mcu-x");
    publish();
  }
  std::string fw_url_path() const {
    return "/targets/" + to_hex(streaming::digest_of(streaming::HashAlgorithm::Sha256, fw_new)) +
           ".fw-2.bin";
  }
  bool temp_exists() const { return std::filesystem::exists(replacement_temp(fw)); }
  unsigned fw_mode() const {
    struct stat st {};
    EXPECT_EQ(::stat(fw.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  // The file holds the old image, unchanged, and nothing else of the run is left beside it.
  void expect_untouched(const std::string& when) {
    EXPECT_TRUE(test::read_bytes(fw) == fw_old) << when << ": the file ECU's file is torn";
    EXPECT_EQ(fw_mode(), 0640U) << when;
    EXPECT_FALSE(temp_exists()) << when;
  }
  void expect_replaced() {
    EXPECT_TRUE(test::read_bytes(fw) == fw_new);
    EXPECT_EQ(fw_mode(), 0640U);  // the target's mode carried over to the new inode
    EXPECT_FALSE(temp_exists());
  }
};

// A server that drops the connection at any point of the body: exit 20 (retry later), the file
// byte-identical; a rerun replaces it.
TEST_F(FileEcuE2E, DroppedConnectionsLeaveTheOldFileThenARerunReplacesIt) {
  add_file_ecu(dir / "fw.bin");
  for (const std::uint64_t cut :
       {std::uint64_t{0}, std::uint64_t{4096}, std::uint64_t{1} << 20, (std::uint64_t{1} << 20) + 1,
        std::uint64_t{2} << 20, (std::uint64_t{3} << 20) - 1}) {
    image_server->set_fault(
        {.fault = test::HttpFault::Truncate, .truncate_after = cut, .only_path = fw_url_path()});
    expect_exit(update(), 20);
    expect_untouched("connection dropped after " + std::to_string(cut) + " bytes");
  }
  image_server->set_fault({.fault = test::HttpFault::Drop, .only_path = fw_url_path()});
  expect_exit(update(), 20);
  expect_untouched("connection dropped half-way");

  image_server->set_fault({});
  expect_exit(update(), 0);
  expect_replaced();
  EXPECT_EQ(json_of("status").at("ecus").at("fw").at("installed").at("name"), "fw-2.bin");
  expect_exit(update(), 0);  // installed already: nothing written
  EXPECT_TRUE(test::read_bytes(fw) == fw_new);
}

// Power cuts (SIGKILL) at many points: the file is the old image or, once the rename happened,
// the new one. The next run starts by removing what a killed run left; a rerun completes.
TEST_F(FileEcuE2E, PowerCutsLeaveTheOldOrTheNewFileThenARerunCompletes) {
  add_file_ecu(dir / "fw.bin");
  image_server->set_fault(
      {.fault = test::HttpFault::Slow, .bytes_per_second = 4u << 20, .only_path = fw_url_path()});
  int killed = 0;
  for (const int ms : {20, 150, 300, 500, 700, 900}) {
    auto r = update({}, std::chrono::milliseconds(ms));
    const auto now = test::read_bytes(fw);
    EXPECT_TRUE(now == fw_old || now == fw_new) << "killed after " << ms << " ms: torn";
    if (r.signal != SIGKILL) {
      EXPECT_EQ(r.exit_code, 0) << r.err;  // this machine was quick enough to finish
      break;
    }
    ++killed;
  }
  EXPECT_GT(killed, 0);
  // A killed run may leave its temporary file; the next run removes it first, even one that
  // then fails.
  image_server->set_fault(
      {.fault = test::HttpFault::Status, .status = 503, .only_path = fw_url_path()});
  const auto failed = update();
  if (test::read_bytes(fw) == fw_old) {
    expect_exit(failed, 20);
    expect_untouched("after the power cuts");
  }
  image_server->set_fault({});
  expect_exit(update(), 0);
  expect_replaced();
}

// A full disk: the run fails naming the file it could not write (OutOfSpace, exit 40) and leaves
// nothing behind; a leftover temporary file that filled the disk is removed by the next run,
// which then succeeds without anyone deleting anything.
TEST_F(FileEcuE2E, DiskFullFailsCleanlyAndTheNextRunNeedsNoManualStep) {
  test::Tmpfs small(dir / "small", 8u << 20);
  if (!small.mounted()) GTEST_SKIP() << small.error();
  std::filesystem::copy(dir / "state", small / "state", std::filesystem::copy_options::recursive);
  add_file_ecu(small / "fw.bin", false);
  {
    std::ifstream in(dir / "ratchet.toml");
    std::stringstream text;
    text << in.rdbuf();
    std::string config = text.str();
    const std::string from = "storage_dir = \"" + (dir / "state").string() + "\"";
    config.replace(config.find(from), from.size(),
                   "storage_dir = \"" + (small / "state").string() + "\"");
    std::ofstream(dir / "ratchet.toml") << config;
  }
  expect_exit(update(), 0);  // nothing assigned yet: the store's files are all there now
  const std::string before = small.listing();

  assign_fw();
  small.fill("filler", 1u << 20);  // room for the store's commits, not for the new image
  const auto full = update();
  expect_exit(full, 40, "OutOfSpace");
  EXPECT_NE(full.err.find(replacement_temp(fw).string()), std::string::npos) << full.err;
  expect_untouched("disk full");
  std::filesystem::remove(small / "filler");
  EXPECT_EQ(small.listing(), before);  // nothing of the failed run is left

  // Space is free again, but a killed run's temporary file fills the disk.
  small.fill(replacement_temp(fw).filename(), 64u << 10);
  expect_exit(update(), 0);
  expect_replaced();
  EXPECT_EQ(small.listing(), before);
}

}  // namespace
}  // namespace ratchet::update
