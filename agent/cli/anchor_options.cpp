#include "agent/cli/anchor_options.hpp"

namespace ratchet::cli {

void add_anchor_options(CLI::App& app, AnchorOptions& o) {
  app.add_option("--tcti", o.tcti,
                 "TPM that anchors the rollback state: device:/dev/tpmrm0, swtpm:path=..., "
                 "mssim:host=...,port=...");
  app.add_option("--anchor-dir", o.anchor_dir,
                 "devices without a TPM: file counters and keys (NOT hardware-anchored)");
  app.add_option("--owner-auth-file", o.owner_auth_file,
                 "file holding the TPM owner hierarchy auth, if the owner set one");
}

Result<provisioning::DeviceAnchor> AnchorOptions::open() const {
  provisioning::AnchorConfig c;
  c.tcti = tcti;
  c.anchor_dir = anchor_dir;
  c.owner_auth_file = owner_auth_file;
  return provisioning::open_anchor(c);
}

}  // namespace ratchet::cli
