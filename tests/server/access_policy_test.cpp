// Every route enforced by its access policy before its handler runs (issue 17;
// docs/security.md): the route table of a fully configured crdex-server is
// read from the server itself (--print-routes), and every non-public route is
// called with no credential (401) and with a credential of the wrong kind or
// role (403), each answer an OperationOutcome. Then the access-token attack
// matrix (SMART Backend Services tokens crdex verifies as a resource server),
// operator roles and payer-scoped admin views.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/test/unit_test.hpp>
#include <array>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "crdex/smart/base64url.hpp"
#include "crdex/smart/jwt.hpp"
#include "crdex/smart/random_token.hpp"
#include "crdex/smart/signing_key.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

using namespace crdex;
using smart::JwsAlgorithm;

namespace {

constexpr const char* kAsIssuer = "https://as.example.org";
constexpr const char* kPublicUrl = "https://crdex.example.org";

int64_t access_test_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

smart::SigningKey access_test_key(const std::string& kid) {
  auto key = smart::SigningKey::generate(JwsAlgorithm::RS384, kid);
  BOOST_REQUIRE(key.ok());
  return std::move(key).value();
}

std::string access_test_sign(const smart::SigningKey& key, const std::string& header, const std::string& payload) {
  std::string input = smart::base64url_encode(header) + "." + smart::base64url_encode(payload);
  auto signature = key.sign(JwsAlgorithm::RS384, input);
  BOOST_REQUIRE(signature.ok());
  return input + "." + smart::base64url_encode(std::span<const uint8_t>(*signature));
}

std::string sha256_hex(const std::string& token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  BOOST_REQUIRE(EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr) == 1);
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) hex += {kHexDigits[digest[i] >> 4], kHexDigits[digest[i] & 15]};
  return hex;
}

struct AccessPolicyServer {
  test::TempDir dir;
  smart::SigningKey as_key = access_test_key("as-1");
  smart::SigningKey stranger_key = access_test_key("as-1");  // same kid, another key
  const std::string attach_op = smart::random_token(), bulk_op = smart::random_token(),
                    admin_a = smart::random_token(), admin_all = smart::random_token();
  const std::string admin_token = smart::random_token(), cdex_admin = smart::random_token(),
                    cdex_client = smart::random_token(), launch_token = smart::random_token(),
                    publisher = smart::random_token();
  std::vector<std::string> args;
  std::unique_ptr<test::ServerProcess> server;

  AccessPolicyServer() {
    const smart::PublishedKey published{&as_key, JwsAlgorithm::RS384};
    std::ofstream(dir.path() / "authorization-servers.json")
        << R"({"authorization_servers":[{"iss":")" << kAsIssuer << R"(","algorithms":["RS384"],"jwks":)"
        << smart::public_jwks_json(std::span<const smart::PublishedKey>(&published, 1)) << "}]}";
    std::ofstream(dir.path() / "operators.json")
        << R"({"operators":[)"
        << R"({"name":"attach","token_sha256":")" << sha256_hex(attach_op) << R"(","roles":["attachments"]},)"
        << R"({"name":"bulk","token_sha256":")" << sha256_hex(bulk_op) << R"(","roles":["bulk"]},)"
        << R"({"name":"admin-acme","token_sha256":")" << sha256_hex(admin_a)
        << R"(","roles":["admin"],"payers":["acme-health-plan"]},)"
        << R"({"name":"admin-all","token_sha256":")" << sha256_hex(admin_all) << R"(","roles":["admin"]}]})";
    auto write = [this](const char* name, const std::string& token) {
      std::ofstream(dir.path() / name) << token << "\n";
      return (dir.path() / name).string();
    };
    args = {"--public-url", kPublicUrl,
            "--authorization-servers", (dir.path() / "authorization-servers.json").string(),
            "--operators", (dir.path() / "operators.json").string(),
            "--admin-token-file", write("admin", admin_token),
            "--cdex-admin-token-file", write("cdex-admin", cdex_admin),
            "--cdex-client-token-file", write("cdex-client", cdex_client),
            "--cdex-ehr-fhir", "http://127.0.0.1:9/fhir",
            "--smart-launch-token", write("launch", launch_token),
            "--publisher-token", "acme-health-plan=" + write("publisher", publisher)};
    server = std::make_unique<test::ServerProcess>(args, std::string(), true, std::string(), true);
  }

  // An access token of the configured authorization server (claims adjustable).
  std::string access_token(const std::string& scope, const std::string& aud = kPublicUrl, int64_t exp_in = 300,
                           const std::string& iss = kAsIssuer, const std::string& header = {}) const {
    const std::string claims = R"({"iss":")" + iss + R"(","aud":")" + aud + R"(","exp":)" +
                               std::to_string(access_test_now() + exp_in) + R"(,"iat":)" +
                               std::to_string(access_test_now() - 5) + R"(,"client_id":"provider-1","scope":")" +
                               scope + R"(","jti":")" + smart::random_token() + "\"}";
    return access_test_sign(as_key, header.empty() ? R"({"alg":"RS384","typ":"at+jwt","kid":"as-1"})" : header,
                            claims);
  }

  test::HttpResult call(const std::string& method, const std::string& path, const std::string& token,
                        const std::string& body = "{}") const {
    std::vector<std::string> headers;
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    return test::http_request(method, server->base_url() + path, method == "GET" || method == "DELETE" ? "" : body,
                              "application/json", headers);
  }

  // "METHOD PATTERN POLICY..." per route, from the server itself.
  std::vector<std::array<std::string, 3>> routes() const {
    std::string command = test::server_executable().string() + " --listen 127.0.0.1:0 --rules " +
                          test::example_rules_dir().string() + " --data " + (dir.path() / "print-data").string() +
                          " --print-routes";
    for (const auto& arg : args) command += " '" + arg + "'";
    command += " 2>/dev/null";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    BOOST_REQUIRE(pipe);
    std::string out;
    char buffer[4096];
    while (size_t n = fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
    std::vector<std::array<std::string, 3>> rows;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      const auto a = line.find(' '), b = line.find(' ', a + 1);
      BOOST_REQUIRE(a != std::string::npos && b != std::string::npos);
      rows.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
    }
    return rows;
  }
};

std::string concrete_path(std::string pattern) {
  for (auto [name, value] : {std::pair{"{id}", "1"}, std::pair{"{n}", "1"}, std::pair{"{version}", "1"},
                             std::pair{"{payer}", "acme-health-plan"}})
    for (auto at = pattern.find(name); at != std::string::npos; at = pattern.find(name))
      pattern.replace(at, std::string_view(name).size(), value);
  return pattern;
}

bool is_outcome(const test::HttpResult& r) {
  return r.body.find("\"resourceType\":\"OperationOutcome\"") != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server_access_policy)

// Printing the route table touches no deployment data: the --data directory
// named (or the default one in the working directory) is never created.
BOOST_AUTO_TEST_CASE(print_routes_creates_no_data_directory) {
  test::TempDir dir;
  const auto data = dir.path() / "never-created";
  const std::string command = "cd '" + dir.path().string() + "' && " + test::server_executable().string() +
                              " --listen 127.0.0.1:0 --rules " + test::example_rules_dir().string() + " --data '" +
                              data.string() + "' --print-routes 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  BOOST_REQUIRE(pipe);
  std::string out;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
  BOOST_TEST(out.find("POST /cds-services/{id} ") != std::string::npos, out);
  BOOST_TEST(!std::filesystem::exists(data));
  BOOST_TEST(!std::filesystem::exists(dir.path() / "crdex-data"));
}

BOOST_FIXTURE_TEST_CASE(every_non_public_route_refuses_no_credential_401_and_the_wrong_kind_403, AccessPolicyServer) {
  const auto table = routes();
  BOOST_TEST(table.size() >= 30u);
  const std::string document_token = access_token("system/DocumentReference.crs system/Task.rs");
  int checked = 0;
  for (const auto& [method, pattern, policy] : table) {
    if (policy == "public") continue;
    const std::string path = concrete_path(pattern);
    if (policy == "loopback or admin token") {
      // /metrics trusts a loopback peer (as this test is); from elsewhere it needs
      // the admin token (metrics_test.cpp covers that side).
      BOOST_TEST(call(method, path, "").status == 200, method + " " + pattern);
      continue;
    }
    const std::string what = method + " " + pattern + " (" + policy + ")";
    const auto bare = call(method, path, "");
    BOOST_TEST(bare.status == 401, what << ": " << bare.body);
    BOOST_TEST(is_outcome(bare), what);
    // The wrong kind: an operator's token where a system or client is expected,
    // a system's access token where an operator is.
    const bool wants_operator = policy.starts_with("operator") || policy == "admin token";
    const auto wrong = call(method, path, wants_operator ? document_token : attach_op);
    BOOST_TEST(wrong.status == 403, what << ": " << wrong.body);
    BOOST_TEST(is_outcome(wrong), what);
    ++checked;
  }
  BOOST_TEST(checked >= 25);
}

BOOST_FIXTURE_TEST_CASE(operator_roles_decide_which_operator_routes_answer, AccessPolicyServer) {
  BOOST_TEST(call("GET", "/bulk-exports", bulk_op).status == 200);
  const auto no_role = call("GET", "/bulk-exports", attach_op);
  BOOST_TEST(no_role.status == 403);
  BOOST_TEST(no_role.body.find("lacks the role \\\"bulk\\\"") != std::string::npos, no_role.body);
  BOOST_TEST(call("POST", "/attachments/claims", bulk_op).status == 403);
  // The attachments operator gets past the gate to the handler's own checks (400: no body fields).
  BOOST_TEST(call("POST", "/attachments/claims", attach_op).status == 400);
  BOOST_TEST(call("GET", "/bulk-exports", "not-a-known-token-at-all").status == 401);
}

BOOST_FIXTURE_TEST_CASE(admin_views_are_scoped_to_an_operators_payers, AccessPolicyServer) {
  BOOST_TEST(call("GET", "/admin/audit", admin_all).status == 200);
  BOOST_TEST(call("GET", "/admin/audit", admin_token).status == 200);  // the single admin token still works
  BOOST_TEST(call("GET", "/admin/audit", admin_a).status == 200);      // its one payer, implied
  BOOST_TEST(call("GET", "/admin/audit?payer=acme-health-plan", admin_a).status == 200);
  BOOST_TEST(call("GET", "/admin/audit?payer=bluestone-health", admin_a).status == 403);
  BOOST_TEST(call("GET", "/admin/feedback?payer=bluestone-health", admin_a).status == 403);
  BOOST_TEST(call("GET", "/admin/audit/stats", admin_a).status == 403);
  BOOST_TEST(call("GET", "/admin/audit/stats", admin_all).status == 200);
  BOOST_TEST(call("GET", "/admin/audit", bulk_op).status == 403);
}

BOOST_FIXTURE_TEST_CASE(access_tokens_need_the_scope_of_the_interaction, AccessPolicyServer) {
  // Past the gate: the handler answers (400 for an empty Parameters, 404 for no such attachment).
  const auto submit = call("POST", "/$submit-attachment", access_token("system/DocumentReference.c"));
  BOOST_TEST(submit.status == 400, submit.body);
  BOOST_TEST(call("GET", "/attachments/1", access_token("system/DocumentReference.r")).status == 404);
  BOOST_TEST(call("GET", "/attachments/1", access_token("system/DocumentReference.read")).status == 404);  // v1
  BOOST_TEST(call("GET", "/attachments/1", access_token("system/*.rs")).status == 404);
  const auto wrong_scope = call("POST", "/$submit-attachment", access_token("system/DocumentReference.rs"));
  BOOST_TEST(wrong_scope.status == 403);
  BOOST_TEST(wrong_scope.header("www-authenticate").find("insufficient_scope") != std::string::npos);
  BOOST_TEST(call("GET", "/fhir/Task", access_token("system/DocumentReference.rs")).status == 403);
  BOOST_TEST(call("GET", "/fhir/Task/x", access_token("system/Task.s")).status == 403);  // a read needs r
  BOOST_TEST(call("GET", "/fhir/Task", cdex_client).status != 401);  // the static token remains a fallback
}

BOOST_FIXTURE_TEST_CASE(the_access_token_attack_matrix_is_refused_with_401, AccessPolicyServer) {
  const std::string scope = "system/DocumentReference.c";
  const std::string now_claims = R"({"iss":")" + std::string(kAsIssuer) + R"(","aud":")" + kPublicUrl +
                                 R"(","exp":)" + std::to_string(access_test_now() + 300) + R"(,"scope":")" + scope +
                                 "\"}";
  const std::string unsigned_none =
      smart::base64url_encode(std::string(R"({"alg":"none","typ":"at+jwt","kid":"as-1"})")) + "." +
      smart::base64url_encode(now_claims) + ".";
  // HS256 signed with the issuer's published key set as the HMAC secret (the
  // key-confusion attack): refused by algorithm, before any key is used.
  const smart::PublishedKey published{&as_key, JwsAlgorithm::RS384};
  const std::string public_text = smart::public_jwks_json(std::span<const smart::PublishedKey>(&published, 1));
  const std::string hs256_input =
      smart::base64url_encode(std::string(R"({"alg":"HS256","typ":"at+jwt","kid":"as-1"})")) + "." +
      smart::base64url_encode(now_claims);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  BOOST_REQUIRE(HMAC(EVP_sha256(), public_text.data(), static_cast<int>(public_text.size()),
                     reinterpret_cast<const unsigned char*>(hs256_input.data()), hs256_input.size(), mac,
                     &mac_size) != nullptr);
  const std::string hs256 = hs256_input + "." + smart::base64url_encode(std::span<const uint8_t>(mac, mac_size));
  auto with_claims = [&](const std::string& claims) {
    return access_test_sign(as_key, R"({"alg":"RS384","typ":"at+jwt","kid":"as-1"})", claims);
  };
  const std::string base_claims = R"("iss":")" + std::string(kAsIssuer) + R"(","aud":")" + kPublicUrl +
                                  R"(","scope":")" + scope + "\"";
  const std::vector<std::pair<std::string, std::string>> attacks = {
      {"another aud", access_token(scope, "https://other.example.org")},
      {"expired", access_token(scope, kPublicUrl, -600)},
      {"alg none", unsigned_none},
      {"HS256 with the public key", hs256},
      {"unknown kid", access_token(scope, kPublicUrl, 300, kAsIssuer, R"({"alg":"RS384","typ":"at+jwt","kid":"x"})")},
      {"jku off the allowlist",
       access_token(scope, kPublicUrl, 300, kAsIssuer,
                    R"({"alg":"RS384","typ":"at+jwt","kid":"as-1","jku":"https://evil.example.org/jwks"})")},
      {"another key under the same kid",
       access_test_sign(stranger_key, R"({"alg":"RS384","typ":"at+jwt","kid":"as-1"})", now_claims)},
      // An issuer crdex does not trust: not an access token it knows.
      {"wrong issuer", access_token(scope, kPublicUrl, 300, "https://evil.example.org")},
      {"no exp", with_claims("{" + base_claims + "}")},
      {"not valid yet (nbf)", with_claims("{" + base_claims + R"(,"exp":)" + std::to_string(access_test_now() + 600) +
                                          R"(,"nbf":)" + std::to_string(access_test_now() + 300) + "}")},
      {"issued in the future", with_claims("{" + base_claims + R"(,"exp":)" +
                                           std::to_string(access_test_now() + 600) + R"(,"iat":)" +
                                           std::to_string(access_test_now() + 300) + "}")},
      {"aud with a path appended", access_token(scope, std::string(kPublicUrl) + "/fhir")},
  };
  for (const auto& [name, token] : attacks) {
    const auto answer = call("POST", "/$submit-attachment", token);
    BOOST_TEST(answer.status == 401, name << ": " << answer.body);
    BOOST_TEST(is_outcome(answer), name);
    BOOST_TEST(answer.header("www-authenticate").find("Bearer") != std::string::npos, name);
  }
  // The data consumer's route refuses the same tokens.
  for (const auto& [name, token] : attacks)
    BOOST_TEST(call("GET", "/fhir/Task", token).status == 401, "/fhir/Task, " << name);
  // Missing scope: a valid token without it is 403 (authenticated, not allowed).
  BOOST_TEST(call("POST", "/$submit-attachment", access_token("system/Task.rs")).status == 403);
  BOOST_TEST(call("GET", "/fhir/Task", access_token("system/DocumentReference.c")).status == 403);
}

BOOST_FIXTURE_TEST_CASE(refusals_are_in_the_audit_log_without_their_bodies, AccessPolicyServer) {
  const std::string data = (dir.path() / "kept-data").string();
  {
    test::ServerProcess first(args, std::string(), true, data, true);
    std::vector<std::string> headers = {"Authorization: Bearer " + attach_op};
    BOOST_TEST(test::http_request("GET", first.base_url() + "/bulk-exports", "", "application/json", {}).status == 401);
    BOOST_TEST(test::http_request("POST", first.base_url() + "/bulk-exports", R"({"secret":"PHI-like body"})",
                                  "application/json", headers)
                   .status == 403);
    BOOST_TEST(first.stop(SIGTERM).exited);  // the audit queue is written before the exit
  }
  test::ServerProcess again(args, std::string(), true, data, true);
  const auto audit = test::http_request("GET", again.base_url() + "/admin/audit", "", "application/json",
                                        {"Authorization: Bearer " + admin_all});
  BOOST_REQUIRE(audit.status == 200);
  BOOST_TEST(audit.body.find(R"("refused":"GET /bulk-exports")") != std::string::npos, audit.body);
  BOOST_TEST(audit.body.find("operator attach") != std::string::npos, audit.body);
  BOOST_TEST(audit.body.find("no credential") != std::string::npos, audit.body);
  BOOST_TEST(audit.body.find("PHI-like body") == std::string::npos);
  BOOST_TEST(audit.body.find(attach_op) == std::string::npos);  // never the token

  // Data at rest: the --data directory is 0700 and every file under it 0600.
  namespace fs = std::filesystem;
  using P = fs::perms;
  BOOST_TEST(((fs::status(data).permissions() & P::all) == P::owner_all));
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(data)) {
    const auto mode = entry.status().permissions() & P::all;
    if (entry.is_directory()) {
      BOOST_TEST((mode == P::owner_all), entry.path().string());
    } else {
      BOOST_TEST((mode == (P::owner_read | P::owner_write)), entry.path().string());
      ++files;
    }
  }
  BOOST_TEST(files >= 3);  // rules, audit, attachments, exports stores at least
}

BOOST_FIXTURE_TEST_CASE(each_identified_caller_has_its_own_rate_limit, AccessPolicyServer) {
  std::vector<std::string> limited = args;
  limited.insert(limited.end(), {"--rate-limit", "2"});
  test::ServerProcess server_limited(limited, std::string(), true, std::string(), true);
  auto get = [&](const std::string& token) {
    return test::http_request("GET", server_limited.base_url() + "/bulk-exports", "", "application/json",
                              {"Authorization: Bearer " + token});
  };
  BOOST_TEST(get(bulk_op).status == 200);
  BOOST_TEST(get(bulk_op).status == 200);
  const auto over = get(bulk_op);  // the third within a minute
  BOOST_TEST(over.status == 429, over.body);
  BOOST_TEST(std::stoi(over.header("retry-after")) >= 1);
  BOOST_TEST(over.body.find("OperationOutcome") != std::string::npos);
  // Another operator's budget is its own.
  BOOST_TEST(test::http_request("GET", server_limited.base_url() + "/admin/audit", "", "application/json",
                                {"Authorization: Bearer " + admin_all})
                 .status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
