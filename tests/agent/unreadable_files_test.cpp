// A device file that exists but cannot be read is an I/O error naming it (Io, exit 40), never
// "missing" (NotProvisioned) and never a usage error (exit 2): only ENOENT means missing.
#include <unistd.h>

#include "tests/agent/update_e2e_fixture.hpp"

namespace ratchet::update {
namespace {

// The ECU key replaced by a directory (EISDIR-like: open succeeds, it is no file).
TEST_F(UpdateE2E, AnEcuKeyThatIsADirectoryIsIoNamingIt) {
  const auto key = dir / "anchor" / "ecu-key.pem";
  ASSERT_TRUE(std::filesystem::remove(key));
  std::filesystem::create_directory(key);
  const auto r = ratchet({"manifest", "--config", (dir / "ratchet.toml").string()});
  expect_exit(r, 40, "Io");
  EXPECT_NE(r.err.find(key.string()), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::is_directory(key));  // and nothing generated a new key there
}

// The ECU key unreadable for the user running ratchet (EACCES: run as nobody, everything else
// of the device handed to nobody).
TEST_F(UpdateE2E, AnEcuKeyThatCannotBeOpenedIsIoNamingIt) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run ratchet as nobody";
  const auto key = dir / "anchor" / "ecu-key.pem";
  std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
  for (const auto& top : {dir / "state", dir / "anchor"}) {
    ASSERT_EQ(::chown(top.c_str(), 65534, 65534), 0);
    for (const auto& e : std::filesystem::recursive_directory_iterator(top))
      ASSERT_EQ(::chown(e.path().c_str(), 65534, 65534), 0) << e.path();
  }
  ASSERT_EQ(::chown(key.c_str(), 0, 0), 0);  // root's, mode 0600
  const auto r =
      test::run_process({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                         RATCHET_BINARY, "manifest", "--config", (dir / "ratchet.toml").string()});
  expect_exit(r, 40, "Io");
  EXPECT_NE(r.err.find(key.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ratchet::update
