// `ratchet update` over HTTPS with mutual TLS, against Debian's nginx on a loopback port: the
// device trusts only the configured CA and presents its client certificate; nginx serves the
// repositories as plain static files only to a device with a certificate from that CA.
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tests/agent/update_e2e_fixture.hpp"
#include "tests/support/nginx.hpp"

namespace ratchet::update {
namespace {

namespace fs = std::filesystem;

class UpdateTls : public UpdateE2E {
 protected:
  fs::path pki;
  std::unique_ptr<test::Nginx> nginx;
  unsigned short port = 0;

  bool openssl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = test::run_process(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0;
  }
  // A P-256 key and a certificate for `cn` signed by `ca` (self-signed when ca is empty).
  bool issue(const std::string& name, const std::string& cn, const std::string& ca,
             const std::string& ext = "") {
    const auto p = [&](const std::string& f) { return (pki / f).string(); };
    if (!openssl({"ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", p(name + ".key")}))
      return false;
    if (ca.empty())
      return openssl({"req", "-x509", "-new", "-key", p(name + ".key"), "-subj", "/CN=" + cn,
                      "-days", "2", "-out", p(name + ".pem")});
    if (!openssl({"req", "-new", "-key", p(name + ".key"), "-subj", "/CN=" + cn, "-out",
                  p(name + ".csr")}))
      return false;
    std::ofstream(pki / (name + ".ext")) << ext;
    return openssl({"x509", "-req", "-in", p(name + ".csr"), "-CA", p(ca + ".pem"), "-CAkey",
                    p(ca + ".key"), "-CAcreateserial", "-days", "2", "-extfile", p(name + ".ext"),
                    "-out", p(name + ".pem")});
  }

  void SetUp() override {
    UpdateE2E::SetUp();
    if (!test::Nginx::available())
      GTEST_SKIP() << "nginx is not installed (scripts/setup.sh installs it)";
    pki = dir / "pki";
    fs::create_directories(pki);
    ASSERT_TRUE(issue("ca", "ratchet test CA", ""));
    ASSERT_TRUE(issue("other-ca", "someone else's CA", ""));
    ASSERT_TRUE(issue("server", "127.0.0.1", "ca", "subjectAltName=IP:127.0.0.1\n"));
    ASSERT_TRUE(issue("device", "dev-1", "ca", "extendedKeyUsage=clientAuth\n"));
    ASSERT_TRUE(issue("device-2", "dev-2", "ca", "extendedKeyUsage=clientAuth\n"));
    start_nginx();
    if (HasFatalFailure()) return;
    image_url = fmt::format("https://127.0.0.1:{}/image/", port);
    assign("rootfs-v2.img", v2, "primary");
    publish();
  }
  virtual void start_nginx() {
    nginx = std::make_unique<test::Nginx>(dir / "nginx", dir.path(),
                                          fmt::format(R"(
    ssl_certificate {0}/server.pem;
    ssl_certificate_key {0}/server.key;
    ssl_client_certificate {0}/ca.pem;
    ssl_verify_client on;
    location /image/ {{ }}
    location /director/ {{ }}
    location / {{ return 404; }})",
                                                      pki.string()),
                                          true);
    port = nginx->port();
  }
  void use_tls(const std::string& ca, bool client_cert,
               const std::string& director = "/director/") {
    server_extra = "ca_file = \"" + (pki / (ca + ".pem")).string() + "\"\n";
    if (client_cert)
      server_extra += "client_cert = \"" + (pki / "device.pem").string() + "\"\nclient_key = \"" +
                      (pki / "device.key").string() + "\"\n";
    write_config(fmt::format("https://127.0.0.1:{}{}", port, director));
  }
};

TEST_F(UpdateTls, MutualTlsWithTheConfiguredCaInstalls) {
  use_tls("ca", true);
  expect_exit(update(), 10);
  EXPECT_EQ(slot_b_image(), v2);
}

TEST_F(UpdateTls, NoClientCertificateIsRefusedByTheServer) {
  const auto b = test::read_bytes(dir / "slot_b.img");
  use_tls("ca", false);
  expect_exit(update(), 20);  // the server says no (HTTP 400): nothing installed, retry later
  EXPECT_EQ(test::read_bytes(dir / "slot_b.img"), b);
  EXPECT_FALSE(trial().has_value());
}

TEST_F(UpdateTls, AServerFromAnotherCaIsNotTalkedTo) {
  const auto b = test::read_bytes(dir / "slot_b.img");
  use_tls("other-ca", true);
  const auto r = update();
  expect_exit(r, 20);
  EXPECT_NE(r.err.find("certificate"), std::string::npos) << r.err;
  EXPECT_EQ(test::read_bytes(dir / "slot_b.img"), b);
  EXPECT_FALSE(trial().has_value());
}

// docs/nginx/ratchet.conf, as shipped (only its paths and port replaced), in front of a REPO
// layout: a device updates, its manifest is delivered to REPO/manifests/<device>.json, and a
// device can neither write another device's manifest nor read another device's Director.
class NginxFleet : public UpdateTls {
 protected:
  fs::path repo;
  void start_nginx() override {
    repo = dir / "repo";
    fs::create_directories(repo / "director");
    fs::create_directories(repo / "manifests/.tmp");
    fs::create_directories(repo / "private");
    std::ofstream(repo / "private/secret") << "never served";
    fs::create_directory_symlink(dir / "image", repo / "image");
    fs::create_directory_symlink(dir / "director", repo / "director/dev-1");
    std::ifstream in(std::string(RATCHET_SOURCE_DIR) + "/docs/nginx/ratchet.conf");
    std::stringstream text;
    text << in.rdbuf();
    std::string conf = text.str();
    port = test::free_loopback_port();
    const auto replace_all = [&](const std::string& from, const std::string& to) {
      ASSERT_NE(conf.find(from), std::string::npos) << from;
      for (auto at = conf.find(from); at != std::string::npos; at = conf.find(from, at + to.size()))
        conf.replace(at, from.size(), to);
    };
    replace_all("/srv/ratchet", repo.string());
    replace_all("/etc/ratchet/pki", pki.string());
    replace_all("listen 443 ssl;", fmt::format("listen 127.0.0.1:{} ssl;", port));
    nginx = std::make_unique<test::Nginx>(dir / "nginx", conf, port);
  }
  // curl as device `who` (its certificate): the HTTP status.
  std::string curl(const std::string& who, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"curl",     "-s",
                                  "-o",       "/dev/null",
                                  "-w",       "%{http_code}",
                                  "--cacert", (pki / "ca.pem").string(),
                                  "--cert",   (pki / (who + ".pem")).string(),
                                  "--key",    (pki / (who + ".key")).string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_process(argv).out;
  }
  std::string url(const std::string& path) const {
    return fmt::format("https://127.0.0.1:{}{}", port, path);
  }
};

TEST_F(NginxFleet, UpdatesDeliverTheManifestAndEachDeviceReachesOnlyItsOwn) {
  use_tls("ca", true, "/director/dev-1/");
  const auto r = update();
  expect_exit(r, 10);
  EXPECT_EQ(r.err.find("manifest was not delivered"), std::string::npos) << r.err;
  EXPECT_EQ(slot_b_image(), v2);
  ASSERT_TRUE(fs::exists(repo / "manifests/dev-1.json"));
  const Json manifest = Json::parse(test::read_bytes(repo / "manifests/dev-1.json"));
  EXPECT_EQ(manifest["signed"]["vin"], "dev-1");

  // dev-2's certificate: not dev-1's manifest, not dev-1's Director; its own path is its own.
  const auto before = test::read_bytes(repo / "manifests/dev-1.json");
  EXPECT_EQ(curl("device-2", {"-T", "-", url("/director/dev-1/manifest")}), "403");
  EXPECT_EQ(test::read_bytes(repo / "manifests/dev-1.json"), before);
  EXPECT_EQ(curl("device-2", {url("/director/dev-1/targets.json")}), "403");
  EXPECT_EQ(curl("device", {url("/director/dev-1/targets.json")}), "200");
  EXPECT_EQ(curl("device-2", {url("/image/timestamp.json")}), "200");
  // Manifests are written, never read back; nothing but the repositories is served.
  EXPECT_EQ(curl("device", {url("/director/dev-1/manifest")}), "403");
  EXPECT_EQ(curl("device", {url("/private/secret")}), "404");
  EXPECT_EQ(curl("device", {url("/manifests/dev-1.json")}), "404");
  EXPECT_EQ(curl("device", {"-X", "PUT", "--data-binary", "x", url("/image/timestamp.json")}),
            "403");
  // At most 1 MiB.
  std::ofstream(dir / "big.json") << std::string((1u << 20) + 1, 'x');
  EXPECT_EQ(curl("device", {"-T", (dir / "big.json").string(), url("/director/dev-1/manifest")}),
            "413");
  EXPECT_EQ(test::read_bytes(repo / "manifests/dev-1.json"), before);
}

}  // namespace
}  // namespace ratchet::update
