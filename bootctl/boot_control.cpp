#include "bootctl/boot_control.hpp"

#include "common/file.hpp"
#include "common/log.hpp"

namespace ratchet::bootctl {

std::optional<Slot> booted_slot(std::string_view cmdline) {
  constexpr std::string_view key = "ratchet.slot=";
  std::size_t pos = 0;
  while ((pos = cmdline.find(key, pos)) != std::string_view::npos) {
    if (pos == 0 || cmdline[pos - 1] == ' ') {
      const auto start = pos + key.size();
      const auto end = cmdline.find_first_of(" \n", start);
      return parse_slot(cmdline.substr(start, end == std::string_view::npos ? end : end - start));
    }
    pos += key.size();
  }
  return std::nullopt;
}

Result<BootStatus> BootControl::status() {
  const auto snap = RATCHET_TRY(env_.read());
  BootStatus s;
  s.state = parse_state(snap.vars);
  s.env_valid = snap.valid;
  s.env = env_.describe();
  if (auto cmdline = read_file(cmdline_, std::uint64_t{64} * 1024))
    s.booted = booted_slot(*cmdline);
  for (const auto& note : s.state.notes)
    log::warning("boot environment: {}", note);
  return s;
}

template <class Transition>
Status BootControl::apply(const char* what, Transition transition) {
  const auto snap = RATCHET_TRY(env_.read());
  const BootState state = parse_state(snap.vars);
  Result<Changes> wanted = transition(state);
  if (!wanted) return fail(std::move(wanted).error());
  const Changes changes = only_changes(snap.vars, std::move(*wanted));
  if (changes.empty() && snap.valid) {
    log::info("{}: the boot environment already says so", what);
    return {};
  }
  RATCHET_TRY_CTX(env_.write(changes), what);
  log::notice("{}: {} variable(s) stored in {}", what, changes.size(), env_.describe());
  return {};
}

Status BootControl::arm_trial(Slot target) {
  return apply("arm trial boot", [&](const BootState& s) { return bootctl::arm_trial(s, target); });
}

Status BootControl::mark_good() {
  return apply("mark good",
               [](const BootState& s) -> Result<Changes> { return bootctl::mark_good(s); });
}

Status BootControl::mark_bad() {
  return apply("mark bad",
               [](const BootState& s) -> Result<Changes> { return bootctl::mark_bad(s); });
}

Status BootControl::set_next(Slot slot) {
  return apply("set next", [&](const BootState& s) { return bootctl::set_next(s, slot); });
}

}  // namespace ratchet::bootctl
