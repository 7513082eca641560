// libFuzzer target: metadata parsing and verification must turn any input into a value or a
// clear error, never a crash, a hang or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/tuf/metadata.hpp"

namespace {

using namespace ratchet::tuf;

const KeyMap& keys() {
  static const KeyMap k = [] {
    KeyMap m;
    auto key = PrivateKey::generate(KeyType::Ed25519);
    if (key) m.emplace(key->public_key().key_id(), key->public_key());
    return m;
  }();
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto env = parse_envelope(std::move(text), "fuzz", 1u << 20);
  if (!env) return 0;
  RoleKeys role;
  role.keyids = {keys().begin()->first};
  (void)verify_role(*env, keys(), role, "fuzz");
  if (auto r = parse_root(*env, "fuzz"))
    (void)verify_role(*env, r->keys, r->roles.at("root"), "fuzz");
  (void)parse_timestamp(*env, "fuzz");
  (void)parse_snapshot(*env, "fuzz");
  if (auto t = parse_targets(*env, "fuzz"); t && t->delegations) {
    for (const auto& d : t->delegations->roles)
      (void)d.covers("a/b/c.txt");
    if (t->delegations->succinct) (void)t->delegations->succinct->role_for("a/b/c.txt");
  }
  (void)canonical_json(env->signed_part);
  return 0;
}
