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
  std::unique_ptr<test::ServerProcess> server;

  OutboundServer() {
    const std::string base = allowed.url("");
    allowed_port = base.substr(base.rfind(':') + 1);
    std::ofstream(dir.path() / "operators.json")
        << R"({"operators":[{"name":"ops","token_sha256":")" << outbound_sha256_hex(kOutboundBulkToken)
        << R"(","roles":["bulk","attachments"]}]})";
    server = std::make_unique<test::ServerProcess>(
        std::vector<std::string>{"--operators", (dir.path() / "operators.json").string(), "--outbound-allow-address",
                                 "127.0.0.1:" + allowed_port},
        std::string(), true, std::string(), true);
  }

  test::HttpResult start_export(const std::string& fhir_server) const {
    return test::http_request("POST", server->base_url() + "/bulk-exports",
                              R"({"fhirServer":")" + fhir_server + R"(","group":"g1"})", "application/json",
                              {"Authorization: Bearer " + kOutboundBulkToken});
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(server_outbound_policy, OutboundServer)

BOOST_AUTO_TEST_CASE(internal_and_non_http_destinations_in_a_request_are_refused_with_an_outcome) {
  const int other_port = std::stoi(allowed_port) == 65535 ? 65534 : std::stoi(allowed_port) + 1;
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"https://169.254.169.254/fhir", "link-local"},
      {"http://169.254.169.254/latest/meta-data", "link-local"},
      {"http://127.0.0.1:" + std::to_string(other_port) + "/fhir", "loopback"},
      {"http://[::1]:" + allowed_port + "/fhir", "loopback"},
      {"https://localhost:" + std::to_string(other_port) + "/fhir", "localhost"},
      {"https://10.0.0.5/fhir", "private"},
      {"https://[fd00::1]/fhir", "unique-local"},
      {"file:///etc/passwd", "not an http(s) URL"},
      {"gopher://127.0.0.1:70/fhir", "not an http(s) URL"},
      {"http://fhir.example.org/fhir", "plain http"},
  };
  for (const auto& [url, why] : refused) {
    const auto answer = start_export(url);
    BOOST_TEST(answer.status == 400, url << ": " << answer.body);
    BOOST_TEST(answer.body.find("\"resourceType\":\"OperationOutcome\"") != std::string::npos, url);
    BOOST_TEST(answer.body.find(why) != std::string::npos, url << ": " << answer.body);
  }
  // The configured address:port is allowed (the job starts; it fails later on the stub's 404).
  const auto accepted = start_export("http://127.0.0.1:" + allowed_port + "/fhir");
  BOOST_TEST(accepted.status == 202, accepted.body);
}

BOOST_AUTO_TEST_CASE(the_outbox_refuses_an_internal_payer_url) {
  const auto answer = test::http_request(
      "POST", server->base_url() + "/attachments/outbox",
      R"({"payerUrl":"https://169.254.169.254/$submit-attachment","parameters":)" +
          test::read_fixture("cdex-ig/cdex-parameters-example1.json") + "}",
      "application/json", {"Authorization: Bearer " + kOutboundBulkToken});
  BOOST_TEST(answer.status >= 400, answer.body);
  BOOST_TEST(answer.status < 500, answer.body);
  BOOST_TEST(answer.body.find("link-local") != std::string::npos, answer.body);
}

BOOST_AUTO_TEST_SUITE_END()
