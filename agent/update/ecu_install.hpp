// Installing one verified target into one ECU: an A/B root filesystem (the inactive slot, then a
// trial boot), a file, or a file handed to a command. Floors are checked first; the image is
// streamed in one verified pass (chunk list: nothing unverified reaches the slot), resumable
// after a power cut for a slot; a file is replaced atomically (file_replacement.hpp). The store
// records it as the ECU's trial (A/B) or installed image.
#pragma once

#include <functional>
#include <memory>

#include "agent/config/config.hpp"
#include "agent/store/anchored_store.hpp"
#include "agent/tuf/updater.hpp"
#include "agent/uptane/verification.hpp"
#include "bootctl/boot_control.hpp"
#include "streaming/install.hpp"

namespace ratchet::update {

// Where an A/B ECU's install keeps its checkpoint (storage_dir/checkpoints/<serial>.ckpt).
[[nodiscard]] std::filesystem::path checkpoint_path(const config::Config& config,
                                                    const config::EcuConfig& ecu);

// What an interrupted run may have left behind, removed at the start of every run (before
// anything else needs space): every file ECU's temporary file and its (older versions')
// checkpoint, and the half-written temporary files of every slot's checkpoint. A slot's
// checkpoint itself stays: the next install resumes from it.
[[nodiscard]] Status remove_leftovers(const config::Config& config);

enum class EcuResult : std::uint8_t { UpToDate, Installed, TrialArmed };

class EcuInstaller {
 public:
  using SourceFor = std::function<std::unique_ptr<streaming::Source>(const std::string& path)>;

  EcuInstaller(const config::Config& config, store::LmdbStore& db, store::AnchoredStore& anchored,
               tuf::Updater& image, tuf::Fetcher& targets, SourceFor source_for,
               bootctl::BootControl* control)
      : config_(config),
        db_(db),
        anchored_(anchored),
        image_(image),
        targets_(targets),
        source_for_(std::move(source_for)),
        control_(control) {}

  [[nodiscard]] Result<EcuResult> install(
      const config::EcuConfig& ecu, const uptane::EcuTarget& target,
      const std::function<void(const streaming::InstallProgress&)>& on_progress);

 private:
  [[nodiscard]] Result<streaming::ChunkList> fetch_chunks(const std::string& name,
                                                          std::uint64_t length,
                                                          const std::vector<std::byte>& sha256);

  const config::Config& config_;
  store::LmdbStore& db_;
  store::AnchoredStore& anchored_;
  tuf::Updater& image_;
  tuf::Fetcher& targets_;  // the Image repository's targets/
  SourceFor source_for_;
  bootctl::BootControl* control_;
};

}  // namespace ratchet::update
