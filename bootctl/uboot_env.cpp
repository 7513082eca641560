#include "bootctl/uboot_env.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/handles/ubootenv.hpp"

namespace ratchet::bootctl {
namespace {

Error env_error(std::string_view what, const std::filesystem::path& config, int rc) {
  return Error(Code::BootEnv, fmt::format("U-Boot environment ({}): {}: {}", config.string(), what,
                                          std::strerror(rc < 0 ? -rc : rc)));
}

// An open environment: the context, and whether a copy had a good CRC.
struct Opened {
  ubootenv::Ctx ctx;
  bool valid = false;
};

Result<Opened> open_env(const std::filesystem::path& config) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(config, ec))
    return fail(Code::BadConfig, "{}: no such fw_env.config", config.string());
  uboot_ctx* raw = nullptr;
  if (const int rc = libuboot_initialize(&raw, nullptr); rc < 0)
    return fail(env_error("initialize", config, rc));
  Opened o;
  o.ctx.reset(raw);
  if (const int rc = libuboot_read_config(raw, config.c_str()); rc < 0)
    return fail(Code::BadConfig, "{}: not a valid fw_env.config ({})", config.string(),
                std::strerror(-rc));
  const int rc = libuboot_open(raw);
  if (rc == -ENODATA) return o;  // blank or corrupt: no copy with a good CRC
  if (rc < 0) return fail(env_error("read", config, rc));
  o.valid = true;
  return o;
}

Vars all_vars(uboot_ctx* ctx) {
  Vars vars;
  for (void* e = libuboot_iterator(ctx, nullptr); e != nullptr; e = libuboot_iterator(ctx, e)) {
    const char* name = libuboot_getname(e);
    const char* value = libuboot_getvalue(e);
    if (name != nullptr) vars.emplace(name, value != nullptr ? value : "");
  }
  return vars;
}

}  // namespace

Result<EnvSnapshot> UbootEnv::read() {
  auto o = RATCHET_TRY(open_env(config_));
  if (!o.valid && !defaults_.empty())
    if (const int rc = libuboot_load_file(o.ctx.get(), defaults_.c_str()); rc < 0)
      return fail(env_error("load defaults " + defaults_.string(), config_, rc));
  return EnvSnapshot{all_vars(o.ctx.get()), o.valid};
}

Status UbootEnv::write(const Changes& changes) {
  {
    auto o = RATCHET_TRY(open_env(config_));
    if (!o.valid) {
      if (defaults_.empty())
        return fail(Code::BootEnv,
                    "U-Boot environment ({}) is blank or corrupt; refusing to write it without "
                    "the board's default environment (configure its defaults file)",
                    config_.string());
      if (const int rc = libuboot_load_file(o.ctx.get(), defaults_.c_str()); rc < 0)
        return fail(env_error("load defaults " + defaults_.string(), config_, rc));
    }
    for (const auto& [name, value] : changes)
      if (const int rc =
              libuboot_set_env(o.ctx.get(), name.c_str(), value ? value->c_str() : nullptr);
          rc < 0)
        return fail(env_error("set " + name, config_, rc));
    if (const int rc = libuboot_env_store(o.ctx.get()); rc < 0)
      return fail(env_error("store", config_, rc));
  }
  // Read back through a fresh context: what the bootloader will see.
  const auto back = RATCHET_TRY(read());
  if (!back.valid)
    return fail(Code::BootEnv, "U-Boot environment ({}) does not read back after the store",
                config_.string());
  for (const auto& [name, value] : changes) {
    const auto it = back.vars.find(name);
    const bool ok = value ? (it != back.vars.end() && it->second == *value) : it == back.vars.end();
    if (!ok)
      return fail(Code::BootEnv, "U-Boot environment ({}): {} did not read back as written",
                  config_.string(), name);
  }
  return {};
}

}  // namespace ratchet::bootctl
