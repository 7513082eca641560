// The device configuration: what it accepts, and a clear error naming the key for what it does not.
#include "agent/config/config.hpp"

#include <gtest/gtest.h>

#include "common/file.hpp"

namespace ratchet::config {
namespace {

const std::string kValid = R"(
[device]
id = "dev-1"
storage_dir = "/var/lib/ratchet"

[server]
director_url = "https://director.example/director/dev-1/"
image_url = "https://images.example/image/"
ca_file = "/etc/ratchet/ca.pem"

[anchor]
tcti = "device:/dev/tpmrm0"

[boot]
watchdog = "/dev/watchdog"
health_checks = ["/usr/libexec/app-selftest", "true"]

[limits]
min_rate = 2048

[[ecu]]
serial = "primary"
hardware_id = "board-a"
slot_a = "/dev/mmcblk0p2"
slot_b = "/dev/mmcblk0p3"

[[ecu]]
serial = "mcu"
hardware_id = "mcu-x"
kind = "command"
path = "/var/lib/ratchet/mcu.bin"
command = "flash-mcu"
)";

Result<Config> parse(const std::string& text) {
  return parse_config(text, "ratchet.toml");
}

void expect_bad(const std::string& text, const std::string& words) {
  auto c = parse(text);
  ASSERT_FALSE(c) << "accepted";
  EXPECT_EQ(c.error().code(), Code::BadConfig);
  EXPECT_NE(c.error().message().find(words), std::string::npos) << c.error().message();
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(Config, ReadsEverySection) {
  const auto c = parse(kValid).value();
  EXPECT_EQ(c.device_id, "dev-1");
  EXPECT_EQ(c.tcti, "device:/dev/tpmrm0");
  EXPECT_EQ(c.health_checks.size(), 2U);
  EXPECT_EQ(c.min_rate, 2048U);
  ASSERT_EQ(c.ecus.size(), 2U);
  EXPECT_EQ(c.primary()->serial, "primary");
  EXPECT_EQ(c.ecus[1].kind, EcuKind::Command);
  EXPECT_EQ(c.fw_env_config, "/etc/fw_env.config");  // default
}

TEST(Config, TheDocumentedExampleIsValid) {
  const auto c =
      load_config(std::filesystem::path(RATCHET_SOURCE_DIR) / "docs/ratchet.toml.example");
  ASSERT_TRUE(c) << c.error().to_string();
  const Config defaults;
  EXPECT_EQ(c->max_image_size, defaults.max_image_size);  // the example shows the defaults
  EXPECT_EQ(c->checkpoint_interval, defaults.checkpoint_interval);
  EXPECT_EQ(c->retries, defaults.retries);
  EXPECT_EQ(c->watchdog_timeout, defaults.watchdog_timeout);
  EXPECT_EQ(c->storage_dir, defaults.storage_dir);
  ASSERT_EQ(c->ecus.size(), 2U);
  EXPECT_EQ(c->primary()->slot_b, "/dev/mmcblk0p3");
  // A blank environment is restored from the board's defaults, so the example sets them.
  EXPECT_EQ(c->env_defaults, "/etc/u-boot-initial-env");
}

// The confirmation unit runs whatever environment the configuration names: it assumes no path.
TEST(Config, TheConfirmUnitAssumesNoEnvironmentPath) {
  const auto unit = read_file(
      std::filesystem::path(RATCHET_SOURCE_DIR) / "systemd/ratchet-confirm.service", 1u << 20);
  ASSERT_TRUE(unit);
  EXPECT_EQ(unit->find("fw_env.config"), std::string::npos) << *unit;
  EXPECT_NE(unit->find("--config /etc/ratchet/ratchet.toml"), std::string::npos);
}

TEST(Config, UnknownKeysAreNamed) {
  expect_bad(replace(kValid, "ca_file", "ca_fil"), "server.ca_fil is not a known setting");
  expect_bad(kValid + "\n[extra]\nx = 1\n", "extra is not a known setting");
  expect_bad(replace(kValid, "command = \"flash-mcu\"", "command = \"f\"\nspeed = 3"),
             "ecu[1].speed is not a known setting");
}

TEST(Config, BadValuesAreNamed) {
  expect_bad(replace(kValid, "min_rate = 2048", "min_rate = 2048\ncheckpoint_interval = 4096"),
             "limits.checkpoint_interval must be at least");
  expect_bad(replace(kValid, "min_rate = 2048", "min_rate = -1"), "limits.min_rate");
  expect_bad(replace(kValid, "min_rate = 2048", "min_rate = \"fast\""), "limits.min_rate");
  expect_bad(replace(kValid, "kind = \"command\"", "kind = \"magic\""), "kind must be");
  expect_bad(replace(kValid, "slot_b = \"/dev/mmcblk0p3\"", ""), "needs slot_a and slot_b");
  expect_bad(replace(kValid, "serial = \"mcu\"", "serial = \"primary\""), "appears twice");
  expect_bad(replace(kValid, "tcti = \"device:/dev/tpmrm0\"", ""), "anchor: set exactly one");
  expect_bad(replace(kValid, "id = \"dev-1\"", ""), "device.id is required");
  expect_bad("[device\nid=1", "ratchet.toml:");  // a TOML syntax error, with its position
}

}  // namespace
}  // namespace ratchet::config
