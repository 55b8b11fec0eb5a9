// crdex's SMART clients against a real authorization server (oidc-provider,
// tests/auth-server) and, for the EHR launch, the real crdex-server's launch
// helper: discovery, Backend Services with private_key_jwt (RS384, ES384),
// the authorization-code flow with PKCE, and the negative cases (wrong state,
// wrong verifier, wrong aud, expired assertion, replayed jti, reused launch).
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "crdex/smart/authorization_code.hpp"
#include "crdex/smart/backend_services.hpp"
#include "crdex/smart/launch_context.hpp"
#include "crdex/smart/smart_configuration.hpp"
#include "smart/auth_server_process.hpp"
#include "support/http_client.hpp"
#include "support/requests.hpp"
#include "support/server_process.hpp"

using namespace crdex;
using namespace std::chrono_literals;

namespace {

const std::string kRedirect = "https://app.example.org/callback";
const std::string kLaunchToken = "ehr-authorization-server-token-0123456789";

// crdex's two backend keys; the auth server trusts their public halves.
struct BackendKeys {
  smart::SigningKey rsa = smart::SigningKey::generate(smart::JwsAlgorithm::RS384, "crdex-rs384").value();
  smart::SigningKey ec = smart::SigningKey::generate(smart::JwsAlgorithm::ES384, "crdex-es384").value();
  std::string jwks() const {
    const smart::PublishedKey keys[] = {{&rsa, smart::JwsAlgorithm::RS384}, {&ec, smart::JwsAlgorithm::ES384}};
    return smart::public_jwks_json(keys);
  }
};

struct AuthFixture {
  BackendKeys keys;
  test::AuthServerProcess auth{R"({"backendJwks":)" + keys.jwks() + "}"};

  smart::BackendServicesClient backend(const smart::SigningKey& key, smart::JwsAlgorithm algorithm,
                                       smart::BackendServicesClient::Clock clock = std::chrono::system_clock::now) {
    smart::BackendServicesConfig config{auth.token_url(), "crdex-backend", "system/Patient.read system/Coverage.rs",
                                        key, algorithm, {}};
    return smart::BackendServicesClient::create(std::move(config), {}, std::move(clock)).value();
  }
  smart::SmartConfiguration configuration() { return smart::fetch_smart_configuration(auth.fhir_base()).value(); }
};

smart::AuthorizationParams app_params(const std::string& aud, const std::string& launch = {}) {
  return {"crdex-app", kRedirect, "openid launch patient/Patient.read", aud, launch};
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(smart_auth_server, AuthFixture)

BOOST_AUTO_TEST_CASE(SM_02_discovery_reads_the_servers_smart_configuration) {
  auto configuration = smart::fetch_smart_configuration(auth.fhir_base() + "/");
  BOOST_REQUIRE_MESSAGE(configuration.ok(), (configuration.ok() ? std::string() : configuration.error().message));
  BOOST_TEST(configuration->token_endpoint == auth.token_url());
  BOOST_TEST(configuration->has_capability("client-confidential-asymmetric"));
  auto missing = smart::fetch_smart_configuration(auth.issuer() + "/nowhere");
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().http_status == 502);
}

BOOST_AUTO_TEST_CASE(SM_15_backend_services_token_with_an_rs384_assertion) {
  auto client = backend(keys.rsa, smart::JwsAlgorithm::RS384);
  auto token = client.request_token();
  BOOST_REQUIRE_MESSAGE(token.ok(), (token.ok() ? std::string() : token.error().message + " " + auth.errors()));
  BOOST_TEST(token->token_type == "Bearer");
  BOOST_TEST(token->expires_in > 0);
  BOOST_TEST(token->expires_in <= 300);
  BOOST_TEST(token->refresh_token.empty());
  BOOST_TEST(token->scope.find("system/Patient.rs") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(SM_14_backend_services_token_with_an_es384_assertion) {
  auto client = backend(keys.ec, smart::JwsAlgorithm::ES384);
  auto token = client.request_token();
  BOOST_REQUIRE_MESSAGE(token.ok(), (token.ok() ? std::string() : token.error().message + " " + auth.errors()));
  BOOST_TEST(!token->access_token.empty());
}

BOOST_AUTO_TEST_CASE(SM_15_bearer_token_is_cached_until_shortly_before_expiry) {
  auto now = std::make_shared<std::chrono::system_clock::time_point>(std::chrono::system_clock::now());
  auto client = backend(keys.rsa, smart::JwsAlgorithm::RS384, [now] { return *now; });
  auto first = client.bearer_token();
  BOOST_REQUIRE_MESSAGE(first.ok(), (first.ok() ? std::string() : first.error().message));
  BOOST_TEST(*client.bearer_token() == *first);
  *now += 200s;
  BOOST_TEST(*client.bearer_token() == *first);
  *now += 80s;  // 280 s: within 30 s of the 300 s expiry, so a new token
  auto renewed = client.bearer_token();
  BOOST_REQUIRE(renewed.ok());
  BOOST_TEST(*renewed != *first);
}

BOOST_AUTO_TEST_CASE(SM_14_an_expired_assertion_is_invalid_client) {
  auto client = backend(keys.rsa, smart::JwsAlgorithm::RS384);
  auto stale = client.client_assertion(std::chrono::system_clock::now() - 10min);
  BOOST_REQUIRE(stale.ok());
  auto token = client.request_token_with(*stale);
  BOOST_REQUIRE(!token.ok());
  BOOST_TEST(token.error().expression == "invalid_client");
  BOOST_TEST(token.error().http_status == 401);
  const auto errors = auth.errors();
  BOOST_TEST_MESSAGE(errors);
  BOOST_TEST(errors.find("jwt expired") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(SM_14_a_replayed_jti_is_invalid_client) {
  auto client = backend(keys.ec, smart::JwsAlgorithm::ES384);
  auto assertion = client.client_assertion(std::chrono::system_clock::now());
  BOOST_REQUIRE(assertion.ok());
  BOOST_REQUIRE(client.request_token_with(*assertion).ok());
  auto replayed = client.request_token_with(*assertion);
  BOOST_REQUIRE(!replayed.ok());
  BOOST_TEST(replayed.error().expression == "invalid_client");
  BOOST_TEST(auth.errors().find("client assertion tokens must only be used once") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(SM_14_an_unregistered_key_is_invalid_client) {
  auto stranger = smart::SigningKey::generate(smart::JwsAlgorithm::RS384, "crdex-rs384").value();
  auto client = backend(stranger, smart::JwsAlgorithm::RS384);
  auto token = client.request_token();
  BOOST_REQUIRE(!token.ok());
  BOOST_TEST(token.error().expression == "invalid_client");
}

BOOST_AUTO_TEST_CASE(SM_05_authorization_code_with_pkce_for_a_public_client) {
  const auto configuration = this->configuration();
  const auto params = app_params(auth.fhir_base());
  auto pending = smart::begin_authorization(configuration, params);
  BOOST_REQUIRE(pending.ok());
  const auto redirect = test::follow_to_redirect(pending->url, kRedirect);
  auto code = smart::code_from_redirect(redirect, *pending);
  BOOST_REQUIRE_MESSAGE(code.ok(), redirect);
  auto token = smart::exchange_code(configuration, params, *code, pending->code_verifier);
  BOOST_REQUIRE_MESSAGE(token.ok(), (token.ok() ? std::string() : token.error().message));
  BOOST_TEST(token->token_type == "Bearer");
  BOOST_TEST(token->no_store);  // SM-10: Cache-Control: no-store, Pragma: no-cache
  BOOST_TEST(token->scope.find("patient/Patient.rs") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(SM_05_a_wrong_code_verifier_is_invalid_grant) {
  const auto configuration = this->configuration();
  const auto params = app_params(auth.fhir_base());
  auto pending = smart::begin_authorization(configuration, params);
  BOOST_REQUIRE(pending.ok());
  auto code = smart::code_from_redirect(test::follow_to_redirect(pending->url, kRedirect), *pending);
  BOOST_REQUIRE(code.ok());
  auto other = smart::begin_authorization(configuration, params);  // a valid verifier, of another request
  auto token = smart::exchange_code(configuration, params, *code, other->code_verifier);
  BOOST_REQUIRE(!token.ok());
  BOOST_TEST(token.error().expression == "invalid_grant");
  const auto errors = auth.errors();
  BOOST_TEST_MESSAGE(errors);
  BOOST_TEST(errors.find("code_verifier does not match code_challenge") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(SM_06_a_redirect_with_another_state_is_refused) {
  const auto configuration = this->configuration();
  const auto params = app_params(auth.fhir_base());
  auto pending = smart::begin_authorization(configuration, params);
  auto other = smart::begin_authorization(configuration, params);
  BOOST_REQUIRE(pending.ok());
  // The server answers `other`'s request; our pending request must not take it.
  const auto redirect = test::follow_to_redirect(other->url, kRedirect);
  BOOST_TEST(smart::code_from_redirect(redirect, *other).ok());
  auto taken = smart::code_from_redirect(redirect, *pending);
  BOOST_REQUIRE(!taken.ok());
  BOOST_TEST(taken.error().expression == "state");
}

BOOST_AUTO_TEST_CASE(SM_07_a_wrong_aud_is_refused_by_the_server) {
  const auto configuration = this->configuration();
  auto pending = smart::begin_authorization(configuration, app_params("https://other.example.org/fhir"));
  BOOST_REQUIRE(pending.ok());
  auto code = smart::code_from_redirect(test::follow_to_redirect(pending->url, kRedirect), *pending);
  BOOST_REQUIRE(!code.ok());
  BOOST_TEST(code.error().expression == "invalid_request");
  BOOST_TEST(code.error().message.find("aud") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// The EHR launch end to end: crdex answers order-sign with a card whose SMART
// link is a launch; the EHR's authorization server resolves the launch through
// crdex's launch API and puts the context into the app's token response.
BOOST_AUTO_TEST_CASE(SM_17_a_card_smart_link_launches_the_app_with_its_context) {
  test::TempDir dir;
  std::ofstream(dir.path() / "launch.token") << kLaunchToken << "\n";
  test::ServerProcess crdex_server({"--smart-launch-token", (dir.path() / "launch.token").string()});
  BackendKeys keys;
  test::AuthServerProcess auth(R"({"backendJwks":)" + keys.jwks() + R"(,"launchApi":")" + crdex_server.base_url() +
                               R"(/smart/launches","launchToken":")" + kLaunchToken + "\"}");

  // order-sign for a lumbar MRI (Bluestone: a SMART imaging-finder card).
  std::string request = test::order_sign_request(
      test::service_request_entry("mri", "http://www.ama-assn.org/go/cpt", "72148"),
      R"({"coverage":)" + test::coverage("B1", R"([{"display":"Bluestone Health"}])") + "}",
      R"({"davinci-crd.configuration":{"crdex-smart-launch":true}})");
  request = test::replace_first(request, "http://ehr.example.org/fhir", auth.fhir_base());
  const auto answer = test::http_post(crdex_server.base_url() + "/cds-services/crdex-order-sign", request);
  BOOST_REQUIRE_MESSAGE(answer.status == 200, answer.body);
  const auto at = answer.body.find("https://apps.bluestone.example.org/imaging-finder/launch?launch=");
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, answer.body);
  const std::string link = answer.body.substr(at, answer.body.find('"', at) - at);
  BOOST_TEST(answer.body.find("\"type\":\"smart\"") == std::string::npos);
  BOOST_TEST(smart::query_parameter(link, "iss") == auth.fhir_base());
  const std::string launch = smart::query_parameter(link, "launch");

  const auto configuration = smart::fetch_smart_configuration(auth.fhir_base()).value();
  const auto params = app_params(smart::query_parameter(link, "iss"), launch);
  auto pending = smart::begin_authorization(configuration, params);
  BOOST_REQUIRE(pending.ok());
  auto code = smart::code_from_redirect(test::follow_to_redirect(pending->url, kRedirect), *pending);
  BOOST_REQUIRE_MESSAGE(code.ok(), (code.ok() ? std::string() : code.error().message + " " + auth.errors()));
  auto token = smart::exchange_code(configuration, params, *code, pending->code_verifier);
  BOOST_REQUIRE_MESSAGE(token.ok(), (token.ok() ? std::string() : token.error().message));
  BOOST_TEST(token->patient == "123");  // SM-11
  BOOST_TEST(token->encounter == "987");
  BOOST_TEST(token->app_context == "service=72148");
  const std::vector<smart::FhirContextItem> expected{{"ServiceRequest/mri", "", "ServiceRequest", ""},
                                                     {"Coverage/B1", "", "Coverage", ""}};
  BOOST_TEST((token->fhir_context == expected));

  // SM-09: the launch id is used up; a second authorization with it fails.
  auto again = smart::begin_authorization(configuration, params);
  auto refused = smart::code_from_redirect(test::follow_to_redirect(again->url, kRedirect), *again);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().expression == "invalid_request");
  BOOST_TEST(auth.errors().find("no such launch") != std::string::npos);
}
