// Outbound calls only to allowed places (issue 17, docs/security.md): a
// production crdex-server (no laptop mode) refuses to call internal addresses
// named in a request body, each with an OperationOutcome that says why; the
// one loopback address:port it was configured to allow answers.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <memory>

#include <openssl/evp.h>

#include "loopback_jwks_server.hpp"
#include "support/fixtures.hpp"
#include "support/destinations_file.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

const std::string kOutboundBulkToken = "bulk-operator-token-0123456789abcdef";

std::string outbound_sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  BOOST_REQUIRE(EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) == 1);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) hex += {kDigits[digest[i] >> 4], kDigits[digest[i] & 15]};
  return hex;
}

struct OutboundServer {
  test::TempDir dir;
  test::LoopbackJwksServer allowed;  // the one internal place crdex may call
  std::string allowed_port;
  std::string other_port;
  std::unique_ptr<test::ServerProcess> server;

  OutboundServer() {
    const std::string base = allowed.url("");
    allowed_port = base.substr(base.rfind(':') + 1);
    other_port = std::to_string(std::stoi(allowed_port) == 65535 ? 65534 : std::stoi(allowed_port) + 1);
    std::ofstream(dir.path() / "operators.json")
        << R"({"operators":[{"name":"ops","token_sha256":")" << outbound_sha256_hex(kOutboundBulkToken)
        << R"(","roles":["bulk","attachments"]}]})";
    // Destinations an operator configured by mistake at internal addresses:
    // configuration names them, the guard still refuses them.
    auto args = test::destinations_args(dir.path(), {{"meta", "https://169.254.169.254/fhir"},
                                                     {"payer-meta", "https://169.254.169.254/payer"},
                                                     {"other-loopback", "http://127.0.0.1:" + other_port + "/fhir"},
                                                     {"v6-loopback", "http://[::1]:" + allowed_port + "/fhir"},
                                                     {"localhost", "https://localhost:" + other_port + "/fhir"},
                                                     {"private", "https://10.0.0.5/fhir"},
                                                     {"ula", "https://[fd00::1]/fhir"},
                                                     {"allowed", "http://127.0.0.1:" + allowed_port + "/fhir"}});
    args.insert(args.end(), {"--operators", (dir.path() / "operators.json").string(), "--outbound-allow-address",
                             "127.0.0.1:" + allowed_port});
    server = std::make_unique<test::ServerProcess>(args, std::string(), true, std::string(), true);
  }

  test::HttpResult start_export(const std::string& member, const std::string& value) const {
    return test::http_request("POST", server->base_url() + "/bulk-exports",
                              R"({")" + member + R"(":")" + value + R"(","group":"g1"})", "application/json",
                              {"Authorization: Bearer " + kOutboundBulkToken});
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(server_outbound_policy, OutboundServer)

// Issue 17, point 2: a request names a configured destination, never a URL of
// its own: every URL of the SSRF list in a body is refused before any traffic.
BOOST_AUTO_TEST_CASE(urls_in_a_request_that_no_destination_holds_are_refused_with_an_outcome) {
  for (const std::string& url : std::vector<std::string>{"https://169.254.169.254/latest/meta-data", "http://169.254.169.254/latest/meta-data",
                                "http://127.0.0.1:" + allowed_port + "/other", "http://[::1]:" + other_port + "/fhir",
                                "https://localhost/fhir", "https://10.0.0.5/other", "file:///etc/passwd",
                                "gopher://127.0.0.1:70/fhir", "http://fhir.example.org/fhir",
                                "http://127.0.0.1:" + allowed_port + "/fhir/../admin",
                                "http://127.0.0.1:" + allowed_port + "@10.0.0.5/fhir"}) {
    const auto answer = start_export("fhirServer", url);
    BOOST_TEST(answer.status == 400, url << ": " << answer.body);
    BOOST_TEST(answer.body.find("\"resourceType\":\"OperationOutcome\"") != std::string::npos, url);
    BOOST_TEST(answer.body.find("is not under a configured destination") != std::string::npos, url << ": " << answer.body);
  }
  BOOST_TEST(allowed.total_requests() == 0);
}

// Configured destinations at internal addresses still pass the outbound
// guard: refused, each with why, unless --outbound-allow-address names them.
BOOST_AUTO_TEST_CASE(internal_destinations_are_refused_with_an_outcome_unless_allowed) {
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"meta", "link-local"},     {"other-loopback", "loopback"}, {"v6-loopback", "loopback"},
      {"localhost", "localhost"}, {"private", "private"},         {"ula", "unique-local"},
  };
  for (const auto& [name, why] : refused) {
    const auto answer = start_export("destination", name);
    BOOST_TEST(answer.status == 400, name << ": " << answer.body);
    BOOST_TEST(answer.body.find("\"resourceType\":\"OperationOutcome\"") != std::string::npos, name);
    BOOST_TEST(answer.body.find(why) != std::string::npos, name << ": " << answer.body);
  }
  // The configured and allowed address:port is called (the job starts; it fails later on the stub's 404),
  // by name or by a URL under it.
  const auto accepted = start_export("destination", "allowed");
  BOOST_TEST(accepted.status == 202, accepted.body);
  const auto by_url = start_export("fhirServer", "http://127.0.0.1:" + allowed_port + "/fhir/");
  BOOST_TEST(by_url.status == 202, by_url.body);
}

BOOST_AUTO_TEST_CASE(a_destination_that_is_not_http_stops_start_up) {
  test::TempDir other;
  auto args = test::destinations_args(other.path(), {{"passwd", "file:///etc/passwd"}});
  test::ServerProcess refused(args, std::string(), false);
  const auto exit = refused.wait_for_exit();
  BOOST_TEST((exit.exited && exit.code == 2));
  BOOST_TEST(refused.stderr_text().find("--destinations") != std::string::npos, refused.stderr_text());
  BOOST_TEST(refused.stderr_text().find("http(s) base URL") != std::string::npos, refused.stderr_text());
}

BOOST_AUTO_TEST_CASE(the_outbox_refuses_an_internal_payer_url) {
  const auto answer = test::http_request(
      "POST", server->base_url() + "/attachments/outbox",
      R"({"payerUrl":"https://169.254.169.254/payer/$submit-attachment","parameters":)" +
          test::read_fixture("cdex-ig/cdex-parameters-example1.json") + "}",
      "application/json", {"Authorization: Bearer " + kOutboundBulkToken});
  BOOST_TEST(answer.status >= 400, answer.body);
  BOOST_TEST(answer.status < 500, answer.body);
  BOOST_TEST(answer.body.find("link-local") != std::string::npos, answer.body);
}

BOOST_AUTO_TEST_SUITE_END()
