#include "agent/store/lmdb_store.hpp"

#include <cerrno>
#include <vector>

namespace ratchet::store {
namespace {

// Names the store directory: "LMDB commit in /var/lib/ratchet: No space left on device". A full
// map or a full disk is OutOfSpace (LMDB passes errno values through).
Error lmdb_error(int rc, std::string_view what, const std::filesystem::path& dir) {
  const Code code =
      (rc == MDB_MAP_FULL || rc == ENOSPC || rc == EDQUOT) ? Code::OutOfSpace : Code::Io;
  return Error(code, fmt::format("LMDB {} in {}: {}", what, dir.string(), mdb_strerror(rc)));
}

MDB_val val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

}  // namespace

Result<LmdbStore> LmdbStore::open(const std::filesystem::path& dir, std::size_t map_size) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Code::Io, "{}: {}", dir.string(), ec.message());
  LmdbStore s;
  s.dir_ = dir;
  MDB_env* raw = nullptr;
  if (const int rc = mdb_env_create(&raw); rc != 0) return fail(lmdb_error(rc, "env_create", dir));
  s.env_.reset(raw);
  if (const int rc = mdb_env_set_mapsize(raw, map_size); rc != 0)
    return fail(lmdb_error(rc, "set_mapsize", dir));
  // Default durability (no MDB_NOSYNC / MDB_NOMETASYNC): a commit that returned is on disk.
  if (const int rc = mdb_env_open(raw, dir.c_str(), MDB_NOTLS, 0600); rc != 0)
    return fail(lmdb_error(rc, "open", dir));
  MDB_txn* txn_raw = nullptr;
  if (const int rc = mdb_txn_begin(raw, nullptr, 0, &txn_raw); rc != 0)
    return fail(lmdb_error(rc, "txn_begin", dir));
  lmdb::Txn txn(txn_raw);
  if (const int rc = mdb_dbi_open(txn.get(), nullptr, 0, &s.dbi_); rc != 0)
    return fail(lmdb_error(rc, "dbi_open", dir));
  MDB_val key = val(kFormatKey);
  MDB_val value{};
  const int rc = mdb_get(txn.get(), s.dbi_, &key, &value);
  if (rc == MDB_NOTFOUND) {
    MDB_val v = val(kFormatVersion);
    if (const int put = mdb_put(txn.get(), s.dbi_, &key, &v, 0); put != 0)
      return fail(lmdb_error(put, "put format", dir));
  } else if (rc != 0) {
    return fail(lmdb_error(rc, "get format", dir));
  } else if (std::string_view(static_cast<const char*>(value.mv_data), value.mv_size) !=
             kFormatVersion) {
    return fail(Code::Unsupported, "{}: store format {} is not {}", dir.string(),
                std::string_view(static_cast<const char*>(value.mv_data), value.mv_size),
                kFormatVersion);
  }
  if (const int c = lmdb::commit(txn); c != 0) return fail(lmdb_error(c, "commit", dir));
  return s;
}

Result<std::optional<std::string>> LmdbStore::get(std::string_view key) const {
  MDB_txn* raw = nullptr;
  if (const int rc = mdb_txn_begin(env_.get(), nullptr, MDB_RDONLY, &raw); rc != 0)
    return fail(lmdb_error(rc, "txn_begin", dir_));
  lmdb::Txn txn(raw);
  MDB_val k = val(key);
  MDB_val v{};
  const int rc = mdb_get(txn.get(), dbi_, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string>();
  if (rc != 0) return fail(lmdb_error(rc, "get", dir_));
  if (v.mv_size > kMaxValue)
    return fail(Code::TooLarge, "store value {} is {} bytes", key, v.mv_size);
  return std::optional<std::string>(std::string(static_cast<const char*>(v.mv_data), v.mv_size));
}

Status LmdbStore::commit(const std::map<std::string, std::string>& puts,
                         const std::vector<std::string>& erases) {
  MDB_txn* raw = nullptr;
  if (const int rc = mdb_txn_begin(env_.get(), nullptr, 0, &raw); rc != 0)
    return fail(lmdb_error(rc, "txn_begin", dir_));
  lmdb::Txn txn(raw);
  for (const auto& key : erases) {
    MDB_val k = val(key);
    const int rc = mdb_del(txn.get(), dbi_, &k, nullptr);
    if (rc != 0 && rc != MDB_NOTFOUND) return fail(lmdb_error(rc, "del " + key, dir_));
  }
  for (const auto& [key, value] : puts) {
    if (value.size() > kMaxValue)
      return fail(Code::TooLarge, "store value {} is {} bytes", key, value.size());
    MDB_val k = val(key);
    MDB_val v = val(value);
    if (const int rc = mdb_put(txn.get(), dbi_, &k, &v, 0); rc != 0)
      return fail(lmdb_error(rc, "put " + key, dir_));
  }
  if (const int rc = lmdb::commit(txn); rc != 0) return fail(lmdb_error(rc, "commit", dir_));
  return {};
}

Result<std::map<std::string, std::string>> LmdbStore::scan(std::string_view prefix) const {
  MDB_txn* raw = nullptr;
  if (const int rc = mdb_txn_begin(env_.get(), nullptr, MDB_RDONLY, &raw); rc != 0)
    return fail(lmdb_error(rc, "txn_begin", dir_));
  lmdb::Txn txn(raw);
  MDB_cursor* craw = nullptr;
  if (const int rc = mdb_cursor_open(txn.get(), dbi_, &craw); rc != 0)
    return fail(lmdb_error(rc, "cursor", dir_));
  lmdb::Cursor cursor(craw);
  std::map<std::string, std::string> out;
  MDB_val k = val(prefix);
  MDB_val v{};
  int rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_SET_RANGE);
  while (rc == 0) {
    const std::string_view key(static_cast<const char*>(k.mv_data), k.mv_size);
    if (!key.starts_with(prefix)) break;
    out.emplace(key, std::string(static_cast<const char*>(v.mv_data), v.mv_size));
    rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return fail(lmdb_error(rc, "cursor_get", dir_));
  return out;
}

}  // namespace ratchet::store
