#include "common/handle.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/fd.hpp"
#include "common/handles/curl.hpp"
#include "common/handles/lmdb.hpp"
#include "common/handles/openssl.hpp"
#if RATCHET_HAVE_TPM
#include "common/handles/tss2.hpp"
#endif
#if RATCHET_HAVE_UBOOTENV
#include "common/handles/ubootenv.hpp"
#endif
#include "common/handles/zstd.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet {
namespace {

int g_frees = 0;
struct Thing {
  int id;
};
void free_thing(Thing* t) {
  ++g_frees;
  delete t;
}
using ThingHandle = Handle<Thing, free_thing>;

// Pointer-sized: the deleter is an empty type, not a stored function pointer.
static_assert(sizeof(ThingHandle) == sizeof(void*));
static_assert(sizeof(ossl::MdCtx) == sizeof(void*));
static_assert(sizeof(ossl::PKey) == sizeof(void*));
static_assert(sizeof(curl::Easy) == sizeof(void*));
static_assert(sizeof(zstd::DCtx) == sizeof(void*));
static_assert(sizeof(lmdb::Env) == sizeof(void*));
static_assert(sizeof(lmdb::Txn) == sizeof(void*));
#if RATCHET_HAVE_TPM
static_assert(sizeof(tss2::Esys) == sizeof(void*));
static_assert(sizeof(tss2::Tcti) == sizeof(void*));
#endif
#if RATCHET_HAVE_UBOOTENV
static_assert(sizeof(ubootenv::Ctx) == sizeof(void*));
#endif

TEST(Handle, FreesOnceAtScopeEnd) {
  g_frees = 0;
  { ThingHandle h(new Thing{1}); }
  EXPECT_EQ(g_frees, 1);
}

TEST(Handle, MovedFromHandleIsNotFreedTwice) {
  g_frees = 0;
  {
    ThingHandle a(new Thing{1});
    ThingHandle b(std::move(a));
    EXPECT_EQ(a.get(), nullptr);  // NOLINT(bugprone-use-after-move): that is the point
    ThingHandle c;
    c = std::move(b);
    EXPECT_EQ(g_frees, 0);
    EXPECT_EQ(c->id, 1);
  }
  EXPECT_EQ(g_frees, 1);
}

TEST(Handle, MoveAssignFreesThePreviousObject) {
  g_frees = 0;
  ThingHandle a(new Thing{1});
  ThingHandle b(new Thing{2});
  a = std::move(b);
  EXPECT_EQ(g_frees, 1);
  EXPECT_EQ(a->id, 2);
  a.reset();
  EXPECT_EQ(g_frees, 2);
}

TEST(Handle, NullIsNeverPassedToTheFreeFunction) {
  g_frees = 0;
  { ThingHandle h; }
  EXPECT_EQ(g_frees, 0);
}

// The real C handles: under ASan a double free or a leak here fails the run.
TEST(Handle, RealLibraryHandlesMoveAndFree) {
  ossl::MdCtx md(EVP_MD_CTX_new());
  ASSERT_NE(md, nullptr);
  ossl::MdCtx md2 = std::move(md);
  EXPECT_EQ(EVP_DigestInit_ex(md2.get(), EVP_sha256(), nullptr), 1);

  zstd::DCtx d(ZSTD_createDCtx());
  ASSERT_NE(d, nullptr);
  zstd::DCtx d2 = std::move(d);

  curl::Easy e(curl_easy_init());
  ASSERT_NE(e, nullptr);
  curl::Easy e2 = std::move(e);

  curl::Slist list(curl_slist_append(nullptr, "Accept: application/json"));
  ASSERT_NE(list, nullptr);
}

TEST(Handle, LmdbEnvironmentAndUncommittedTransactionAbort) {
  test::TempDir dir;
  MDB_env* raw = nullptr;
  ASSERT_EQ(mdb_env_create(&raw), 0);
  lmdb::Env env(raw);
  ASSERT_EQ(mdb_env_open(env.get(), dir.path().c_str(), 0, 0600), 0);
  MDB_txn* txn_raw = nullptr;
  ASSERT_EQ(mdb_txn_begin(env.get(), nullptr, 0, &txn_raw), 0);
  lmdb::Txn txn(txn_raw);
  lmdb::Txn moved = std::move(txn);
  // moved aborts at scope end; env closes after it (reverse declaration order).
}

TEST(Handle, LmdbCommitReleasesOwnership) {
  test::TempDir dir;
  MDB_env* raw = nullptr;
  ASSERT_EQ(mdb_env_create(&raw), 0);
  lmdb::Env env(raw);
  ASSERT_EQ(mdb_env_open(env.get(), dir.path().c_str(), 0, 0600), 0);
  MDB_txn* txn_raw = nullptr;
  ASSERT_EQ(mdb_txn_begin(env.get(), nullptr, 0, &txn_raw), 0);
  lmdb::Txn txn(txn_raw);
  EXPECT_EQ(lmdb::commit(txn), 0);
  EXPECT_EQ(txn.get(), nullptr);  // no abort of a freed transaction at scope end
}

TEST(UniqueFd, ClosesOnceAndMovesOwnership) {
  const int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd a(raw);
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(b.get(), raw);
    EXPECT_NE(::fcntl(raw, F_GETFD), -1);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed exactly when the owner went away
}

TEST(UniqueFd, ReleaseGivesUpOwnership) {
  const int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd a(raw);
    EXPECT_EQ(a.release(), raw);
  }
  EXPECT_NE(::fcntl(raw, F_GETFD), -1);
  ::close(raw);
}

TEST(UniqueFd, MoveAssignClosesPrevious) {
  const int r1 = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int r2 = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  UniqueFd a(r1);
  UniqueFd b(r2);
  a = std::move(b);
  EXPECT_EQ(::fcntl(r1, F_GETFD), -1);
  EXPECT_EQ(a.get(), r2);
  EXPECT_EQ(a.close_checked(), 0);
  EXPECT_EQ(::fcntl(r2, F_GETFD), -1);
}

}  // namespace
}  // namespace ratchet

#if RATCHET_HAVE_UBOOTENV
namespace ratchet {
namespace {

TEST(Handle, UbootEnvContextClosesAndFreesOnce) {
  uboot_ctx* raw = nullptr;
  ASSERT_EQ(libuboot_initialize(&raw, nullptr), 0);
  ubootenv::Ctx ctx(raw);
  ubootenv::Ctx moved = std::move(ctx);
  EXPECT_EQ(moved.get(), raw);
}

}  // namespace
}  // namespace ratchet
#endif
