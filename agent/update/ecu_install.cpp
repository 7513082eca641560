#include "agent/update/ecu_install.hpp"

#include "agent/store/failed_targets.hpp"
#include "agent/store/installed_images.hpp"
#include "agent/update/file_replacement.hpp"
#include "agent/update/image_spec.hpp"
#include "bootctl/process.hpp"
#include "bootctl/running_slot.hpp"
#include "common/constant_time.hpp"
#include "common/hex.hpp"
#include "common/log.hpp"
#include "streaming/checkpoint.hpp"
#include "streaming/digest_check.hpp"
#include "streaming/memory_sink.hpp"

namespace ratchet::update {
namespace {

using bootctl::Slot;

const std::filesystem::path& slot_path(const config::EcuConfig& ecu, Slot s) {
  return s == Slot::A ? ecu.slot_a : ecu.slot_b;
}

}  // namespace

std::filesystem::path checkpoint_path(const config::Config& config, const config::EcuConfig& ecu) {
  return config.storage_dir / "checkpoints" / (ecu.serial + ".ckpt");
}

Status remove_leftovers(const config::Config& config) {
  for (const auto& ecu : config.ecus) {
    if (ecu.kind == config::EcuKind::AbRootfs) {
      RATCHET_TRY(streaming::remove_checkpoint_temps(checkpoint_path(config, ecu)));
    } else {
      RATCHET_TRY(remove_replacement_temp(ecu.path));
      RATCHET_TRY(streaming::remove_checkpoint_files(checkpoint_path(config, ecu)));
    }
  }
  return {};
}

Result<streaming::ChunkList> EcuInstaller::fetch_chunks(const std::string& name,
                                                        std::uint64_t length,
                                                        const std::vector<std::byte>& sha256) {
  // The chunk list is a target of its own, signed by the Image repository, and the image's
  // entry names its digest too: both must agree.
  const auto entry = RATCHET_TRY(image_.find_target(name));
  if (entry.length != length)
    return fail(Code::LengthMismatch, "chunk list {}: {} bytes listed, {} expected", name,
                entry.length, length);
  if (!entry.hashes.sha256 || !constant_time_equal(*entry.hashes.sha256, sha256))
    return fail(Code::HashMismatch, "chunk list {} is not the one the image names", name);
  streaming::MemorySink bytes(length);
  streaming::DigestCheck check(bytes, "chunk list " + name, entry.length, entry.hashes);
  RATCHET_TRY(targets_.fetch_into(image_.target_path(name, entry), check));
  RATCHET_TRY(check.finish());
  return streaming::ChunkList::parse(std::as_bytes(std::span(bytes.data())));
}

Result<EcuResult> EcuInstaller::install(
    const config::EcuConfig& ecu, const uptane::EcuTarget& t,
    const std::function<void(const streaming::InstallProgress&)>& on_progress) {
  const auto spec = RATCHET_TRY(image_spec(t.name, t.image, config_.max_image_size));
  if (!spec.image_digests.sha256)
    return fail(Code::BadMetadata, "target {}: no sha256 of the image", t.name);
  const std::string sha = to_hex(*spec.image_digests.sha256);

  const auto installed = RATCHET_TRY(store::installed_image(db_, ecu.serial));
  if (installed && installed->sha256 == sha) {
    log::info("ECU {}: {} is installed already", ecu.serial, t.name);
    return EcuResult::UpToDate;
  }
  const std::uint64_t floor = RATCHET_TRY(store::security_version_floor(db_));
  if (spec.security_version < floor)
    return fail(Code::ReleaseCounterRollback,
                "target {}: security version {} is below the device's floor {}", t.name,
                spec.security_version, floor);

  std::optional<Slot> write_to;
  std::optional<Slot> active;
  if (ecu.kind == config::EcuKind::AbRootfs) {
    if (control_ == nullptr) return fail(Code::Internal, "no boot control for ECU {}", ecu.serial);
    const auto st = RATCHET_TRY(control_->status());
    // Never the running slot, whatever the environment claims; nothing when it is unknown.
    write_to = RATCHET_TRY(bootctl::slot_to_write(st.state, st.booted));
    active = bootctl::other(*write_to);
    if (auto trial = RATCHET_TRY(db_.get(store::trial_key(ecu.serial)))) {
      const auto pending = RATCHET_TRY(store::InstalledImage::from_json(*trial, "trial"));
      if (pending.sha256 == sha && st.state.trial && st.state.next == *write_to) {
        log::notice("ECU {}: {} is installed in slot {} and waits for a reboot", ecu.serial, t.name,
                    bootctl::slot_name(*write_to));
        return EcuResult::TrialArmed;
      }
    }
    // Never write a slot that is armed to boot: disarm first (a power cut mid-write then boots
    // the running slot, not a half-written one).
    if (st.state.trial && st.state.next == *write_to) RATCHET_TRY(control_->mark_bad());
  }

  std::optional<streaming::ChunkList> chunks;
  if (spec.chunks)
    chunks = RATCHET_TRY(
        fetch_chunks(spec.chunks->name, spec.chunks->length, *spec.chunks->digests.sha256));

  streaming::InstallRequest req;
  req.name = t.name;
  req.format = spec.format;
  req.payload_length = t.image.length;
  req.payload_digests = t.image.hashes;
  req.image_length = spec.image_length;
  req.image_digests = spec.image_digests;
  req.chunks = chunks ? &*chunks : nullptr;
  // A slot is written in place (it is not booted until armed); a file never is: its image goes
  // to a temporary file beside it that replaces it only once complete and verified. A file
  // replacement restarts rather than resumes, so only a slot has a checkpoint.
  std::optional<FileReplacement> replacement;
  if (write_to) {
    req.target = slot_path(ecu, *write_to);
    std::error_code ec;
    std::filesystem::create_directories(config_.storage_dir / "checkpoints", ec);
    req.checkpoint = checkpoint_path(config_, ecu);
    req.checkpoint_interval = config_.checkpoint_interval;
  } else {
    replacement.emplace(RATCHET_TRY(FileReplacement::begin(ecu.path, "path")));
    req.target = replacement->temp();
  }
  req.on_progress = on_progress;
  if (spec.delta_base) {
    if (!active) return fail(Code::BadMetadata, "target {}: a delta needs an A/B ECU", t.name);
    req.reference = slot_path(ecu, *active);
    req.reference_length = spec.delta_base->length;
    req.reference_digests = spec.delta_base->digests;
  }
  auto source = source_for_(image_.target_path(t.name, t.image));
  log::notice("ECU {}: installing {} ({}) into {}", ecu.serial, t.name,
              streaming::format_name(spec.format),
              write_to ? req.target.string() : ecu.path.string());
  RATCHET_TRY(streaming::install(*source, req));
  if (replacement) RATCHET_TRY(replacement->commit());

  store::InstalledImage image{t.name,
                              sha,
                              spec.image_length,
                              t.release_counter.value_or(0),
                              spec.security_version,
                              write_to ? std::string(bootctl::slot_name(*write_to)) : ""};
  if (write_to) {
    // Recorded first, then armed: a crash between leaves a trial record that the next confirm
    // drops (its slot never became good) and the next update redoes. A new trial replaces the
    // record of a failed target in the same commit.
    RATCHET_TRY(anchored_.commit({.puts = {{store::trial_key(ecu.serial), image.to_json().dump()}},
                                  .erases = {store::failed_key(ecu.serial)}}));
    RATCHET_TRY(control_->arm_trial(*write_to));
    return EcuResult::TrialArmed;
  }
  if (ecu.kind == config::EcuKind::Command) {
    // No shell: the staged file's path is one argument, whatever characters it holds.
    bootctl::ProcessSpec flash{.argv = ecu.command,
                               .timeout = std::chrono::seconds(600),
                               .what = fmt::format("the flash command {}", ecu.command.front())};
    flash.argv.push_back(ecu.path.string());
    RATCHET_TRY(bootctl::run_process(flash, nullptr, std::chrono::milliseconds(1000)));
  }
  RATCHET_TRY(store::record_installed(anchored_, ecu.serial, image));
  return EcuResult::Installed;
}

}  // namespace ratchet::update
