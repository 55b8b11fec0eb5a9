// The SMART launch helper and crdex's JWKS on a real crdex-server: the launch
// API's token, create and resolve-once, durability across a restart, a card's
// SMART link turned into a launch when the request asks, and the public keys
// at --jwks-path. SM-04, SM-09, SM-14 (our JWKS).
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "crdex/smart/signing_key.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/requests.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

const std::string kAuthServerToken = "ehr-authorization-server-token-0123456789";
const std::string kContext = R"({"iss":"https://ehr.example.org/fhir","appUrl":"https://app.example.org/launch?tenant=t1",
  "patient":"123","encounter":"987","fhirUser":"Practitioner/example",
  "fhirContext":[{"reference":"ServiceRequest/mri"},{"canonical":"http://example.org/Questionnaire/q|1","type":"Questionnaire"}],
  "appContext":"service=72148"})";

struct LaunchServer {
  test::TempDir dir;
  std::string token_file = (dir.path() / "launch.token").string();
  std::string data_dir = (dir.path() / "data").string();
  LaunchServer() { std::ofstream(token_file) << kAuthServerToken << "\n"; }
  std::vector<std::string> args() const { return {"--smart-launch-token", token_file}; }
};

test::HttpResult call(const test::ServerProcess& server, const std::string& path, const std::string& body,
                      const std::string& token = kAuthServerToken) {
  return test::http_request("POST", server.base_url() + path, body, "application/json",
                            {"Authorization: Bearer " + token});
}

// The "launch" member of a create answer.
std::string launch_id(const std::string& answer) {
  const std::string key = "\"launch\":\"";
  const auto at = answer.find(key);
  BOOST_REQUIRE(at != std::string::npos);
  return answer.substr(at + key.size(), answer.find('"', at + key.size()) - at - key.size());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(smart_launch_api)

BOOST_AUTO_TEST_CASE(SM_09_the_launch_api_needs_the_authorization_servers_token) {
  LaunchServer setup;
  test::ServerProcess server(setup.args());
  BOOST_TEST(call(server, "/smart/launches", kContext, "").status == 401);
  const auto wrong = call(server, "/smart/launches", kContext, "ehr-authorization-server-token-0123456780");
  BOOST_TEST(wrong.status == 401);
  BOOST_TEST(wrong.header("www-authenticate").find("Bearer") == 0u);
  BOOST_TEST(call(server, "/smart/launches:resolve", R"({"launch":"x"})", "nope").status == 401);
  const auto get = test::http_get(server.base_url() + "/smart/launches");
  BOOST_TEST(get.status == 405);
  BOOST_TEST(get.header("allow") == "POST");
}

BOOST_AUTO_TEST_CASE(SM_09_a_launch_resolves_once_then_404) {
  LaunchServer setup;
  test::ServerProcess server(setup.args());
  const auto created = call(server, "/smart/launches", kContext);
  BOOST_REQUIRE_MESSAGE(created.status == 201, created.body);
  BOOST_TEST(created.header("cache-control") == "no-store");
  const auto id = launch_id(created.body);
  BOOST_TEST(created.body.find("https://app.example.org/launch?tenant=t1&launch=" + id +
                               "&iss=https%3A%2F%2Fehr.example.org%2Ffhir") != std::string::npos);

  const auto first = call(server, "/smart/launches:resolve", R"({"launch":")" + id + "\"}");
  BOOST_REQUIRE_MESSAGE(first.status == 200, first.body);
  for (const char* part : {R"("patient":"123")", R"("encounter":"987")", R"("fhirUser":"Practitioner/example")",
                           R"({"reference":"ServiceRequest/mri"})", R"("appContext":"service=72148")",
                           R"("canonical":"http://example.org/Questionnaire/q|1")"})
    BOOST_TEST(first.body.find(part) != std::string::npos, part);
  const auto second = call(server, "/smart/launches:resolve", R"({"launch":")" + id + "\"}");
  BOOST_TEST(second.status == 404);
  BOOST_TEST(second.header("content-type") == "application/fhir+json");
}

BOOST_AUTO_TEST_CASE(bad_launch_requests_get_400_naming_the_field) {
  LaunchServer setup;
  test::ServerProcess server(setup.args());
  const auto no_patient =
      call(server, "/smart/launches", R"({"iss":"https://ehr.example.org/fhir","appUrl":"https://app/launch"})");
  BOOST_TEST(no_patient.status == 400);
  BOOST_TEST(no_patient.body.find(R"("expression":["patient"])") != std::string::npos);
  BOOST_TEST(call(server, "/smart/launches", "not json").status == 400);
  BOOST_TEST(call(server, "/smart/launches:resolve", R"({"id":"x"})").status == 400);
  BOOST_TEST(call(server, "/smart/launches/other", "{}").status == 404);
}

BOOST_AUTO_TEST_CASE(SM_09_a_restart_keeps_valid_launches) {
  LaunchServer setup;
  std::string id;
  {
    test::ServerProcess server(setup.args(), {}, true, setup.data_dir);
    const auto created = call(server, "/smart/launches", kContext);
    BOOST_REQUIRE(created.status == 201);
    id = launch_id(created.body);
  }
  test::ServerProcess restarted(setup.args(), {}, true, setup.data_dir);
  const auto resolved = call(restarted, "/smart/launches:resolve", R"({"launch":")" + id + "\"}");
  BOOST_TEST(resolved.status == 200);
  BOOST_TEST(resolved.body.find(R"("patient":"123")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(SM_04_a_cards_smart_link_becomes_a_launch_when_the_request_asks) {
  LaunchServer setup;
  test::ServerProcess server(setup.args());
  const auto coverage = R"({"coverage":)" + test::coverage("B1", R"([{"display":"Bluestone Health"}])") + "}";
  const auto mri = test::service_request_entry("mri", "http://www.ama-assn.org/go/cpt", "72148");
  const auto url = server.base_url() + "/cds-services/crdex-order-sign";

  const auto plain = test::http_post(url, test::order_sign_request(mri, coverage));
  BOOST_REQUIRE(plain.status == 200);
  BOOST_TEST(plain.body.find(R"("url":"https://apps.bluestone.example.org/imaging-finder/launch","type":"smart")") !=
             std::string::npos);

  const auto asked = test::http_post(
      url, test::order_sign_request(mri, coverage, R"({"davinci-crd.configuration":{"crdex-smart-launch":true}})"));
  BOOST_REQUIRE(asked.status == 200);
  const std::string prefix = "https://apps.bluestone.example.org/imaging-finder/launch?launch=";
  const auto at = asked.body.find(prefix);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, asked.body);
  const auto end = asked.body.find("&iss=", at);
  BOOST_TEST(asked.body.substr(end, 41) == "&iss=http%3A%2F%2Fehr.example.org%2Ffhir\"");
  BOOST_TEST(asked.body.find(R"("type":"smart")") == std::string::npos);

  const auto id = asked.body.substr(at + prefix.size(), end - at - prefix.size());
  const auto resolved = call(server, "/smart/launches:resolve", R"({"launch":")" + id + "\"}");
  BOOST_REQUIRE_MESSAGE(resolved.status == 200, resolved.body);
  for (const char* part : {R"("iss":"http://ehr.example.org/fhir")", R"("patient":"123")", R"("encounter":"987")",
                           R"("fhirUser":"Practitioner/example")", R"("appContext":"service=72148")",
                           R"({"reference":"ServiceRequest/mri","type":"ServiceRequest"})",
                           R"({"reference":"Coverage/B1","type":"Coverage"})"})
    BOOST_TEST(resolved.body.find(part) != std::string::npos, part);
}

BOOST_AUTO_TEST_CASE(SM_14_crdex_serves_the_public_keys_it_signs_with) {
  test::TempDir dir;
  auto rsa = smart::SigningKey::generate(smart::JwsAlgorithm::RS384, "k-rsa").value();
  auto ec = smart::SigningKey::generate(smart::JwsAlgorithm::ES384, "k-ec").value();
  std::ofstream(dir.path() / "rsa.pem") << rsa.private_pem();
  std::ofstream(dir.path() / "ec.pem") << ec.private_pem();
  test::ServerProcess server({"--signing-key", "k-rsa=" + (dir.path() / "rsa.pem").string(), "--signing-key",
                              "k-ec=" + (dir.path() / "ec.pem").string(), "--jwks-path", "/keys/crdex.json"});
  const auto jwks = test::http_get(server.base_url() + "/keys/crdex.json");
  BOOST_REQUIRE(jwks.status == 200);
  BOOST_TEST(jwks.header("content-type") == "application/json");
  BOOST_TEST(jwks.body.find(R"("kid":"k-rsa")") != std::string::npos);
  BOOST_TEST(jwks.body.find(R"("alg":"RS384")") != std::string::npos);
  BOOST_TEST(jwks.body.find(R"("kid":"k-ec")") != std::string::npos);
  BOOST_TEST(jwks.body.find(R"("alg":"ES384")") != std::string::npos);
  BOOST_TEST(jwks.body.find(R"("d":)") == std::string::npos);  // public halves only

  test::ServerProcess refused({"--signing-key", "k=" + (dir.path() / "missing.pem").string()}, {}, false);
  BOOST_TEST(refused.wait_for_exit().code == 2);
}

BOOST_AUTO_TEST_SUITE_END()
