#include "tpm/file_counter_store.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.hpp"

namespace ratchet::tpm {
namespace {

TEST(FileCounterStore, UnreadableUntilFirstIncrementThenMonotonic) {
  test::TempDir dir;
  FileCounterStore store(dir / "counters");
  EXPECT_FALSE(store.hardware_anchored());
  EXPECT_EQ(store.read(Counter::Epoch).error().code(), Code::NotProvisioned);
  EXPECT_EQ(store.increment(Counter::Epoch).error().code(), Code::NotProvisioned);
  EXPECT_TRUE(store.define(Counter::Epoch).value());
  EXPECT_FALSE(store.define(Counter::Epoch).value());  // idempotent
  EXPECT_EQ(store.read(Counter::Epoch).value(), 1U);
  EXPECT_EQ(store.increment(Counter::Epoch).value(), 2U);
  EXPECT_FALSE(store.define(Counter::Epoch).value());  // never resets
  EXPECT_EQ(store.read(Counter::Epoch).value(), 2U);
  // Counters are independent.
  EXPECT_EQ(store.read(Counter::SecurityVersion).error().code(), Code::NotProvisioned);
  FileCounterStore reopened(dir / "counters");
  EXPECT_EQ(reopened.read(Counter::Epoch).value(), 2U);
}

TEST(FileCounterStore, GarbageIsReportedAsForged) {
  test::TempDir dir;
  FileCounterStore store(dir.path());
  std::ofstream(dir / "epoch") << "12x\n";
  auto r = store.read(Counter::Epoch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::StateForged);
  EXPECT_EQ(store.increment(Counter::Epoch).error().code(), Code::StateForged);
}

}  // namespace
}  // namespace ratchet::tpm
