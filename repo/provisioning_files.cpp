#include "repo/provisioning_files.hpp"

#include <ctime>

#include "agent/provisioning/provisioning_record.hpp"
#include "common/file.hpp"

namespace ratchet::repo {
namespace {

constexpr std::uint64_t kMaxRoot = 512000;

}  // namespace

Status write_provisioning_record(const RecordFiles& files) {
  if (files.device_id.empty()) return fail(Code::InvalidArgument, "--device may not be empty");
  const std::string pem = RATCHET_TRY_CTX(read_file(files.key, 1u << 16), files.key.string());
  const auto key = RATCHET_TRY_CTX(tuf::PrivateKey::from_pem(pem), files.key.string());
  provisioning::ProvisioningRecord record;
  record.device_id = files.device_id;
  record.generation = files.generation;
  record.director_root = RATCHET_TRY_CTX(read_file(files.director_root, kMaxRoot),
                                         "director root " + files.director_root.string());
  record.image_root = RATCHET_TRY_CTX(read_file(files.image_root, kMaxRoot),
                                      "image root " + files.image_root.string());
  record.issued = static_cast<tuf::Seconds>(std::time(nullptr));
  record.security_version = files.security_version;
  const std::string signed_record =
      RATCHET_TRY(provisioning::sign_provisioning_record(record, {&key}));
  return write_file_atomic(files.out, signed_record, 0644);
}

Status write_provisioning_keys(const std::filesystem::path& private_out,
                               const std::filesystem::path& keys_out, tuf::KeyType type) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(private_out, ec)))
    return fail(Code::InvalidArgument, "{}: already exists (a key is never overwritten)",
                private_out.string());
  const auto key = RATCHET_TRY(tuf::PrivateKey::generate(type));
  RATCHET_TRY(write_file_atomic(private_out, RATCHET_TRY(key.to_pem()), 0600));
  return write_file_atomic(keys_out,
                           provisioning::provisioning_keys_json({key.public_key()}, 1) + "\n");
}

}  // namespace ratchet::repo
