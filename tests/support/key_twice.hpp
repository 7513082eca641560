// The attack of tough GHSA-5q2r-92f9-4m49 / go-tuf#733: one public key listed under two key IDs
// (another spelling of the same key object), so that one signer appears to meet a threshold of 2.
// Header-only: it needs the agent library, which the support library does not link.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>

#include "agent/tuf/keys.hpp"
#include "common/hex.hpp"
#include "streaming/hasher.hpp"

namespace ratchet::test {

// The key object of `key` spelled another way (keytype in capitals, no scheme, hex in capitals
// for ed25519): the same public key, a different key ID.
inline tuf::Json respelled(const tuf::PublicKey& key) {
  tuf::Json j = key.to_json();
  std::string type = j.at("keytype").get<std::string>();
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  j["keytype"] = type;
  j.erase("scheme");
  if (key.type() == tuf::KeyType::Ed25519) {
    std::string hex = j.at("keyval").at("public").get<std::string>();
    std::transform(hex.begin(), hex.end(), hex.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    j["keyval"]["public"] = hex;
  }
  return j;
}

// The TUF key ID of a key object: SHA-256 of its canonical form.
inline std::string key_id_of(const tuf::Json& key) {
  const std::string canon = tuf::canonical_json(key).value();
  return to_hex(streaming::digest_of(streaming::HashAlgorithm::Sha256,
                                     std::as_bytes(std::span(canon.data(), canon.size()))));
}

// Lists `key` once more in `keys` (a root's or a delegation's key map) and in `role` (an object
// with keyids and threshold) under its respelled key ID, and sets the threshold to 2. Returns the
// second key ID.
inline std::string list_key_twice(tuf::Json& keys, tuf::Json& role, const tuf::PublicKey& key) {
  const tuf::Json again = respelled(key);
  const std::string id = key_id_of(again);
  keys[id] = again;
  role["keyids"].push_back(id);
  role["threshold"] = 2;
  return id;
}

// `envelope` with the signature by `keyid` copied under `alias`: one signature, two key IDs.
inline std::string sign_twice(const std::string& envelope, const std::string& keyid,
                              const std::string& alias) {
  tuf::Json doc = tuf::Json::parse(envelope);
  for (const auto& sig : doc.at("signatures"))
    if (sig.at("keyid") == keyid) {
      tuf::Json copy = sig;
      copy["keyid"] = alias;
      doc["signatures"].push_back(copy);
      break;
    }
  return doc.dump(1);
}

}  // namespace ratchet::test
