// SMART clients without a network: v2 scopes, the smart-configuration checks,
// PKCE, the authorize URL, the redirect's state and token responses.
// SM-02, SM-03, SM-05, SM-06, SM-10, SM-12, SM-13.
#include <boost/test/unit_test.hpp>

#include "crdex/smart/authorization_code.hpp"
#include "crdex/smart/scopes.hpp"
#include "crdex/smart/smart_configuration.hpp"
#include "crdex/smart/token_response.hpp"

using namespace crdex::smart;

namespace {

const std::string kConfiguration = R"({
  "issuer":"https://ehr.example.org","jwks_uri":"https://ehr.example.org/jwks",
  "authorization_endpoint":"https://ehr.example.org/auth","token_endpoint":"https://ehr.example.org/token",
  "grant_types_supported":["authorization_code","client_credentials"],
  "capabilities":["launch-ehr","client-public","sso-openid-connect","permission-v2"],
  "code_challenge_methods_supported":["S256"],"scopes_supported":["openid","launch"]})";

std::string with(std::string json, const std::string& from, const std::string& to) {
  const auto at = json.find(from);
  BOOST_REQUIRE(at != std::string::npos);
  return json.replace(at, from.size(), to);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(smart_clients)

BOOST_AUTO_TEST_CASE(SM_13_v1_scopes_map_to_v2_and_bad_scopes_are_named) {
  BOOST_TEST(*normalize_scope("patient/Observation.read") == "patient/Observation.rs");
  BOOST_TEST(*normalize_scope("user/*.write") == "user/*.cud");
  BOOST_TEST(*normalize_scope("system/Patient.*") == "system/Patient.cruds");
  BOOST_TEST(*normalize_scope("patient/Observation.rs?category=vital-signs") ==
             "patient/Observation.rs?category=vital-signs");
  BOOST_TEST(*normalize_scope("launch/patient") == "launch/patient");
  BOOST_TEST(*normalize_scopes("openid  fhirUser launch patient/Patient.read") ==
             "openid fhirUser launch patient/Patient.rs");
  BOOST_TEST(!normalize_scope("patient/Observation.sr").ok());  // out of order
  BOOST_TEST(!normalize_scope("group/Observation.rs").ok());
  BOOST_TEST(!normalize_scope("patient/observation.rs").ok());
  BOOST_TEST(!normalize_scope("launch/Patient").ok());
  BOOST_TEST(normalize_scopes("patient/x").error().expression == "scope");
  BOOST_TEST(!normalize_scopes("   ").ok());
}

BOOST_AUTO_TEST_CASE(SM_02_smart_configuration_needs_its_required_fields) {
  auto good = parse_smart_configuration(kConfiguration);
  BOOST_REQUIRE(good.ok());
  BOOST_TEST(good->has_capability("launch-ehr"));
  BOOST_TEST(good->supports_grant("client_credentials"));

  const std::pair<std::string, std::string> broken[] = {
      {with(kConfiguration, R"("token_endpoint":"https://ehr.example.org/token",)", ""), "token_endpoint"},
      {with(kConfiguration, R"(["S256"])", R"(["S256","plain"])"), "code_challenge_methods_supported"},
      {with(kConfiguration, R"(["S256"])", R"(["plain"])"), "code_challenge_methods_supported"},
      {with(kConfiguration, R"("capabilities":[)", R"("capabilitiez":[)"), "capabilities"},
      {with(kConfiguration, R"("authorization_endpoint":"https://ehr.example.org/auth",)", ""),
       "authorization_endpoint"},
      {with(kConfiguration, R"("jwks_uri":"https://ehr.example.org/jwks",)", ""), "jwks_uri"},
      {with(kConfiguration, R"("grant_types_supported":["authorization_code","client_credentials"],)", ""),
       "grant_types_supported"},
  };
  for (const auto& [json, field] : broken) {
    auto parsed = parse_smart_configuration(json);
    BOOST_REQUIRE_MESSAGE(!parsed.ok(), field);
    BOOST_TEST(parsed.error().expression == field);
  }
}

BOOST_AUTO_TEST_CASE(SM_03_endpoints_must_be_absolute_urls) {
  auto relative = parse_smart_configuration(with(kConfiguration, "\"https://ehr.example.org/token\"", "\"/token\""));
  BOOST_REQUIRE(!relative.ok());
  BOOST_TEST(relative.error().expression == "token_endpoint");
  BOOST_TEST(!parse_smart_configuration(with(kConfiguration, "\"https://ehr.example.org/auth\"", "\"ehr/auth\"")).ok());
}

// RFC 7636 appendix B.
BOOST_AUTO_TEST_CASE(SM_05_s256_challenge_matches_rfc7636) {
  BOOST_TEST(code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
             "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

BOOST_AUTO_TEST_CASE(SM_05_the_authorize_url_carries_every_smart_parameter) {
  auto configuration = parse_smart_configuration(kConfiguration);
  BOOST_REQUIRE(configuration.ok());
  AuthorizationParams params{"dtr-app", "https://app.example.org/callback", "launch openid patient/Patient.read",
                             "https://ehr.example.org/fhir", "launch-123"};
  auto pending = begin_authorization(*configuration, params);
  BOOST_REQUIRE(pending.ok());
  const auto& url = pending->url;
  BOOST_TEST(url.starts_with("https://ehr.example.org/auth?"));
  BOOST_TEST(query_parameter(url, "response_type") == "code");
  BOOST_TEST(query_parameter(url, "client_id") == "dtr-app");
  BOOST_TEST(query_parameter(url, "redirect_uri") == "https://app.example.org/callback");
  BOOST_TEST(query_parameter(url, "scope") == "launch openid patient/Patient.rs");
  BOOST_TEST(query_parameter(url, "aud") == "https://ehr.example.org/fhir");
  BOOST_TEST(query_parameter(url, "launch") == "launch-123");
  BOOST_TEST(query_parameter(url, "state") == pending->state);
  BOOST_TEST(pending->state.size() >= 21u);  // ≥ 122 bits of base64url
  BOOST_TEST(query_parameter(url, "code_challenge_method") == "S256");
  BOOST_TEST(query_parameter(url, "code_challenge") == code_challenge_s256(pending->code_verifier));
  BOOST_TEST(url.find(pending->code_verifier) == std::string::npos);

  auto other = begin_authorization(*configuration, params);
  BOOST_TEST(other->state != pending->state);
  BOOST_TEST(other->code_verifier != pending->code_verifier);

  params.aud = "";
  BOOST_TEST(begin_authorization(*configuration, params).error().expression == "aud");
}

BOOST_AUTO_TEST_CASE(SM_06_the_redirect_must_carry_our_state_exactly) {
  PendingAuthorization pending{"", "state-abc", "verifier"};
  auto good = code_from_redirect("https://app.example.org/callback?code=c1&state=state-abc", pending);
  BOOST_REQUIRE(good.ok());
  BOOST_TEST(*good == "c1");
  for (const char* url : {"https://app.example.org/callback?code=c1&state=state-abd",
                          "https://app.example.org/callback?code=c1&state=state-ab",
                          "https://app.example.org/callback?code=c1"}) {
    auto refused = code_from_redirect(url, pending);
    BOOST_REQUIRE(!refused.ok());
    BOOST_TEST(refused.error().expression == "state");
  }
  auto denied = code_from_redirect("https://app.example.org/callback?error=access_denied&state=state-abc", pending);
  BOOST_REQUIRE(!denied.ok());
  BOOST_TEST(denied.error().expression == "access_denied");
}

BOOST_AUTO_TEST_CASE(SM_10_token_responses_carry_the_launch_context) {
  auto token = parse_token_response(R"({"access_token":"at","token_type":"bearer","expires_in":3600,
    "scope":"launch patient/Patient.rs","patient":"123","encounter":"987","appContext":"service=72148",
    "fhirContext":[{"reference":"ServiceRequest/mri"},{"canonical":"http://q|1","type":"Questionnaire"}]})");
  BOOST_REQUIRE(token.ok());
  BOOST_TEST(token->patient == "123");
  BOOST_TEST(token->encounter == "987");
  BOOST_TEST(token->expires_in == 3600);
  BOOST_REQUIRE(token->fhir_context.size() == 2u);
  BOOST_TEST(token->fhir_context[1].canonical == "http://q|1");

  BOOST_TEST(parse_token_response(R"({"access_token":"at","token_type":"mac"})").error().expression == "token_type");
  BOOST_TEST(!parse_token_response(R"({"token_type":"Bearer"})").ok());
  BOOST_TEST(parse_token_response(R"({"access_token":"a","token_type":"Bearer","fhirContext":[{"role":"x"}]})")
                 .error()
                 .expression == "fhirContext[0]");
  const auto error = token_error(400, R"({"error":"invalid_grant","error_description":"grant request is invalid"})");
  BOOST_TEST(error.expression == "invalid_grant");
  BOOST_TEST(error.message == "invalid_grant: grant request is invalid");
  BOOST_TEST(token_error(401, R"({"error":"invalid_client"})").http_status == 401);
}

BOOST_AUTO_TEST_SUITE_END()
