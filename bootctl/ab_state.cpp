#include "bootctl/ab_state.hpp"

#include <charconv>

namespace ratchet::bootctl {
namespace {

std::string var(std::string_view name) {
  return std::string(name);
}

unsigned parse_count(const Vars& vars, std::string_view name, unsigned fallback,
                     std::vector<std::string>& notes) {
  const auto it = vars.find(std::string(name));
  if (it == vars.end()) return fallback;
  unsigned value = 0;
  const auto* end = it->second.data() + it->second.size();
  const auto [ptr, ec] = std::from_chars(it->second.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    notes.push_back(
        fmt::format("{}='{}' is not a decimal number; read as {}", name, it->second, fallback));
    return fallback;
  }
  return value;
}

}  // namespace

Changes only_changes(const Vars& current, Changes wanted) {
  std::erase_if(wanted, [&](const auto& kv) {
    const auto it = current.find(kv.first);
    return kv.second ? (it != current.end() && it->second == *kv.second) : it == current.end();
  });
  return wanted;
}

std::string good_var(Slot s) {
  return fmt::format("ratchet_good_{}", slot_name(s));
}

std::string_view health_name(Health h) noexcept {
  switch (h) {
    case Health::Good:
      return "good";
    case Health::Bad:
      return "bad";
    case Health::Indeterminate:
      return "indeterminate";
  }
  return "indeterminate";
}

BootState parse_state(const Vars& vars) {
  BootState s;
  const auto get = [&](std::string_view name) -> const std::string* {
    const auto it = vars.find(std::string(name));
    return it == vars.end() ? nullptr : &it->second;
  };
  if (const auto* v = get(kSlotVar)) {
    if (auto slot = parse_slot(*v))
      s.next = *slot;
    else
      s.notes.push_back(fmt::format("{}='{}' is not a or b; read as a", kSlotVar, *v));
  }
  for (const Slot slot : {Slot::A, Slot::B})
    if (const auto* v = get(good_var(slot)))
      s.health[static_cast<std::size_t>(slot)] = *v == "1"   ? Health::Good
                                                 : *v == "0" ? Health::Bad
                                                             : Health::Indeterminate;
  const auto* upgrade = get(kUpgradeVar);
  s.trial = upgrade != nullptr && *upgrade == "1";
  s.previous = other(s.next);
  if (const auto* v = get(kPreviousVar)) {
    if (auto slot = parse_slot(*v))
      s.previous = *slot;
    else
      s.notes.push_back(
          fmt::format("{}='{}' is not a or b; read as the other slot", kPreviousVar, *v));
  }
  // As the bootloader script reads them: bootlimit 1..99 (else 3); a bootcount that is not a
  // number 0..99 counts as used up.
  s.bootlimit = parse_count(vars, kBootlimitVar, kDefaultBootlimit, s.notes);
  if (s.bootlimit == 0 || s.bootlimit > kMaxBootlimit) {
    s.notes.push_back(fmt::format("{}={} is not 1..{}; read as {}", kBootlimitVar, s.bootlimit,
                                  kMaxBootlimit, kDefaultBootlimit));
    s.bootlimit = kDefaultBootlimit;
  }
  s.bootcount = parse_count(vars, kBootcountVar, s.bootlimit, s.notes);
  if (s.bootcount > kMaxBootlimit) {
    s.notes.push_back(fmt::format("{}={} is over {}; read as used up", kBootcountVar, s.bootcount,
                                  kMaxBootlimit));
    s.bootcount = s.bootlimit;
  }
  const auto* both = get(kBothBadVar);
  s.both_bad = both != nullptr && *both == "1";
  return s;
}

Result<Changes> arm_trial(const BootState& s, Slot target) {
  if (s.trial)
    return fail(Code::BootEnv,
                "a trial boot of slot {} is already armed: mark it good or bad first",
                slot_name(s.next));
  if (target == s.next)
    return fail(Code::InvalidArgument, "slot {} is already the slot to boot", slot_name(target));
  Changes c;
  c[var(kSlotVar)] = std::string(slot_name(target));
  c[var(kPreviousVar)] = std::string(slot_name(s.next));
  c[good_var(target)] = "0";  // until it proves itself
  c[var(kUpgradeVar)] = "1";
  c[var(kBootcountVar)] = "0";
  c[var(kBootlimitVar)] = std::to_string(s.bootlimit);
  c[var(kBothBadVar)] = std::nullopt;
  return c;
}

Changes mark_good(const BootState& s) {
  Changes c;
  c[var(kSlotVar)] = std::string(slot_name(s.next));
  c[good_var(s.next)] = "1";
  c[var(kUpgradeVar)] = "0";
  c[var(kBootcountVar)] = "0";
  c[var(kPreviousVar)] = std::nullopt;
  c[var(kBothBadVar)] = std::nullopt;
  return c;
}

Changes mark_bad(const BootState& s) {
  Changes c;
  c[good_var(s.next)] = "0";
  c[var(kUpgradeVar)] = "0";
  c[var(kBootcountVar)] = "0";
  c[var(kPreviousVar)] = std::nullopt;
  if (s.trial) {
    c[var(kSlotVar)] = std::string(slot_name(s.previous));
  } else if (s.health_of(other(s.next)) != Health::Bad) {
    c[var(kSlotVar)] = std::string(slot_name(other(s.next)));
  } else {
    c[var(kSlotVar)] = std::string(slot_name(s.next));
    c[var(kBothBadVar)] = "1";  // nothing better to boot: keep this one, and report it
  }
  return c;
}

Result<Changes> set_next(const BootState& s, Slot slot) {
  if (slot == s.next) return Changes{};
  return arm_trial(s, slot);
}

}  // namespace ratchet::bootctl
