// The ratchet binary as a user runs it.
#include <gtest/gtest.h>

#include "tests/support/process.hpp"

#ifndef RATCHET_BINARY
#error "the build system passes the path of the ratchet binary"
#endif

namespace ratchet {
namespace {

TEST(Cli, VersionPrintsVersionAndFeatures) {
  auto r = test::run_process({RATCHET_BINARY, "--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ratchet " RATCHET_VERSION), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("features:"), std::string::npos) << r.out;
}

TEST(Cli, HelpExitsZero) {
  auto r = test::run_process({RATCHET_BINARY, "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ratchet"), std::string::npos);
  EXPECT_NE(r.out.find("--log-level"), std::string::npos);
}

TEST(Cli, NoSubCommandPrintsHelpAndIsAUsageError) {
  auto r = test::run_process({RATCHET_BINARY});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("Subcommands:"), std::string::npos) << r.err;
}

TEST(Cli, AMissingConfigFileIsAUsageErrorNamingIt) {
  auto r = test::run_process({RATCHET_BINARY, "status", "--config", "/nonexistent/ratchet.toml"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("error: BadConfig: /nonexistent/ratchet.toml: no such configuration file"),
            std::string::npos)
      << r.err;
}

TEST(Cli, UnknownOptionIsAUsageError) {
  auto r = test::run_process({RATCHET_BINARY, "--no-such-option"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(r.err.empty());
}

TEST(Cli, BadLogLevelIsAUsageError) {
  auto r = test::run_process({RATCHET_BINARY, "--log-level", "loud"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("loud"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ratchet
