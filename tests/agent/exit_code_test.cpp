#include "agent/cli/exit_code.hpp"

#include <gtest/gtest.h>

namespace ratchet::cli {
namespace {

TEST(ExitCode, FollowsTheErrorKind) {
  EXPECT_EQ(exit_code_for(Error(Code::BadSignature, "")), ExitCode::Security);
  EXPECT_EQ(exit_code_for(Error(Code::Network, "")), ExitCode::Transient);
  EXPECT_EQ(exit_code_for(Error(Code::Tpm, "")), ExitCode::Local);
  EXPECT_EQ(exit_code_for(Error(Code::BadConfig, "")), ExitCode::Usage);
  EXPECT_EQ(exit_code_for(Error(Code::Busy, "")), ExitCode::Busy);
  EXPECT_EQ(exit_code_for(Error(Code::Internal, "")), ExitCode::Internal);
}

}  // namespace
}  // namespace ratchet::cli
