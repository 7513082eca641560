#include "agent/config/config.hpp"

#include <cerrno>
#include <set>

#include <sys/stat.h>
#include <toml++/toml.h>

#include "bootctl/process.hpp"
#include "common/file.hpp"

namespace ratchet::config {
namespace {

// Reads one table, refusing keys it does not know.
class Table {
 public:
  Table(const toml::table& t, std::string name) : t_(t), name_(std::move(name)) {}

  template <class T>
  Status get(std::string_view key, T& out) {
    known_.insert(std::string(key));
    const toml::node* node = t_.get(key);
    if (node == nullptr) return {};
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::filesystem::path>) {
      const auto v = node->value<std::string>();
      if (!v || v->empty()) return bad(key, "a non-empty string");
      out = T(*v);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      const auto* arr = node->as_array();
      if (arr == nullptr) return bad(key, "an array of strings");
      out.clear();
      for (const auto& e : *arr) {
        const auto v = e.value<std::string>();
        if (!v) return bad(key, "an array of strings");
        out.push_back(*v);
      }
    } else {
      const auto v = node->value<std::int64_t>();
      if (!v || *v < 0 || static_cast<std::uint64_t>(*v) > std::numeric_limits<T>::max())
        return bad(key, "a non-negative integer in range");
      out = static_cast<T>(*v);
    }
    return {};
  }

  void allow(std::string_view key) { known_.insert(std::string(key)); }

  Status required(std::string_view key) const {
    if (t_.get(key) == nullptr) return fail(Code::BadConfig, "{}{} is required", prefix(), key);
    return {};
  }

  Status done() const {
    for (const auto& [key, value] : t_)
      if (!known_.contains(std::string(key.str())))
        return fail(Code::BadConfig, "{}{} is not a known setting", prefix(), key.str());
    return {};
  }

 private:
  std::string prefix() const { return name_.empty() ? "" : name_ + "."; }
  Status bad(std::string_view key, std::string_view what) const {
    return fail(Code::BadConfig, "{}{} must be {}", prefix(), key, what);
  }
  const toml::table& t_;
  std::string name_;
  std::set<std::string> known_;
};

const toml::table* sub(const toml::table& root, std::string_view key) {
  const auto* node = root.get(key);
  return node == nullptr ? nullptr : node->as_table();
}

// A command: an array of strings (the argument vector), or a string split as
// bootctl::split_command does (shell syntax in it is refused: nothing runs through a shell).
Status read_command(const toml::table& t, std::string_view name, const std::string& key,
                    std::vector<std::string>& out) {
  const toml::node* node = t.get(name);
  if (node == nullptr) return {};
  out.clear();
  if (const auto* arr = node->as_array()) {
    for (const auto& e : *arr) {
      const auto v = e.value<std::string>();
      if (!v) return fail(Code::BadConfig, "{} must be an array of strings", key);
      out.push_back(*v);
    }
  } else if (const auto v = node->value<std::string>()) {
    out = RATCHET_TRY(bootctl::split_command(*v, key));
  } else {
    return fail(Code::BadConfig, "{} must be an array of strings or a string", key);
  }
  if (out.empty() || out.front().empty()) return fail(Code::BadConfig, "{} names no program", key);
  return {};
}

Status read_ecu(const toml::table& t, std::size_t index, Config& c) {
  Table e(t, fmt::format("ecu[{}]", index));
  EcuConfig ecu;
  std::string kind = "ab-rootfs";
  RATCHET_TRY(e.required("serial"));
  RATCHET_TRY(e.required("hardware_id"));
  RATCHET_TRY(e.get("serial", ecu.serial));
  RATCHET_TRY(e.get("hardware_id", ecu.hardware_id));
  RATCHET_TRY(e.get("kind", kind));
  RATCHET_TRY(e.get("slot_a", ecu.slot_a));
  RATCHET_TRY(e.get("slot_b", ecu.slot_b));
  RATCHET_TRY(e.get("path", ecu.path));
  RATCHET_TRY(read_command(t, "command", fmt::format("ecu[{}].command", index), ecu.command));
  e.allow("command");
  RATCHET_TRY(e.done());
  const auto where = fmt::format("ecu[{}] ({})", index, ecu.serial);
  if (kind == "ab-rootfs") {
    ecu.kind = EcuKind::AbRootfs;
    if (ecu.slot_a.empty() || ecu.slot_b.empty())
      return fail(Code::BadConfig, "{}: an ab-rootfs ECU needs slot_a and slot_b", where);
  } else if (kind == "file") {
    ecu.kind = EcuKind::File;
    if (ecu.path.empty()) return fail(Code::BadConfig, "{}: a file ECU needs path", where);
  } else if (kind == "command") {
    ecu.kind = EcuKind::Command;
    if (ecu.path.empty() || ecu.command.empty())
      return fail(Code::BadConfig, "{}: a command ECU needs path and command", where);
  } else {
    return fail(Code::BadConfig, "{}: kind must be ab-rootfs, file or command, not '{}'", where,
                kind);
  }
  for (const auto& other : c.ecus)
    if (other.serial == ecu.serial)
      return fail(Code::BadConfig, "{}: serial {} appears twice", where, ecu.serial);
  c.ecus.push_back(std::move(ecu));
  return {};
}

Status read_config(const toml::table& root, Config& c) {
  Table top(root, "");
  for (const char* section : {"device", "server", "anchor", "boot", "limits", "ecu"})
    top.allow(section);
  RATCHET_TRY(top.done());

  toml::table empty;
  const auto section = [&](std::string_view name) -> const toml::table& {
    const auto* t = sub(root, name);
    return t != nullptr ? *t : empty;
  };
  for (const char* name : {"device", "server", "anchor", "boot", "limits"})
    if (root.get(name) != nullptr && sub(root, name) == nullptr)
      return fail(Code::BadConfig, "{} must be a table", name);

  Table device(section("device"), "device");
  RATCHET_TRY(device.required("id"));
  RATCHET_TRY(device.get("id", c.device_id));
  RATCHET_TRY(device.get("storage_dir", c.storage_dir));
  RATCHET_TRY(device.get("provisioning_keys", c.provisioning_keys));
  RATCHET_TRY(device.done());

  Table server(section("server"), "server");
  RATCHET_TRY(server.required("director_url"));
  RATCHET_TRY(server.required("image_url"));
  RATCHET_TRY(server.get("director_url", c.director_url));
  RATCHET_TRY(server.get("image_url", c.image_url));
  RATCHET_TRY(server.get("ca_file", c.ca_file));
  RATCHET_TRY(server.get("client_cert", c.client_cert));
  RATCHET_TRY(server.get("client_key", c.client_key));
  RATCHET_TRY(server.done());
  if (c.client_cert.empty() != c.client_key.empty())
    return fail(Code::BadConfig, "server.client_cert and server.client_key go together");

  Table anchor(section("anchor"), "anchor");
  RATCHET_TRY(anchor.get("tcti", c.tcti));
  RATCHET_TRY(anchor.get("dir", c.anchor_dir));
  RATCHET_TRY(anchor.get("owner_auth_file", c.owner_auth_file));
  RATCHET_TRY(anchor.done());
  if (c.tcti.empty() == c.anchor_dir.empty())
    return fail(Code::BadConfig, "anchor: set exactly one of tcti (a TPM) and dir (no TPM)");

  Table boot(section("boot"), "boot");
  RATCHET_TRY(boot.get("fw_env_config", c.fw_env_config));
  RATCHET_TRY(boot.get("env_defaults", c.env_defaults));
  RATCHET_TRY(boot.get("cmdline", c.cmdline));
  RATCHET_TRY(boot.get("watchdog", c.watchdog));
  RATCHET_TRY(boot.get("watchdog_timeout", c.watchdog_timeout));
  RATCHET_TRY(boot.get("health_checks", c.health_checks));
  RATCHET_TRY(boot.get("check_timeout", c.check_timeout));
  RATCHET_TRY(
      read_command(section("boot"), "reboot_command", "boot.reboot_command", c.reboot_command));
  boot.allow("reboot_command");
  RATCHET_TRY(boot.done());

  Table limits(section("limits"), "limits");
  RATCHET_TRY(limits.get("max_image_size", c.max_image_size));
  RATCHET_TRY(limits.get("min_rate", c.min_rate));
  RATCHET_TRY(limits.get("low_speed_time", c.low_speed_time));
  RATCHET_TRY(limits.get("connect_timeout", c.connect_timeout));
  RATCHET_TRY(limits.get("retries", c.retries));
  RATCHET_TRY(limits.get("checkpoint_interval", c.checkpoint_interval));
  if (c.checkpoint_interval < (std::uint64_t{1} << 20))
    return fail(Code::BadConfig, "limits.checkpoint_interval must be at least 1048576 (bytes)");
  RATCHET_TRY(limits.done());

  const auto* ecus = root.get("ecu");
  if (ecus == nullptr || ecus->as_array() == nullptr || ecus->as_array()->empty())
    return fail(Code::BadConfig, "at least one [[ecu]] is required");
  std::size_t i = 0;
  for (const auto& node : *ecus->as_array()) {
    const auto* t = node.as_table();
    if (t == nullptr) return fail(Code::BadConfig, "ecu[{}] must be a table", i);
    RATCHET_TRY(read_ecu(*t, i++, c));
  }
  return {};
}

}  // namespace

const EcuConfig* Config::primary() const {
  for (const auto& e : ecus)
    if (e.kind == EcuKind::AbRootfs) return &e;
  return nullptr;
}

Result<Config> parse_config(std::string_view text, const std::filesystem::path& source) {
  Config c;
  c.source = source;
  try {
    const toml::table root = toml::parse(text, source.string());
    if (auto s = read_config(root, c); !s)
      return fail(Code::BadConfig, "{}: {}", source.string(), s.error().message());
  } catch (const toml::parse_error& e) {
    return fail(Code::BadConfig, "{}:{}:{}: {}", source.string(), e.source().begin.line,
                e.source().begin.column, e.description());
  }
  return c;
}

Result<Config> load_config(const std::filesystem::path& path) {
  auto text = read_file(path, 1u << 20);
  // A configuration that is not there is the caller's mistake (exit 2), not the device's.
  if (!text && text.error().code() == Code::NotFound)
    return fail(Code::BadConfig, "{}: no such configuration file", path.string());
  if (!text) return fail(std::move(text).error());
  return parse_config(*text, path);
}

Status check_slots(const Config& c) {
  for (std::size_t i = 0; i < c.ecus.size(); ++i) {
    const auto& ecu = c.ecus[i];
    if (ecu.kind != EcuKind::AbRootfs) continue;
    for (const auto& [key, path] : {std::pair{"slot_a", &ecu.slot_a}, {"slot_b", &ecu.slot_b}}) {
      const auto where =
          fmt::format("{}: ecu[{}].{} ({})", c.source.string(), i, key, path->string());
      struct stat link {};
      struct stat st {};
      if (::lstat(path->c_str(), &link) != 0 || ::stat(path->c_str(), &st) != 0)
        return fail(Code::BadConfig, "{}: {}; a slot must exist, it is never created", where,
                    errno_error(errno, path->string()).message());
      if (S_ISBLK(st.st_mode)) continue;
      if (!S_ISREG(st.st_mode))
        return fail(Code::BadConfig, "{}: neither a block device nor a regular file", where);
      if (S_ISLNK(link.st_mode))
        return fail(Code::BadConfig,
                    "{}: a symbolic link to a regular file; name the slot file itself", where);
    }
  }
  return {};
}

}  // namespace ratchet::config
