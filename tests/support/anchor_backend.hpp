// The two things that can anchor a device's rollback state in tests: a private swtpm, or a
// directory of file counters. Tests run against both through the same DeviceAnchor.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "agent/provisioning/device_anchor.hpp"
#include "tests/support/swtpm.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::test {

enum class AnchorKind { File, Tpm };

inline std::string anchor_kind_name(const ::testing::TestParamInfo<AnchorKind>& info) {
  return info.param == AnchorKind::File ? "File" : "Tpm";
}

class AnchorBackend {
 public:
  AnchorBackend(AnchorKind kind, const std::filesystem::path& dir) : kind_(kind), dir_(dir) {
    if (kind == AnchorKind::Tpm) swtpm_ = std::make_unique<Swtpm>();
  }
  [[nodiscard]] static bool available(AnchorKind kind) {
#if RATCHET_HAVE_TPM
    return kind == AnchorKind::File || Swtpm::available();
#else
    return kind == AnchorKind::File;
#endif
  }

  [[nodiscard]] provisioning::AnchorConfig config() const {
    provisioning::AnchorConfig c;
    if (kind_ == AnchorKind::Tpm)
      c.tcti = swtpm_->tcti();
    else
      c.anchor_dir = dir_;
    return c;
  }
  // The same options for the `ratchet` binary.
  [[nodiscard]] std::vector<std::string> cli_args() const {
    if (kind_ == AnchorKind::Tpm) return {"--tcti", swtpm_->tcti()};
    return {"--anchor-dir", dir_.string()};
  }
  [[nodiscard]] provisioning::DeviceAnchor open() const {
    auto a = provisioning::open_anchor(config());
    if (!a) throw std::runtime_error(a.error().message());
    return std::move(*a);
  }
  [[nodiscard]] Swtpm* swtpm() const noexcept {
    return swtpm_.get();
  }

 private:
  AnchorKind kind_;
  std::filesystem::path dir_;
  std::unique_ptr<Swtpm> swtpm_;
};

}  // namespace ratchet::test
