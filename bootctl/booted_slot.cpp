#include "bootctl/booted_slot.hpp"

#include <array>
#include <cctype>
#include <cerrno>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "bootctl/kernel_cmdline.hpp"
#include "common/file.hpp"

namespace ratchet::bootctl {
namespace {

constexpr std::size_t kMaxCmdline = std::size_t{64} * 1024;
constexpr int kMaxStack = 8;  // device-mapper levels followed below the root device

// What a path is, for comparing two names of the same node: a block device by its device
// number, anything else (a file-backed slot) by its inode.
struct Node {
  bool block = false;
  dev_t rdev = 0;
  dev_t dev = 0;
  ino_t ino = 0;
};

std::optional<Node> node_of(const std::filesystem::path& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return std::nullopt;
  return Node{S_ISBLK(st.st_mode), st.st_rdev, st.st_dev, st.st_ino};
}

std::string dev_name(dev_t d) {
  return fmt::format("{}:{}", major(d), minor(d));
}

std::optional<dev_t> parse_dev(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0)
    text.remove_suffix(1);
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return std::nullopt;
  unsigned long ma = 0;
  unsigned long mi = 0;
  for (const char c : text.substr(0, colon)) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0 || ma > 0xfffff) return std::nullopt;
    ma = ma * 10 + static_cast<unsigned long>(c - '0');
  }
  for (const char c : text.substr(colon + 1)) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0 || mi > 0xfffff) return std::nullopt;
    mi = mi * 10 + static_cast<unsigned long>(c - '0');
  }
  return makedev(ma, mi);
}

// `d` and every device under it that sysfs shows as a slave (dm-verity, dm-linear, dm-crypt).
void with_slaves(const std::filesystem::path& sys, dev_t d, int depth, std::set<dev_t>& out) {
  if (!out.insert(d).second || depth >= kMaxStack) return;
  std::error_code ec;
  const auto slaves = sys / "dev/block" / dev_name(d) / "slaves";
  for (const auto& entry : std::filesystem::directory_iterator(slaves, ec)) {
    auto text = read_file(entry.path() / "dev", 64);
    if (!text) continue;
    if (auto under = parse_dev(*text)) with_slaves(sys, *under, depth + 1, out);
  }
}

struct Finding {
  std::optional<Slot> slot;
  std::string how;  // "root=PARTUUID=... is slot b (/dev/...)" or why it does not apply
};

// Which configured slot a set of block devices (or one file-backed node) is.
Finding match(const SlotDevices& slots, const std::set<dev_t>& devices, const Node* file,
              const std::string& what) {
  std::vector<Slot> hits;
  for (const auto s : {Slot::A, Slot::B}) {
    const auto node = node_of(s == Slot::A ? slots.a : slots.b);
    if (!node) continue;
    if (node->block && devices.contains(node->rdev)) hits.push_back(s);
    if (!node->block && file != nullptr && !file->block && node->dev == file->dev &&
        node->ino == file->ino)
      hits.push_back(s);
  }
  if (hits.size() == 1)
    return {hits.front(), fmt::format("{} is slot {} ({})", what, slot_name(hits.front()),
                                      (hits.front() == Slot::A ? slots.a : slots.b).string())};
  if (hits.empty()) return {std::nullopt, fmt::format("{} is neither slot", what)};
  return {std::nullopt, fmt::format("{} matches both slots", what)};
}

Finding match_node(const SlotDevices& slots, const Node& node, const std::string& what,
                   const SystemView& view) {
  std::set<dev_t> devices;
  if (node.block) with_slaves(view.sys, node.rdev, 0, devices);
  return match(slots, devices, &node, what);
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// root= as the kernel (or an initramfs) reads it.
Finding from_root_param(const SlotDevices& slots, const SystemView& view, const std::string& root) {
  const std::string what = "root=" + root;
  constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kLinks = {{
      {"PARTUUID=", "by-partuuid"},
      {"PARTLABEL=", "by-partlabel"},
      {"UUID=", "by-uuid"},
      {"LABEL=", "by-label"},
  }};
  for (const auto& [prefix, dir] : kLinks) {
    if (!root.starts_with(prefix)) continue;
    std::string id = root.substr(prefix.size());
    if (id.find('/') != std::string::npos)
      return Finding{std::nullopt, fmt::format("{}: offsets (/PARTNROFF=) are not followed", what)};
    if (prefix == "PARTUUID=" || prefix == "UUID=") id = lower(id);
    const auto link = view.dev / "disk" / dir / id;
    const auto node = node_of(link);
    if (!node) return Finding{std::nullopt, fmt::format("{}: no {}", what, link.string())};
    return match_node(slots, *node, what, view);
  }
  if (auto d = parse_dev(root)) {
    std::set<dev_t> devices;
    with_slaves(view.sys, *d, 0, devices);
    return match(slots, devices, nullptr, what);
  }
  if (!root.starts_with('/'))
    return Finding{std::nullopt, fmt::format("{}: not a device this agent can match", what)};
  std::filesystem::path path = root;
  if (root.starts_with("/dev/")) path = view.dev / root.substr(5);
  if (const auto node = node_of(path)) return match_node(slots, *node, what, view);
  // Not there to stat (no udev yet, a test): the configured path spelled the same way.
  for (const auto s : {Slot::A, Slot::B}) {
    const auto& p = s == Slot::A ? slots.a : slots.b;
    if (!p.empty() && p.lexically_normal() == std::filesystem::path(root).lexically_normal())
      return Finding{s, fmt::format("{} is slot {} (by name)", what, slot_name(s))};
  }
  return Finding{std::nullopt, fmt::format("{}: {} does not exist", what, path.string())};
}

}  // namespace

BootedSlot detect_booted_slot(const SlotDevices& slots, const SystemView& view) {
  std::vector<Finding> found;    // every method that named a slot
  std::vector<std::string> why;  // every method that did not
  const bool have_slots = !slots.a.empty() && !slots.b.empty();

  auto cmdline = read_file(view.cmdline, kMaxCmdline);
  if (!cmdline) {
    why.push_back(fmt::format("kernel command line: {}", cmdline.error().message()));
  } else {
    if (auto v = cmdline_param(*cmdline, "ratchet.slot")) {
      if (auto s = parse_slot(*v))
        found.push_back({s, "ratchet.slot=" + *v});
      else
        why.push_back(fmt::format("ratchet.slot={} is not a or b", *v));
    }
    if (auto v = cmdline_param(*cmdline, "rauc.slot")) {
      if (auto s = parse_rauc_slot(*v))
        found.push_back({s, "rauc.slot=" + *v});
      else
        why.push_back(fmt::format("rauc.slot={} is not slot A/B (or <name>.0/<name>.1)", *v));
    }
    if (found.empty() && why.empty())
      why.push_back(fmt::format("no ratchet.slot= or rauc.slot= in {}", view.cmdline.string()));
    if (auto root = cmdline_param(*cmdline, "root"); root && have_slots) {
      auto f = from_root_param(slots, view, *root);
      if (f.slot)
        found.push_back(std::move(f));
      else
        why.push_back(std::move(f.how));
    }
  }

  if (have_slots) {
    struct stat st {};
    if (::stat(view.root.c_str(), &st) != 0) {
      why.push_back(errno_error(errno, view.root.string()).message());
    } else {
      std::set<dev_t> devices;
      with_slaves(view.sys, st.st_dev, 0, devices);
      auto f = match(slots, devices, nullptr,
                     fmt::format("{} (on device {})", view.root.string(), dev_name(st.st_dev)));
      if (f.slot)
        found.push_back(std::move(f));
      else
        why.push_back(std::move(f.how));
    }
  } else {
    why.push_back("no slot devices configured to match root= or / against");
  }

  BootedSlot result;
  for (const auto& f : found) {
    if (f.slot != found.front().slot) {
      result.how = fmt::format("{}, but {}", found.front().how, f.how);
      return result;
    }
  }
  if (!found.empty()) {
    result.slot = found.front().slot;
    result.how = found.front().how;
    return result;
  }
  for (const auto& w : why)
    result.how += (result.how.empty() ? "" : "; ") + w;
  return result;
}

}  // namespace ratchet::bootctl
