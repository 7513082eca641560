#include "agent/store/state_record.hpp"

#include <openssl/sha.h>

#include "agent/tuf/canonical_json.hpp"
#include "common/constant_time.hpp"
#include "common/hex.hpp"

namespace ratchet::store {
namespace {

constexpr std::size_t kMaxRecord = 4u << 20;
constexpr int kFormat = 1;

tpm::Digest sha256(std::string_view data) {
  tpm::Digest d{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d.data());
  return d;
}

}  // namespace

bool is_protected_key(std::string_view key) noexcept {
  for (const auto prefix : kProtectedPrefixes)
    if (key.starts_with(prefix)) return true;
  return false;
}

std::string digest_hex(std::string_view value) {
  const auto d = sha256(value);
  return to_hex(std::as_bytes(std::span(d)));
}

Result<std::string> seal(const StateRecord& record, tpm::StateKey& key) {
  tuf::Json j = {{"format", kFormat},
                 {"epoch", record.epoch},
                 {"generation", record.generation},
                 {"entries", record.digests}};
  if (record.skip != 0) j["skip"] = record.skip;  // absent in a record that skips nothing
  const std::string text = RATCHET_TRY(tuf::canonical_json(j));
  const tpm::Mac mac = RATCHET_TRY(key.mac(sha256(text)));
  return to_hex(std::as_bytes(std::span(mac))) + "\n" + text;
}

Result<StateRecord> unseal(std::string_view sealed, tpm::StateKey& key, std::string_view what) {
  if (sealed.size() > kMaxRecord)
    return fail(Code::StateForged, "{} is {} bytes, over the {} limit", what, sealed.size(),
                kMaxRecord);
  const auto newline = sealed.find('\n');
  if (newline == std::string_view::npos) return fail(Code::StateForged, "{} has no MAC line", what);
  const auto mac_hex = sealed.substr(0, newline);
  const auto text = sealed.substr(newline + 1);
  auto claimed = from_hex(mac_hex);
  if (!claimed || claimed->size() != tpm::Mac{}.size())
    return fail(Code::StateForged, "{}: the MAC is not 32 bytes of hex", what);
  const tpm::Mac expected = RATCHET_TRY(key.mac(sha256(text)));
  if (!constant_time_equal(*claimed, std::as_bytes(std::span(expected))))
    return fail(Code::StateForged,
                "{}: the MAC does not verify with this device's state key (edited, or from "
                "another device or TPM)",
                what);
  // Authenticated: from here on a parse failure is a bug or a format change, still refused.
  auto j = tuf::parse_json(text, what, kMaxRecord);
  if (!j) return fail(Code::StateForged, "{}", j.error().message());
  StateRecord r;
  try {
    if (j->at("format").get<int>() != kFormat)
      return fail(Code::Unsupported, "{}: format {} is not {}", what, j->at("format").dump(),
                  kFormat);
    r.epoch = j->at("epoch").get<std::uint64_t>();
    r.generation = j->at("generation").get<std::uint64_t>();
    r.skip = j->value("skip", std::uint64_t{0});
    if (r.skip >= r.epoch) return fail(Code::StateForged, "{}: skips past epoch 0", what);
    r.digests = j->at("entries").get<std::map<std::string, std::string>>();
  } catch (const tuf::Json::exception& e) {
    return fail(Code::StateForged, "{}: {}", what, e.what());
  }
  return r;
}

}  // namespace ratchet::store
