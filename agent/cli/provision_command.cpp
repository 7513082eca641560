// `ratchet provision` (the factory line) and `ratchet reprovision RECORD` (a new lineage from a
// signed provisioning record). Both print the device's enrollment as JSON on stdout, for the
// factory database / the backend.
#include <cstdio>
#include <memory>

#include "agent/cli/anchor_options.hpp"
#include "agent/cli/command.hpp"
#include "agent/cli/device_config.hpp"
#include "agent/provisioning/provisioning.hpp"
#include "agent/store/installed_images.hpp"
#include "common/file.hpp"
#include "common/hex.hpp"
#include "common/log.hpp"
#include "streaming/digest_check.hpp"
#include "streaming/discard_sink.hpp"
#include "streaming/file_source.hpp"
#include "streaming/hasher.hpp"

namespace ratchet::cli {
namespace {

constexpr std::uint64_t kMaxRoot = 512000;

struct ProvisionOptions {
  DeviceConfigOption config;
  std::string storage_dir, device_id, director_root, image_root;
  AnchorOptions anchor;
  // What slot A holds from the factory: recorded as the primary ECU's installed image.
  std::string installed_image, installed_name, ecu;
  std::uint64_t release_counter = 0, security_version = 0;
};

// The SHA-256 and length of what is written (the factory image file).
class DigestSink final : public streaming::Sink {
 public:
  Status write(std::span<const std::byte> data) override {
    hasher_.update(data);
    length_ += data.size();
    return {};
  }
  Status finish() override { return {}; }
  std::vector<std::byte> digest() { return hasher_.finish(); }
  [[nodiscard]] std::uint64_t length() const { return length_; }

 private:
  streaming::Hasher hasher_{streaming::HashAlgorithm::Sha256};
  std::uint64_t length_ = 0;
};

// The factory image, checked against what slot A really holds: a record never names an image
// the slot does not have.
Result<store::InstalledImage> factory_image(const ProvisionOptions& o,
                                            const std::optional<config::Config>& c) {
  DigestSink file;
  RATCHET_TRY(streaming::FileSource(o.installed_image).read_into(0, file));
  const auto sha256 = file.digest();
  store::InstalledImage image{
      .name = o.installed_name.empty()
                  ? std::filesystem::path(o.installed_image).filename().string()
                  : o.installed_name,
      .sha256 = to_hex(sha256),
      .length = file.length(),
      .release_counter = o.release_counter,
      .security_version = o.security_version,
      .slot = ""};
  const config::EcuConfig* primary = c ? c->primary() : nullptr;
  if (primary != nullptr) {
    // The slot's first bytes through the same length and digest check as any payload.
    streaming::DiscardSink discard;
    streaming::DigestCheck check(discard, "slot a", image.length, {.sha256 = sha256, .sha512 = {}});
    RATCHET_TRY(streaming::FileSource(primary->slot_a, image.length, std::size_t{1} << 20,
                                      streaming::FileSource::Kind::Slot)
                    .read_into(0, check));
    if (auto held = check.finish(); !held)
      return fail(Code::SlotMismatch, "slot a ({}) does not hold {} (sha256 {}): {}",
                  primary->slot_a.string(), o.installed_image, image.sha256,
                  held.error().message());
    image.slot = "a";
  }
  return image;
}

struct ReprovisionOptions {
  std::string storage_dir, record, provisioning_keys, device_id;
  AnchorOptions anchor;
};

Status print_enrollment(const provisioning::Enrollment& e) {
  const auto text = RATCHET_TRY(provisioning::enrollment_json(e));
  (void)std::printf("%s\n", text.c_str());
  return {};
}

Status run_provision(ProvisionOptions o) {
  // The same configuration as every device command; flags override it.
  const auto c = RATCHET_TRY(o.config.load());
  if (c) {
    fill_from(*c, o.storage_dir, &o.anchor);
    if (o.device_id.empty()) o.device_id = c->device_id;
  }
  if (o.storage_dir.empty() || o.device_id.empty())
    return fail(Code::InvalidArgument, "no {} given and no configuration ({}) to read it from",
                o.storage_dir.empty() ? "--storage-dir" : "--device-id",
                o.config.path.empty() ? std::string(config::kDefaultPath) : o.config.path);
  std::optional<store::InstalledImage> image;
  std::string ecu = o.ecu;
  if (!o.installed_image.empty()) {
    image = RATCHET_TRY(factory_image(o, c));
    if (ecu.empty() && c && !c->ecus.empty()) ecu = c->ecus.front().serial;
    if (ecu.empty())
      return fail(Code::InvalidArgument, "--installed-image needs --ecu or a configuration");
  }
  provisioning::FactoryInput in;
  in.device_id = o.device_id;
  in.director_root = RATCHET_TRY(read_file(o.director_root, kMaxRoot));
  in.image_root = RATCHET_TRY(read_file(o.image_root, kMaxRoot));
  auto anchor = RATCHET_TRY(o.anchor.open());
  auto db = RATCHET_TRY(store::LmdbStore::open(o.storage_dir));
  const auto e = RATCHET_TRY(provisioning::provision(db, anchor, in));
  if (!e.changed) log::notice("already provisioned: nothing changed");
  if (image) {
    const auto recorded = RATCHET_TRY(store::installed_image(db, ecu));
    if (!recorded) {
      auto anchored = RATCHET_TRY(store::AnchoredStore::open(db, anchor.anchor()));
      RATCHET_TRY(store::record_installed(anchored, ecu, *image));
      log::notice("ECU {} runs {} (sha256 {}, release counter {})", ecu, image->name, image->sha256,
                  image->release_counter);
    } else if (recorded->sha256 != image->sha256) {
      return fail(Code::InvalidArgument, "ECU {} already records {} (sha256 {}), not {}", ecu,
                  recorded->name, recorded->sha256, image->name);
    }
  }
  return print_enrollment(e);
}

Status run_reprovision(const ReprovisionOptions& o) {
  const auto record = RATCHET_TRY(read_file(o.record, provisioning::kMaxRecord));
  const auto keys_text = RATCHET_TRY(read_file(o.provisioning_keys, 1u << 20));
  const auto keys =
      RATCHET_TRY(provisioning::parse_provisioning_keys(keys_text, o.provisioning_keys));
  auto anchor = RATCHET_TRY(o.anchor.open());
  auto db = RATCHET_TRY(store::LmdbStore::open(o.storage_dir));
  const auto e = RATCHET_TRY(provisioning::reprovision(db, anchor, record, keys, o.device_id));
  return print_enrollment(e);
}

template <class F>
Command finish(CLI::App* app, F run) {
  return {app, [run] {
            auto s = run();
            return s ? 0 : report_error(s.error());
          }};
}

}  // namespace

Command add_provision_command(CLI::App& parent) {
  auto o = std::make_shared<ProvisionOptions>();
  CLI::App* app = parent.add_subcommand(
      "provision", "Factory enrollment: counters, state key, ECU key, initial roots (idempotent)");
  add_config_option(*app, o->config);
  app->add_option("--storage-dir", o->storage_dir, "trusted state (default: the config's)");
  app->add_option("--device-id", o->device_id, "this device's identity (default: the config's)");
  app->add_option("--director-root", o->director_root, "initial Director root.json")->required();
  app->add_option("--image-root", o->image_root, "initial Image repository root.json")->required();
  app->add_option(
      "--installed-image", o->installed_image,
      "the factory image slot a holds (checked against the slot), recorded as installed");
  app->add_option("--installed-name", o->installed_name,
                  "its target name (default: the file's name)");
  app->add_option("--release-counter", o->release_counter, "its release counter")
      ->capture_default_str();
  app->add_option("--security-version", o->security_version, "its security version")
      ->capture_default_str();
  app->add_option("--ecu", o->ecu, "the ECU it runs on (default: the config's first)");
  add_anchor_options(*app, o->anchor);
  return finish(app, [o] { return run_provision(*o); });
}

Command add_reprovision_command(CLI::App& parent) {
  auto o = std::make_shared<ReprovisionOptions>();
  CLI::App* app = parent.add_subcommand(
      "reprovision", "Start a new provisioning lineage from a signed provisioning record");
  app->add_option("record", o->record, "the provisioning record (JSON)")->required();
  app->add_option("--storage-dir", o->storage_dir, "trusted state")->required();
  app->add_option("--provisioning-keys", o->provisioning_keys,
                  "provisioning keys the device trusts (from its read-only configuration)")
      ->required();
  app->add_option("--device-id", o->device_id,
                  "this device's identity (needed only to recover a lost or stale store)");
  add_anchor_options(*app, o->anchor);
  return finish(app, [o] { return run_reprovision(*o); });
}

}  // namespace ratchet::cli
