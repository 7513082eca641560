// The fixture of the `ratchet fetch` suites: a Director and an Image repository, each published
// by TufRepository and served by its own Beast server, in every Director layout and dialect.
#pragma once

#include <ctime>

#include <gtest/gtest.h>

#include "repo/tuf_repository.hpp"
#include "tests/support/data.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ratchet::uptane {

using tuf::Json;
using tuf::TufRepository;

struct Variant {
  tuf::Layout director_layout;
  tuf::Dialect dialect;
};

inline std::string variant_name(const ::testing::TestParamInfo<Variant>& info) {
  return std::string(info.param.director_layout == tuf::Layout::TargetsOnly ? "TargetsOnly"
                                                                            : "FullTuf") +
         (info.param.dialect == tuf::Dialect::Tuf ? "Tuf" : "Aktualizr");
}

// {targets-only, full TUF} Director x {TUF, aktualizr} dialect.
inline auto every_variant() {
  return ::testing::Values(Variant{tuf::Layout::TargetsOnly, tuf::Dialect::Tuf},
                           Variant{tuf::Layout::TargetsOnly, tuf::Dialect::Aktualizr},
                           Variant{tuf::Layout::Full, tuf::Dialect::Tuf},
                           Variant{tuf::Layout::Full, tuf::Dialect::Aktualizr});
}

class UptaneFetch : public ::testing::TestWithParam<Variant> {
 protected:
  test::TempDir dir;
  std::optional<TufRepository> director;
  std::optional<TufRepository> image;
  std::unique_ptr<test::HttpServer> director_server;
  std::unique_ptr<test::HttpServer> image_server;
  const std::string firmware = "firmware v2 bytes";

  void SetUp() override {
    const auto now = static_cast<tuf::Seconds>(::time(nullptr));
    director = TufRepository::create(now, tuf::KeyType::Ed25519, false, GetParam().director_layout)
                   .value();
    director->set_dialect(GetParam().dialect);
    image = TufRepository::create(now).value();
    image->set_dialect(GetParam().dialect);
    image->add_target("fw.bin", firmware,
                      Json{{"hardwareIds", Json::array({"board-a"})}, {"releaseCounter", 2}});
    assign("fw.bin", firmware, "ecu-1", "board-a");
    publish();
    director_server = std::make_unique<test::HttpServer>(dir / "director");
    image_server = std::make_unique<test::HttpServer>(dir / "image");
  }

  void assign(const std::string& name, const std::string& content, const std::string& serial,
              const std::string& hw) {
    director->add_target(name, content,
                         Json{{"ecuIdentifiers", Json{{serial, Json{{"hardwareId", hw}}}}}});
  }

  void publish() {
    ASSERT_TRUE(director->publish(dir / "director"));
    ASSERT_TRUE(image->publish(dir / "image"));
  }

  test::ProcessResult fetch(std::vector<std::string> prefix = {},
                            const std::string& serial = "ecu-1", const std::string& hw = "board-a",
                            std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = std::move(prefix);
    for (const std::string& a :
         {std::string(RATCHET_BINARY), std::string("fetch"), std::string("--storage-dir"),
          (dir / "state").string(), std::string("--director-url"), director_server->url(""),
          std::string("--image-url"), image_server->url(""), std::string("--ecu-serial"), serial,
          std::string("--hardware-id"), hw, std::string("--target-dir"), (dir / "out").string()})
      argv.push_back(a);
    argv.insert(argv.end(), extra.begin(), extra.end());
    return test::run_process(argv);
  }

  test::Bytes store_bytes() { return test::read_bytes(dir / "state/data.mdb"); }
  // The trusted metadata, or nothing when no store was ever made.
  std::optional<test::Bytes> store_bytes_or_none() {
    if (!std::filesystem::exists(dir / "state/data.mdb")) return std::nullopt;
    return store_bytes();
  }

  void expect_refused(const std::string& code, const test::Bytes& store_before) {
    auto r = fetch();
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("error: " + code + ": "), std::string::npos) << r.err;
    EXPECT_EQ(store_bytes(), store_before) << "the trusted store changed";
  }
};

}  // namespace ratchet::uptane
