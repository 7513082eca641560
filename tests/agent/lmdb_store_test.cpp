#include "agent/store/lmdb_store.hpp"

#include <string>

#include <gtest/gtest.h>

#include "agent/store/time_floor.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tmpfs.hpp"

namespace ratchet::store {
namespace {

TEST(LmdbStore, CommitIsAllOrNothingAndPersists) {
  test::TempDir dir;
  {
    auto db = LmdbStore::open(dir.path()).value();
    EXPECT_FALSE(db.get("trusted/image/root").value().has_value());
    ASSERT_TRUE(db.commit({{"trusted/image/root", "r1"}, {"trusted/image/targets", "t1"}}));
    // A value over the bound fails the whole transaction: the first key is not written either.
    auto r = db.commit({{"a/first", "x"}, {"b/huge", std::string(kMaxValue + 1, 'x')}});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Code::TooLarge);
    EXPECT_FALSE(db.get("a/first").value().has_value());
    ASSERT_TRUE(db.commit({{"trusted/image/targets", "t2"}}, {"trusted/image/root"}));
  }
  auto db = LmdbStore::open(dir.path()).value();
  EXPECT_FALSE(db.get("trusted/image/root").value().has_value());
  EXPECT_EQ(db.get("trusted/image/targets").value(), "t2");
  EXPECT_EQ(db.get(kFormatKey).value(), std::string(kFormatVersion));
  const auto all = db.scan("trusted/").value();
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all.begin()->first, "trusted/image/targets");
}

// The floor is an NV write when it moves on its own: only when there is none, or a whole step on.
TEST(TimeFloor, MovesOnItsOwnOnlyAWholeStepAfterTheStoredOne) {
  test::TempDir dir;
  auto db = LmdbStore::open(dir.path()).value();
  const tuf::Seconds t = 1'800'000'000;
  EXPECT_TRUE(time_floor_due(db, t).value());
  ASSERT_TRUE(db.commit({{std::string(kTimeFloorKey), std::to_string(t)}}));
  EXPECT_FALSE(time_floor_due(db, t).value());
  EXPECT_FALSE(time_floor_due(db, t + kTimeFloorStep - 1).value());
  EXPECT_TRUE(time_floor_due(db, t + kTimeFloorStep).value());
  EXPECT_EQ(kTimeFloorStep, 86400);  // docs/storage.md argues for this value
}

// A full disk is OutOfSpace naming the store's directory, and the store is unchanged.
TEST(LmdbStore, AFullDiskIsOutOfSpaceNamingTheStore) {
  test::TempDir dir;
  test::Tmpfs small(dir / "small", 2u << 20);
  if (!small.mounted()) GTEST_SKIP() << small.error();
  auto db = LmdbStore::open(small / "state").value();
  ASSERT_TRUE(db.commit({{"device/id", "dev-1"}}));
  small.fill("filler", 0);
  const auto r = db.commit({{"trusted/image/targets", std::string(1u << 20, 'x')}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::OutOfSpace) << r.error().message();
  EXPECT_NE(r.error().message().find((small / "state").string()), std::string::npos)
      << r.error().message();
  EXPECT_EQ(db.get("device/id").value(), "dev-1");
  EXPECT_FALSE(db.get("trusted/image/targets").value().has_value());
}

TEST(LmdbStore, AStoreOfAnotherFormatIsRefused) {
  test::TempDir dir;
  {
    auto db = LmdbStore::open(dir.path()).value();
    ASSERT_TRUE(db.commit({{std::string(kFormatKey), "99"}}));
  }
  auto r = LmdbStore::open(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::Unsupported);
  EXPECT_NE(r.error().message().find("store format 99"), std::string::npos);
}

}  // namespace
}  // namespace ratchet::store
