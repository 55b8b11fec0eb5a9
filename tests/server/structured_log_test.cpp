// crdex-server's log (issue 19, docs/operations.md §Logs): with
// --log-format json every line is one JSON object carrying the request id of
// the call it belongs to; and no line, in either format, carries a token or
// the PHI of a request, whichever credential a caller presents.
#include <openssl/evp.h>
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>

#include "crdex/smart/base64url.hpp"
#include "crdex/smart/jwt.hpp"
#include "crdex/smart/random_token.hpp"
#include "crdex/smart/signing_key.hpp"
#include "support/fixtures.hpp"
#include "support/guide_ehr_data.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/requests.hpp"
#include "support/server_process.hpp"

using namespace crdex;
using smart::JwsAlgorithm;

namespace {

constexpr const char* kLogPublicUrl = "https://crdex.example.org";
constexpr const char* kLogClientIssuer = "https://ehr.example.org";
constexpr const char* kLogAsIssuer = "https://as.example.org";
// PHI planted in the hook request: the patient's name and record number.
constexpr const char* kLogPatientFamily = "Quillfeatherstone";
constexpr const char* kLogPatientMrn = "MRN-LOG-447109";

int64_t log_test_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

smart::SigningKey log_test_key(JwsAlgorithm algorithm, const std::string& kid) {
  auto key = smart::SigningKey::generate(algorithm, kid);
  BOOST_REQUIRE(key.ok());
  return std::move(key).value();
}

std::string log_test_sha256_hex(const std::string& token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  BOOST_REQUIRE(EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr) == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) hex += {kHex[digest[i] >> 4], kHex[digest[i] & 15]};
  return hex;
}

// The example order-sign call with `ehr_token` as its fhirAuthorization, a
// dead loopback fhirServer (the fill is tried and fails: its problems are
// logged), and the patient's name and MRN replaced by recognisable ones.
std::string log_test_hook_call(const std::string& ehr_token) {
  std::string body = test::read_file(test::source_dir() / "examples/requests/order-sign.json");
  body = test::replace_first(body, "some-opaque-fhir-access-token", ehr_token);
  test::replace_all(body, "http://example.org/some-payer/fhir/crd", "http://127.0.0.1:9/fhir");
  test::replace_all(body, "\"Shaw\"", std::string("\"") + kLogPatientFamily + "\"");
  test::replace_all(body, "\"1032702\"", std::string("\"") + kLogPatientMrn + "\"");
  // Without prefetch, so that crdex queries the (dead) FHIR server with the token.
  return test::without_member(body, "prefetch");
}

// A crdex-server with every kind of credential configured, in `format`.
struct EveryCredentialServer {
  test::TempDir dir;
  smart::SigningKey client_key = log_test_key(JwsAlgorithm::ES384, "ehr-1");
  smart::SigningKey as_key = log_test_key(JwsAlgorithm::ES384, "as-1");
  const std::string admin_token = smart::random_token(), operator_token = smart::random_token(),
                    attachments_operator = smart::random_token(), cdex_admin = smart::random_token(),
                    cdex_client = smart::random_token(), launch_token = smart::random_token(),
                    publisher = smart::random_token(), ehr_token = "ehr-fhir-token-" + smart::random_token();
  std::unique_ptr<test::ServerProcess> server;

  explicit EveryCredentialServer(const std::string& format) {
    const smart::PublishedKey client_published{&client_key, JwsAlgorithm::ES384};
    const smart::PublishedKey as_published{&as_key, JwsAlgorithm::ES384};
    std::ofstream(dir.path() / "clients.json")
        << R"({"clients":[{"iss":")" << kLogClientIssuer << R"(","fhir_servers":["http://127.0.0.1:9/fhir"],"jwks":)"
        << smart::public_jwks_json(std::span<const smart::PublishedKey>(&client_published, 1)) << "}]}";
    std::ofstream(dir.path() / "authorization-servers.json")
        << R"({"authorization_servers":[{"iss":")" << kLogAsIssuer << R"(","algorithms":["ES384"],"jwks":)"
        << smart::public_jwks_json(std::span<const smart::PublishedKey>(&as_published, 1)) << "}]}";
    std::ofstream(dir.path() / "operators.json")
        << R"({"operators":[{"name":"ops-admin","token_sha256":")" << log_test_sha256_hex(operator_token)
        << R"(","roles":["admin"]},{"name":"ops-attach","token_sha256":")"
        << log_test_sha256_hex(attachments_operator) << R"(","roles":["attachments"]}]})";
    auto write = [this](const char* name, const std::string& token) {
      std::ofstream(dir.path() / name) << token << "\n";
      return (dir.path() / name).string();
    };
    server = std::make_unique<test::ServerProcess>(std::vector<std::string>{
        "--log-format", format, "--log-level", "debug", "--public-url", kLogPublicUrl,
        "--clients", (dir.path() / "clients.json").string(),
        "--authorization-servers", (dir.path() / "authorization-servers.json").string(),
        "--operators", (dir.path() / "operators.json").string(),
        "--admin-token-file", write("admin", admin_token),
        "--cdex-admin-token-file", write("cdex-admin", cdex_admin),
        "--cdex-client-token-file", write("cdex-client", cdex_client),
        "--cdex-ehr-fhir", "http://127.0.0.1:9/fhir",
        "--smart-launch-token", write("launch", launch_token),
        "--publisher-token", "acme-health-plan=" + write("publisher", publisher)});
  }

  std::string client_jwt() const {
    const std::string claims = R"({"iss":")" + std::string(kLogClientIssuer) + R"(","aud":")" + kLogPublicUrl +
                               R"(/cds-services/crdex-order-sign","exp":)" + std::to_string(log_test_now() + 300) +
                               R"(,"iat":)" + std::to_string(log_test_now()) + R"(,"jti":")" +
                               smart::random_token() + "\"}";
    auto signed_jwt = smart::sign_jwt(client_key, JwsAlgorithm::ES384, claims);
    BOOST_REQUIRE(signed_jwt.ok());
    return *signed_jwt;
  }

  std::string access_token(const std::string& scope) const {
    const std::string claims = R"({"iss":")" + std::string(kLogAsIssuer) + R"(","aud":")" + kLogPublicUrl +
                               R"(","exp":)" + std::to_string(log_test_now() + 300) + R"(,"iat":)" +
                               std::to_string(log_test_now() - 5) + R"(,"client_id":"provider-1","scope":")" +
                               scope + R"(","jti":")" + smart::random_token() + "\"}";
    const std::string input = smart::base64url_encode(R"({"alg":"ES384","typ":"at+jwt","kid":"as-1"})") + "." +
                              smart::base64url_encode(claims);
    auto signature = as_key.sign(JwsAlgorithm::ES384, input);
    BOOST_REQUIRE(signature.ok());
    return input + "." + smart::base64url_encode(std::span<const uint8_t>(*signature));
  }

  test::HttpResult call(const std::string& method, const std::string& path, const std::string& token,
                        const std::string& body = {}, const std::string& request_id = {}) const {
    std::vector<std::string> headers;
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    if (!request_id.empty()) headers.push_back("X-Request-Id: " + request_id);
    return test::http_request(method, server->base_url() + path, body, "application/json", headers);
  }
};

// Runs a call with every credential (valid and refused), stops the server
// and returns its whole log with the secrets and PHI it was given.
struct LoggedRun {
  std::string log;
  std::vector<std::string> secrets;
};

LoggedRun run_with_every_credential(const std::string& format) {
  EveryCredentialServer s(format);
  LoggedRun run;
  const std::string client_jwt = s.client_jwt();
  const std::string forged_jwt = client_jwt.substr(0, client_jwt.rfind('.') + 1) + "Zm9yZ2VkLXNpZ25hdHVyZQ";
  const std::string access = s.access_token("system/DocumentReference.c system/DocumentReference.rs");
  const std::string forged_access = access.substr(0, access.rfind('.') + 1) + "Zm9yZ2VkLWFjY2Vzcw";
  const std::string wrong_static = "not-a-configured-token-" + smart::random_token();
  const std::string hook_call = log_test_hook_call(s.ehr_token);

  const auto answered =
      s.call("POST", "/cds-services/crdex-order-sign", client_jwt, hook_call, "secrets-run-" + format);
  BOOST_TEST((answered.status != 401 && answered.status != 403), answered.status << " " << answered.body);
  BOOST_TEST(s.call("POST", "/cds-services/crdex-order-sign", forged_jwt, hook_call).status == 401);
  BOOST_TEST(s.call("POST", "/cds-services/crdex-order-sign", wrong_static, hook_call).status == 401);
  BOOST_TEST(s.call("GET", "/admin/audit?patient=123", s.admin_token).status == 200);
  BOOST_TEST(s.call("GET", "/admin/audit", s.operator_token).status == 200);
  BOOST_TEST(s.call("GET", "/admin/audit", wrong_static).status / 100 == 4);
  // Accepted credentials: the handler answers (its own 2xx or 4xx), not the gate (401/403).
  const auto accepted = [](long status) { return status != 401 && status != 403; };
  BOOST_TEST(accepted(s.call("POST", "/attachments/claims", s.attachments_operator, "{}").status));
  BOOST_TEST(accepted(s.call("GET", "/attachments", access).status));
  BOOST_TEST(s.call("POST", "/$submit-attachment", access, "{\"resourceType\":\"Parameters\"}").status / 100 == 4);
  BOOST_TEST(s.call("GET", "/attachments", forged_access).status == 401);
  BOOST_TEST(s.call("GET", "/fhir/Task", s.cdex_client).status == 200);
  BOOST_TEST(s.call("GET", "/fhir/Task", wrong_static).status / 100 == 4);
  BOOST_TEST(s.call("GET", "/cdex/review", s.cdex_admin).status == 200);
  BOOST_TEST(s.call("POST", "/smart/launches", s.launch_token, "{}").status / 100 == 4);
  BOOST_TEST(s.call("POST", "/smart/launches", wrong_static, "{}").status / 100 == 4);
  BOOST_TEST(s.call("POST", "/payers/acme-health-plan/rules:dry-run", s.publisher, "{}").status / 100 == 4);
  BOOST_TEST(s.call("POST", "/payers/acme-health-plan/rules:dry-run", wrong_static, "{}").status / 100 == 4);
  const auto stopped = s.server->stop(SIGTERM);
  BOOST_TEST((stopped.exited && stopped.code == 0));
  run.log = s.server->stderr_text();
  run.secrets = {client_jwt, forged_jwt, access, forged_access, wrong_static, s.admin_token, s.operator_token,
                 s.attachments_operator, s.cdex_admin, s.cdex_client, s.launch_token, s.publisher, s.ehr_token,
                 kLogPatientFamily, kLogPatientMrn};
  // The log is there to be searched: it holds the calls, by request id.
  BOOST_TEST(run.log.find("secrets-run-" + format) != std::string::npos, run.log);
  // ... and the refusals, whose lines are where a credential would slip in.
  BOOST_TEST(run.log.find("client authentication failed") != std::string::npos, run.log);
  BOOST_TEST(run.log.find(": refused 401") != std::string::npos, run.log);
  return run;
}

std::vector<std::string> split_log_lines(const std::string& log) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

// A string member's text; "" when absent or not a string.
std::string log_json_text(simdjson::simdjson_result<simdjson::dom::element> member) {
  std::string_view text;
  return member.get_string().get(text) == simdjson::SUCCESS ? std::string(text) : std::string();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(structured_log)

BOOST_AUTO_TEST_CASE(ops_json_log_lines_parse_and_carry_the_request_id_of_the_call) {
  test::ServerProcess server({"--log-format", "json"});
  std::string body = test::read_file(test::source_dir() / "examples/requests/order-sign.json");
  const auto answered = test::http_request("POST", server.base_url() + "/cds-services/crdex-order-sign", body,
                                           "application/json", {"X-Request-Id: json-log-call-0001"});
  BOOST_TEST_REQUIRE(answered.status == 200, answered.body);
  const auto made = test::http_get(server.base_url() + "/no/such/path");
  BOOST_TEST(made.status == 404);
  BOOST_TEST((server.stop(SIGTERM).code == 0));

  const auto lines = split_log_lines(server.stderr_text());
  BOOST_TEST_REQUIRE(lines.size() >= 4u);
  const std::regex rfc3339_ms(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  int answer_lines = 0;
  bool generated_id_seen = false;
  for (const auto& line : lines) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    BOOST_TEST_REQUIRE(parser.parse(line).get(root) == simdjson::SUCCESS, line);
    BOOST_TEST_REQUIRE(root.is_object(), line);
    BOOST_TEST(std::regex_match(log_json_text(root["time"]), rfc3339_ms), line);
    BOOST_TEST(!log_json_text(root["level"]).empty(), line);
    BOOST_TEST(!log_json_text(root["message"]).empty(), line);
    if (log_json_text(root["request_id"]) == "json-log-call-0001" && root["status"].error() == simdjson::SUCCESS) {
      ++answer_lines;
      BOOST_TEST(log_json_text(root["message"]) == "POST /cds-services/crdex-order-sign 200", line);
      BOOST_TEST(log_json_text(root["service"]) == "crdex-order-sign", line);
      BOOST_TEST(log_json_text(root["payer"]) == "acme-health-plan", line);
      BOOST_TEST(root["status"].get_int64().value() == 200, line);
      BOOST_TEST(root["duration_ms"].get_double().value() >= 0.0, line);
    }
    if (log_json_text(root["request_id"]) == made.header("x-request-id")) {
      generated_id_seen = true;
      BOOST_TEST(root["status"].get_int64().value() == 404, line);
      BOOST_TEST(root["service"].error() == simdjson::NO_SUCH_FIELD, line);
    }
  }
  BOOST_TEST(answer_lines == 1);
  BOOST_TEST(generated_id_seen);
}

BOOST_AUTO_TEST_CASE(ops_no_token_or_phi_in_any_log_line_text_or_json) {
  for (const std::string format : {"text", "json"}) {
    const auto run = run_with_every_credential(format);
    BOOST_TEST_REQUIRE(!run.log.empty());
    for (const auto& secret : run.secrets)
      BOOST_TEST(run.log.find(secret) == std::string::npos, format << " log holds \"" << secret << "\":\n" << run.log);
    // Not even the signature part of a JWT (the part that would let it be replayed).
    for (const auto& secret : run.secrets)
      if (const auto dot = secret.rfind('.'); dot != std::string::npos && secret.size() - dot > 16)
        BOOST_TEST(run.log.find(secret.substr(dot + 1)) == std::string::npos, format);
    if (format == "json")
      for (const auto& line : split_log_lines(run.log)) {
        simdjson::dom::parser parser;
        simdjson::dom::element root;
        BOOST_TEST(parser.parse(line).get(root) == simdjson::SUCCESS, line);
      }
  }
}

BOOST_AUTO_TEST_SUITE_END()
