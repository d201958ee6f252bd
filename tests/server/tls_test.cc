// TLS and mutual TLS on a real catenad's gRPC and HTTP ports, with certificates made at test time by the openssl
// CLI; gRPC clients use the C++ SDK's TLS options, HTTP clients the curl CLI: a client trusting the CA connects, a
// plaintext client cannot, and with require_client_cert only clients holding a certificate signed by the
// configured client CA get through.
#include <catch2/catch.hpp>
#include <fstream>

#include "catena/client.h"
#include "tests/server/auth_test_support.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace catena::testing {
namespace {

namespace fs = std::filesystem;

void OpenSsl(std::vector<std::string> args) {
  args.insert(args.begin(), "/usr/bin/openssl");
  const RunResult result = RunToCompletion(args, std::chrono::seconds(60));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
}

// A CA "<name>-ca" in `dir`: <name>-ca.pem and <name>-ca.key.
void MakeCa(const fs::path& dir, const std::string& name) {
  OpenSsl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=" + name + "-ca", "-keyout",
           (dir / (name + "-ca.key")).string(), "-out", (dir / (name + "-ca.pem")).string()});
}

// <name>.pem/<name>.key signed by CA `ca`, for localhost and 127.0.0.1.
void MakeSigned(const fs::path& dir, const std::string& ca, const std::string& name) {
  const fs::path ext = dir / (name + ".ext");
  std::ofstream(ext) << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  OpenSsl({"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", (dir / (name + ".key")).string(),
           "-out", (dir / (name + ".csr")).string()});
  OpenSsl({"x509", "-req", "-in", (dir / (name + ".csr")).string(), "-CA", (dir / (ca + "-ca.pem")).string(), "-CAkey",
           (dir / (ca + "-ca.key")).string(), "-CAcreateserial", "-days", "1", "-extfile", ext.string(), "-out",
           (dir / (name + ".pem")).string()});
}

// Pings through the C++ SDK with the given TLS files ("" = none; no CA at all = plaintext).
absl::Status PingWith(const std::string& address, const fs::path& dir, const std::string& ca,
                      const std::string& cert = "", const std::string& token = "") {
  sdk::ClientOptions options{.address = address, .timeout = absl::Seconds(5), .token = token};
  if (!ca.empty()) {
    auto tls = sdk::TlsOptionsFromFiles((dir / ca).string(), cert.empty() ? "" : (dir / (cert + ".pem")).string(),
                                        cert.empty() ? "" : (dir / (cert + ".key")).string());
    if (!tls.ok()) return tls.status();
    options.tls = *tls;
  }
  auto client = sdk::Client::Create(options);
  if (!client.ok()) return client.status();
  return (*client)->Ping("over tls").status();
}

// `curl` over HTTPS to `target` on `address`; returns the HTTP status, or 0 when the request failed (TLS refused).
int CurlStatus(const std::string& address, const std::string& target, const fs::path& dir,
               std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"/usr/bin/curl", "-sS", "--max-time",   "10",       "-o",
                                   "/dev/null",     "-w",  "%{http_code}", "--cacert", (dir / "main-ca.pem").string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("https://" + address + target);
  const RunResult result = RunToCompletion(argv, std::chrono::seconds(30));
  if (result.exit_code != 0) return 0;
  return std::stoi(result.out);
}

struct Certificates {
  TempDir dir{"tls-certs"};
  Certificates() {
    MakeCa(dir.path(), "main");
    MakeCa(dir.path(), "other");
    MakeSigned(dir.path(), "main", "server");
    MakeSigned(dir.path(), "main", "client");
    MakeSigned(dir.path(), "other", "stranger");
  }
  std::string File(const std::string& name) const { return (dir.path() / name).string(); }
};

TEST_CASE("the gRPC port serves TLS to clients that trust its CA and refuses plaintext", "[integration]") {
  const Certificates certs;
  CatenadProcess catenad({"--set", "server.tls.cert_file=" + certs.File("server.pem"), "--set",
                          "server.tls.key_file=" + certs.File("server.key")});
  CHECK(PingWith(catenad.grpc_address(), certs.dir.path(), "main-ca.pem").ok());
  CHECK_FALSE(PingWith(catenad.grpc_address(), certs.dir.path(), "").ok());
  // A client that trusts another CA does not accept the server.
  CHECK_FALSE(PingWith(catenad.grpc_address(), certs.dir.path(), "other-ca.pem").ok());
  // The HTTP port serves HTTPS with the same certificate, and plaintext HTTP gets no answer.
  CHECK(CurlStatus(catenad.http_address(), "/healthz", certs.dir.path()) == 200);
  const RunResult plain =
      RunToCompletion({"/usr/bin/curl", "-sS", "--max-time", "10", "http://" + catenad.http_address() + "/healthz"},
                      std::chrono::seconds(30));
  CHECK(plain.exit_code != 0);
}

TEST_CASE("mutual TLS admits only clients with a certificate signed by the client CA", "[integration]") {
  const Certificates certs;
  CatenadProcess catenad({"--set", "server.tls.cert_file=" + certs.File("server.pem"), "--set",
                          "server.tls.key_file=" + certs.File("server.key"), "--set",
                          "server.tls.client_ca_file=" + certs.File("main-ca.pem"), "--set",
                          "server.tls.require_client_cert=true"});
  const absl::Status with_cert = PingWith(catenad.grpc_address(), certs.dir.path(), "main-ca.pem", "client");
  INFO(with_cert.ToString());
  CHECK(with_cert.ok());
  CHECK_FALSE(PingWith(catenad.grpc_address(), certs.dir.path(), "main-ca.pem").ok());
  CHECK_FALSE(PingWith(catenad.grpc_address(), certs.dir.path(), "main-ca.pem", "stranger").ok());
  const auto client = [&](const std::string& name) {
    return std::vector<std::string>{"--cert", certs.File(name + ".pem"), "--key", certs.File(name + ".key")};
  };
  CHECK(CurlStatus(catenad.http_address(), "/healthz", certs.dir.path(), client("client")) == 200);
  CHECK(CurlStatus(catenad.http_address(), "/healthz", certs.dir.path()) == 0);
  CHECK(CurlStatus(catenad.http_address(), "/healthz", certs.dir.path(), client("stranger")) == 0);
}

TEST_CASE("TLS and API keys work together", "[integration]") {
  const Certificates certs;
  const TempDir data("tls-auth");
  const TestKeys keys = WriteTestKeys(data.path());
  auto catenad = StartSecured(data.path(), {"--set", "server.tls.cert_file=" + certs.File("server.pem"), "--set",
                                            "server.tls.key_file=" + certs.File("server.key")});
  CHECK(PingWith(catenad->grpc_address(), certs.dir.path(), "main-ca.pem", "", keys.alpha).ok());
  CHECK(PingWith(catenad->grpc_address(), certs.dir.path(), "main-ca.pem").code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(CurlStatus(catenad->http_address(), "/v1/models", certs.dir.path()) == 401);
  CHECK(CurlStatus(catenad->http_address(), "/v1/models", certs.dir.path(),
                   {"-H", "Authorization: Bearer " + keys.alpha}) == 200);
}

TEST_CASE("catenad refuses to start with an unreadable certificate", "[integration]") {
  const TempDir dir("tls-missing");
  RunResult result = RunToCompletion(
      {BuiltProgram("catenad"), "--grpc-port", "0", "--http-port", "0", "--data-dir", dir.path().string(), "--set",
       "server.tls.cert_file=/nonexistent/cert.pem", "--set", "server.tls.key_file=/nonexistent/key.pem"},
      std::chrono::seconds(30));
  CHECK(result.exit_code != 0);
  CHECK_THAT(result.err, Catch::Contains("server.tls.cert_file") && Catch::Contains("/nonexistent/cert.pem"));
}

}  // namespace
}  // namespace catena::testing
