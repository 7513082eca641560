// `ratchet update` over HTTPS with mutual TLS, against Debian's nginx on a loopback port: the
// device trusts only the configured CA and presents its client certificate; nginx serves the
// repositories as plain static files only to a device with a certificate from that CA.
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
    image_url = fmt::format("https://127.0.0.1:{}/image/", port);
    assign("rootfs-v2.img", v2, "primary");
    publish();
  }
  void use_tls(const std::string& ca, bool client_cert) {
    server_extra = "ca_file = \"" + (pki / (ca + ".pem")).string() + "\"\n";
    if (client_cert)
      server_extra += "client_cert = \"" + (pki / "device.pem").string() + "\"\nclient_key = \"" +
                      (pki / "device.key").string() + "\"\n";
    write_config(fmt::format("https://127.0.0.1:{}/director/", port));
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

}  // namespace
}  // namespace ratchet::update
