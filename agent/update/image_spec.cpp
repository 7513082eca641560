#include "agent/update/image_spec.hpp"

#include "common/hex.hpp"

namespace ratchet::update {
namespace {

Result<streaming::ExpectedDigests> sha256_of(const tuf::Json& j, const std::string& what) {
  if (!j.contains("sha256") || !j["sha256"].is_string())
    return fail(Code::BadMetadata, "{}: sha256 is missing", what);
  auto bytes = from_hex(j["sha256"].get<std::string>());
  if (!bytes || bytes->size() != 32)
    return fail(Code::BadMetadata, "{}: sha256 is not 32 bytes of hex", what);
  streaming::ExpectedDigests d;
  d.sha256 = std::move(*bytes);
  return d;
}

Result<std::uint64_t> length_of(const tuf::Json& j, const std::string& what, std::uint64_t max) {
  if (!j.contains("length") || !j["length"].is_number_unsigned())
    return fail(Code::BadMetadata, "{}: length is missing", what);
  const auto n = j["length"].get<std::uint64_t>();
  if (n > max) return fail(Code::TooLarge, "{}: length {} is over the {} limit", what, n, max);
  return n;
}

Result<FileRef> file_ref(const tuf::Json& j, const std::string& what, std::uint64_t max) {
  if (!j.is_object()) return fail(Code::BadMetadata, "{} must be an object", what);
  FileRef f;
  if (!j.contains("name") || !j["name"].is_string())
    return fail(Code::BadMetadata, "{}: name is missing", what);
  f.name = j["name"].get<std::string>();
  f.length = RATCHET_TRY(length_of(j, what, max));
  f.digests = RATCHET_TRY(sha256_of(j, what));
  return f;
}

}  // namespace

Result<ImageSpec> image_spec(const std::string& name, const tuf::TargetFile& target,
                             std::uint64_t max_image) {
  ImageSpec s;
  const auto& custom = target.custom;
  if (!custom.is_object() || !custom.contains("ratchet")) {
    if (target.length > max_image)
      return fail(Code::TooLarge, "target {}: {} bytes is over the {} limit", name, target.length,
                  max_image);
    s.image_length = target.length;
    s.image_digests = target.hashes;
    return s;
  }
  const auto& r = custom["ratchet"];
  const std::string what = "target " + name + " custom.ratchet";
  if (!r.is_object()) return fail(Code::BadMetadata, "{} must be an object", what);
  auto format = streaming::parse_format(r.value("format", std::string("raw")));
  if (!format) return fail(Code::BadMetadata, "{}: {}", what, format.error().message());
  s.format = *format;
  if (!r.contains("image") || !r["image"].is_object())
    return fail(Code::BadMetadata, "{}: image is missing", what);
  s.image_length = RATCHET_TRY(length_of(r["image"], what + ".image", max_image));
  s.image_digests = RATCHET_TRY(sha256_of(r["image"], what + ".image"));
  if (r.contains("chunks"))
    s.chunks = RATCHET_TRY(file_ref(r["chunks"], what + ".chunks", std::uint64_t{64} << 20));
  if (s.format == streaming::PayloadFormat::Delta) {
    if (!r.contains("deltaBase"))
      return fail(Code::BadMetadata, "{}: a delta needs deltaBase", what);
    s.delta_base = RATCHET_TRY(file_ref(r["deltaBase"], what + ".deltaBase", max_image));
  }
  if (r.contains("securityVersion")) {
    if (!r["securityVersion"].is_number_unsigned())
      return fail(Code::BadMetadata, "{}: securityVersion must be an unsigned number", what);
    s.security_version = r["securityVersion"].get<std::uint64_t>();
  }
  if (s.format == streaming::PayloadFormat::Raw && target.length != s.image_length)
    return fail(Code::BadMetadata, "{}: a raw payload of {} bytes for an image of {}", what,
                target.length, s.image_length);
  return s;
}

}  // namespace ratchet::update
