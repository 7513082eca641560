#include "repo/info.hpp"

#include <functional>

#include "agent/bundle/bundle_index.hpp"
#include "common/file.hpp"

namespace ratchet::repo {
namespace {

using tuf::Json;
namespace fs = std::filesystem;

constexpr std::uint64_t kMaxFile = 16u << 20;

// Files by '/'-separated path, from a directory or from an indexed archive.
struct View {
  std::function<Result<std::string>(const std::string&)> read;
  std::function<bool(const std::string&)> exists;
};

View directory_view(const fs::path& root) {
  return {[root](const std::string& p) { return read_file(root / p, kMaxFile); },
          [root](const std::string& p) {
            std::error_code ec;
            return fs::is_regular_file(root / p, ec);
          }};
}

View archive_view(const std::shared_ptr<const bundle::BundleIndex>& index) {
  return {[index](const std::string& p) -> Result<std::string> {
            const auto* e = index->find(p);
            if (e == nullptr || !e->bytes)
              return fail(Code::NotFound, "{}: no {}", index->archive.string(), p);
            return *e->bytes;
          },
          [index](const std::string& p) { return index->find(p) != nullptr; }};
}

Result<Json> signed_of(const View& v, const std::string& path) {
  const auto text = RATCHET_TRY(v.read(path));
  const Json doc = RATCHET_TRY(tuf::parse_json(text, path));
  if (!doc.is_object() || !doc.contains("signed") || !doc["signed"].is_object())
    return fail(Code::BadMetadata, "{}: no signed part", path);
  return doc["signed"];
}

std::uint64_t newest_root(const View& v, const std::string& prefix) {
  std::uint64_t n = 0;
  while (n < 100000 && v.exists(fmt::format("{}{}.root.json", prefix, n + 1)))
    ++n;
  return n;
}

std::uint64_t version_in(const Json& meta, const std::string& file) {
  return meta.contains(file) ? meta[file].value("version", std::uint64_t{0}) : 0;
}

// The Image repository (consistent snapshots): timestamp -> N.snapshot -> N.targets.
Result<Json> describe_image(const View& v, const std::string& prefix) {
  Json out{{"root_version", newest_root(v, prefix)}, {"expires", Json::object()}};
  const Json ts = RATCHET_TRY(signed_of(v, prefix + "timestamp.json"));
  out["timestamp_version"] = ts.value("version", 0);
  out["expires"]["timestamp"] = ts.value("expires", "");
  const auto snap_v = version_in(ts.value("meta", Json::object()), "snapshot.json");
  const Json snap = RATCHET_TRY(signed_of(v, fmt::format("{}{}.snapshot.json", prefix, snap_v)));
  out["snapshot_version"] = snap_v;
  out["expires"]["snapshot"] = snap.value("expires", "");
  const auto targets_v = version_in(snap.value("meta", Json::object()), "targets.json");
  const Json targets =
      RATCHET_TRY(signed_of(v, fmt::format("{}{}.targets.json", prefix, targets_v)));
  out["targets_version"] = targets_v;
  out["expires"]["targets"] = targets.value("expires", "");
  Json list = Json::object();
  const Json entries = targets.value("targets", Json::object());
  for (const auto& [name, entry] : entries.items()) {
    if (!entry.is_object()) continue;
    const Json custom = entry.value("custom", Json::object());
    const Json r = custom.value("ratchet", Json::object());
    if (!r.is_object() || !r.contains("format")) continue;  // chunk lists and other files
    const std::string sha = entry.value("hashes", Json::object()).value("sha256", "");
    const auto slash = name.rfind('/');
    const std::string file =
        slash == std::string::npos
            ? fmt::format("{}.{}", sha, name)
            : fmt::format("{}{}.{}", name.substr(0, slash + 1), sha, name.substr(slash + 1));
    list[name] = {{"format", r.value("format", "")},
                  {"image_length", r.value("image", Json::object()).value("length", 0)},
                  {"length", entry.value("length", 0)},
                  {"hardware_ids", custom.value("hardwareIds", Json::array())},
                  {"release_counter", custom.value("releaseCounter", 0)},
                  {"security_version", r.value("securityVersion", 0)},
                  {"in_bundle", v.exists(fmt::format("{}targets/{}", prefix, file))}};
  }
  out["targets"] = list;
  return out;
}

Result<Json> describe_director(const View& v, const std::string& prefix) {
  const Json t = RATCHET_TRY(signed_of(v, prefix + "targets.json"));
  Json ecus = Json::object();
  const Json entries = t.value("targets", Json::object());
  for (const auto& [name, entry] : entries.items()) {
    if (!entry.is_object()) continue;
    const Json ids = entry.value("custom", Json::object()).value("ecuIdentifiers", Json::object());
    if (!ids.is_object()) continue;
    for (const auto& [serial, id] : ids.items())
      ecus[serial] = {{"hardware_id", id.is_object() ? id.value("hardwareId", "") : ""},
                      {"target", name}};
  }
  return Json{{"targets_version", t.value("version", 0)},
              {"expires", t.value("expires", "")},
              {"root_version", newest_root(v, prefix)},
              {"ecus", ecus}};
}

}  // namespace

Result<Json> describe(const fs::path& path) {
  std::error_code ec;
  Json out;
  View v;
  if (fs::is_directory(path / "private", ec) && fs::is_directory(path / "image", ec)) {
    v = directory_view(path);
    out["kind"] = "repository";
    out["directors"] = Json::object();
    for (const auto& d : fs::directory_iterator(path / "director", ec))
      if (d.is_directory(ec)) {
        const std::string device = d.path().filename().string();
        out["directors"][device] = RATCHET_TRY(describe_director(v, "director/" + device + "/"));
      }
    out["image"] = RATCHET_TRY(describe_image(v, "image/"));
    return out;
  }
  out["kind"] = "bundle";
  if (fs::is_directory(path, ec)) {
    v = directory_view(path);
  } else {
    auto index =
        std::make_shared<const bundle::BundleIndex>(RATCHET_TRY(bundle::index_bundle(path, {})));
    out["archive"] = {{"format", index->format},
                      {"compression", index->compression},
                      {"entries", index->entries.size()}};
    v = archive_view(index);
  }
  if (auto info = v.read("bundle.json"))
    if (auto doc = tuf::parse_json(*info, "bundle.json"); doc && doc->is_object()) {
      out["device"] = doc->value("device", "");
      out["created"] = doc->value("created", "");
    }
  out["directors"] = Json::object();
  out["directors"][out.value("device", "")] = RATCHET_TRY(describe_director(v, "director/"));
  out["image"] = RATCHET_TRY(describe_image(v, "image/"));
  return out;
}

std::string describe_text(const Json& info) {
  std::string s;
  if (info["kind"] == "bundle") {
    s += fmt::format("bundle for device {}, created {}", info.value("device", "?"),
                     info.value("created", "?"));
    if (info.contains("archive"))
      s += fmt::format(" ({}, compression {}, {} entries)",
                       info["archive"]["format"].get<std::string>(),
                       info["archive"]["compression"].get<std::string>(),
                       info["archive"]["entries"].get<std::size_t>());
    s += "\n";
  } else {
    s += "repository\n";
  }
  for (const auto& [device, d] : info["directors"].items()) {
    s += fmt::format("Director{}: root v{}, targets v{} (expires {})\n",
                     device.empty() ? "" : " of " + device, d["root_version"].get<std::uint64_t>(),
                     d["targets_version"].get<std::uint64_t>(), d["expires"].get<std::string>());
    for (const auto& [serial, e] : d["ecus"].items())
      s += fmt::format("  ECU {} ({}): {}\n", serial, e["hardware_id"].get<std::string>(),
                       e["target"].get<std::string>());
  }
  const Json& im = info["image"];
  s += fmt::format(
      "Image repository: root v{}, timestamp v{} (expires {}), snapshot v{}, targets v{} (expires "
      "{})\n",
      im["root_version"].get<std::uint64_t>(), im["timestamp_version"].get<std::uint64_t>(),
      im["expires"]["timestamp"].get<std::string>(), im["snapshot_version"].get<std::uint64_t>(),
      im["targets_version"].get<std::uint64_t>(), im["expires"]["targets"].get<std::string>());
  const bool bundle = info["kind"] == "bundle";
  for (const auto& [name, t] : im["targets"].items()) {
    if (bundle && !t["in_bundle"].get<bool>()) continue;
    s += fmt::format(
        "  {}: {}, image {} bytes, payload {} bytes, release counter {}, security "
        "version {}, hardware {}\n",
        name, t["format"].get<std::string>(), t["image_length"].get<std::uint64_t>(),
        t["length"].get<std::uint64_t>(), t["release_counter"].get<std::uint64_t>(),
        t["security_version"].get<std::uint64_t>(), t["hardware_ids"].dump());
  }
  s += "(as the files say, not verified: `ratchet install --dry-run` gives a device's verdict)\n";
  return s;
}

}  // namespace ratchet::repo
