#include "bootctl/boot_control.hpp"

#include "bootctl/running_slot.hpp"
#include "common/log.hpp"

namespace ratchet::bootctl {

Result<BootStatus> BootControl::status() {
  const auto snap = RATCHET_TRY(env_.read());
  BootStatus s;
  s.state = parse_state(snap.vars);
  s.env_valid = snap.valid;
  s.env = env_.describe();
  s.booted = detect_booted_slot(slots_, view_);
  s.disagreement = env_disagreement(s.state, s.booted.slot);
  if (!s.disagreement.empty()) log::warning("{}", s.disagreement);
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
