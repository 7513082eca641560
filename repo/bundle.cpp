#include "repo/bundle.hpp"

#include <algorithm>
#include <ctime>
#include <set>

#include "repo/repo_files.hpp"
#include "repo/ustar.hpp"
#include "agent/tuf/metadata.hpp"
#include "common/file.hpp"

namespace ratchet::repo {
namespace {

using tuf::Json;

constexpr std::uint64_t kMaxTargets = 16u << 20;

// Every regular file under `dir`, as bundle entries below `prefix`.
Status add_tree(const std::filesystem::path& dir, const std::string& prefix,
                std::vector<BundleEntry>& out) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec))
      out.push_back({prefix + "/" + std::filesystem::relative(it->path(), dir, ec).generic_string(),
                     it->path(),
                     {}});
  if (ec) return fail(errno_error(ec.value(), dir.string()));
  return {};
}

// The target files a Director targets document names: each payload, and its chunk list.
Status add_assigned_targets(const RepoPaths& paths, const Json& director_targets,
                            std::vector<BundleEntry>& out) {
  const auto add = [&](const std::string& name, const Json& sha256) -> Status {
    if (!sha256.is_string())
      return fail(Code::BadMetadata, "Director target '{}' has no SHA-256", name);
    const auto file = published_target(paths.image(), name, sha256.get<std::string>());
    if (!std::filesystem::is_regular_file(file))
      return fail(Code::NotFound, "{}: the Image repository does not hold target '{}'",
                  file.string(), name);
    out.push_back(
        {"image/" + std::filesystem::relative(file, paths.image()).generic_string(), file, {}});
    return {};
  };
  for (const auto& [name, entry] : director_targets.items()) {
    RATCHET_TRY(add(name, entry["hashes"].value("sha256", Json())));
    const Json chunks = entry.value("custom", Json::object())
                            .value("ratchet", Json::object())
                            .value("chunks", Json());
    if (chunks.is_object() && chunks.contains("name") && chunks["name"].is_string())
      RATCHET_TRY(add(chunks["name"].get<std::string>(), chunks.value("sha256", Json())));
  }
  return {};
}

// The directories the entries need, parents first.
std::vector<std::string> directories_of(const std::vector<BundleEntry>& entries) {
  std::set<std::string> dirs;
  for (const auto& e : entries)
    for (auto slash = e.path.find('/'); slash != std::string::npos;
         slash = e.path.find('/', slash + 1))
      dirs.insert(e.path.substr(0, slash));
  return {dirs.begin(), dirs.end()};
}

Status write_tree(const std::vector<BundleEntry>& entries, const std::filesystem::path& out) {
  const auto part = std::filesystem::path(out.string() + ".part");
  std::error_code ec;
  std::filesystem::remove_all(part, ec);
  const auto write_all_entries = [&]() -> Status {
    for (const auto& e : entries) {
      const auto dest = part / e.path;
      std::filesystem::create_directories(dest.parent_path(), ec);
      if (e.source.empty())
        RATCHET_TRY(write_file_atomic(dest, e.content));
      else
        RATCHET_TRY(place_file(e.source, dest, Placement::Copy));
    }
    for (const auto& d : directories_of(entries))
      RATCHET_TRY(sync_directory(part / d));
    std::filesystem::rename(part, out, ec);
    if (ec) return fail(errno_error(ec.value(), out.string()));
    return sync_directory(out.parent_path().empty() ? "." : out.parent_path());
  };
  auto s = write_all_entries();
  if (!s) std::filesystem::remove_all(part, ec);
  return s;
}

Status write_tar(const std::vector<BundleEntry>& entries, const std::filesystem::path& out,
                 std::int64_t now) {
  auto tar = RATCHET_TRY(UstarWriter::create(out, now));
  for (const auto& d : directories_of(entries))
    RATCHET_TRY(tar->add_directory(d));
  for (const auto& e : entries) {
    if (e.source.empty())
      RATCHET_TRY(tar->add_bytes(e.path, e.content));
    else
      RATCHET_TRY(tar->add_file(e.path, e.source));
  }
  return tar->finish();
}

}  // namespace

Result<std::vector<BundleEntry>> plan_bundle(const RepoPaths& paths, const std::string& device,
                                             const std::filesystem::path& director) {
  RATCHET_TRY(check_device_id(device));
  const auto targets_path = director / "targets.json";
  if (!std::filesystem::is_regular_file(targets_path))
    return fail(Code::NotFound, "no Director repository for device '{}' ({} is missing)", device,
                targets_path.string());
  std::vector<BundleEntry> entries;
  RATCHET_TRY(add_tree(director, "director", entries));
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(paths.image(), ec))
    if (f.is_regular_file(ec))
      entries.push_back({"image/" + f.path().filename().string(), f.path(), {}});
  if (ec) return fail(errno_error(ec.value(), paths.image().string()));

  const std::string text = RATCHET_TRY(read_file(targets_path, kMaxTargets));
  const Json doc = RATCHET_TRY(tuf::parse_json(text, targets_path.string()));
  if (!doc.contains("signed") || !doc["signed"].contains("targets") ||
      !doc["signed"]["targets"].is_object())
    return fail(Code::BadMetadata, "{}: no signed.targets", targets_path.string());
  RATCHET_TRY(add_assigned_targets(paths, doc["signed"]["targets"], entries));

  const Json info{{"device", device},
                  {"created", tuf::format_time(static_cast<tuf::Seconds>(std::time(nullptr)))}};
  entries.push_back({"bundle.json", {}, info.dump(1) + "\n"});
  std::sort(entries.begin(), entries.end(),
            [](const BundleEntry& a, const BundleEntry& b) { return a.path < b.path; });
  entries.erase(
      std::unique(entries.begin(), entries.end(),
                  [](const BundleEntry& a, const BundleEntry& b) { return a.path == b.path; }),
      entries.end());
  return entries;
}

Result<BundleSummary> write_bundle(const std::filesystem::path& root, const std::string& device,
                                   const std::filesystem::path& out,
                                   const std::vector<Assignment>& assignments) {
  RATCHET_TRY(check_device_id(device));
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(out, ec)))
    return fail(Code::InvalidArgument, "{}: already exists", out.string());
  // Holding the lock keeps a publish from changing the files while they are copied.
  auto repo = RATCHET_TRY(OperatorRepo::open(root));
  BundleSummary summary;
  std::filesystem::path director_dir = repo.paths().director(device);
  const auto scratch = repo.paths().scratch() / ("bundle-director-" + device);
  std::filesystem::remove_all(scratch, ec);
  if (!assignments.empty()) {
    const Json targets = RATCHET_TRY(director_targets(repo, assignments));
    tuf::TufRepository* director = RATCHET_TRY(repo.director(device, true));
    const Json online = director->signed_part("targets")["targets"];
    director->signed_part("targets")["targets"] = targets;
    director->bump("targets");
    repo.refresh_expiry(*director, {"targets", "snapshot", "timestamp"});
    RATCHET_TRY_CTX(director->publish(scratch), scratch.string());
    director->signed_part("targets")["targets"] = online;
    RATCHET_TRY(repo.save_director(device));
    director_dir = scratch;
    summary.own_director_targets = true;
  }
  const auto cleanup = [&] { std::filesystem::remove_all(scratch, ec); };
  auto entries = plan_bundle(repo.paths(), device, director_dir);
  if (!entries) {
    cleanup();
    return fail(entries.error());
  }
  const auto director_targets_doc = read_file(director_dir / "targets.json", kMaxTargets);
  if (director_targets_doc) {
    if (const auto doc = tuf::parse_json(*director_targets_doc, "targets.json")) {
      summary.director_version = (*doc)["signed"].value("version", std::uint64_t{0});
      for (const auto& [name, entry] : (*doc)["signed"]["targets"].items())
        summary.targets.push_back(name);
    }
  }
  for (const auto& e : *entries) {
    ++summary.files;
    summary.bytes += e.source.empty() ? e.content.size() : std::filesystem::file_size(e.source, ec);
  }
  const auto written = out.extension() == ".tar"
                           ? write_tar(*entries, out, static_cast<std::int64_t>(std::time(nullptr)))
                           : write_tree(*entries, out);
  cleanup();
  if (!written) return fail(written.error());
  return summary;
}

}  // namespace ratchet::repo
