// Which fhirServer a CDS client may name (server/fhir_server_allowlist.hpp):
// its registration's "fhir_servers", or without them its issuer's origin.

#include <boost/test/unit_test.hpp>

#include "client_registry.hpp"
#include "fhir_server_allowlist.hpp"

using namespace crdex::server;

namespace {

TrustedClient allowlist_client(const char* registration) {
  const std::string json = std::string(R"({"clients":[)") + registration + "]}";
  auto registry = parse_client_registry(json, ".");
  if (!registry) BOOST_FAIL(registry.error().message);
  return registry->clients.begin()->second;
}

constexpr const char* kAllowlistKeys = R"("jwks_url":"https://ehr.allow.example/jwks")";

}  // namespace

BOOST_AUTO_TEST_SUITE(fhir_server_allowlist)

BOOST_AUTO_TEST_CASE(origins_are_normalised) {
  BOOST_TEST(url_origin("HTTPS://EHR.Example.org:443/fhir/R4") == "https://ehr.example.org");
  BOOST_TEST(url_origin("http://ehr.example.org:80") == "http://ehr.example.org");
  BOOST_TEST(url_origin("https://ehr.example.org:8443/x?y") == "https://ehr.example.org:8443");
  BOOST_TEST(url_origin("https://[::1]:443/fhir") == "https://[::1]");
  BOOST_TEST(url_origin("file:///etc/passwd").empty());
  BOOST_TEST(url_origin("https://ehr.example.org@evil.example/fhir").empty());
  BOOST_TEST(url_origin("ehr.example.org/fhir").empty());
}

BOOST_AUTO_TEST_CASE(without_a_list_only_the_issuers_own_origin_is_allowed) {
  const auto client = allowlist_client(
      (std::string(R"({"iss":"https://ehr.allow.example/oauth",)") + kAllowlistKeys + "}").c_str());
  BOOST_TEST(!client.fhir_servers.has_value());
  BOOST_TEST(fhir_server_allowed(client, "https://ehr.allow.example/fhir/R4"));
  BOOST_TEST(fhir_server_allowed(client, "https://EHR.allow.example:443/other/"));
  BOOST_TEST(!fhir_server_allowed(client, "http://ehr.allow.example/fhir"));         // another scheme
  BOOST_TEST(!fhir_server_allowed(client, "https://ehr.allow.example:8443/fhir"));   // another port
  BOOST_TEST(!fhir_server_allowed(client, "https://ehr.allow.example.evil/fhir"));   // another host
  BOOST_TEST(!fhir_server_allowed(client, "https://ehr.allow.example@169.254.169.254/"));
  BOOST_TEST(!fhir_server_allowed(client, "https://169.254.169.254/latest/meta-data"));
  BOOST_TEST(!fhir_server_allowed(client, "gopher://ehr.allow.example/fhir"));
}

BOOST_AUTO_TEST_CASE(a_list_allows_exactly_its_base_urls) {
  const auto client = allowlist_client((std::string(R"({"iss":"https://ehr.allow.example",)") + kAllowlistKeys +
                                        R"(,"fhir_servers":["https://fhir.allow.example/r4/","https://b.example/fhir"]})")
                                           .c_str());
  BOOST_REQUIRE(client.fhir_servers.has_value());
  BOOST_TEST(fhir_server_allowed(client, "https://fhir.allow.example/r4"));
  BOOST_TEST(fhir_server_allowed(client, "https://FHIR.allow.example/r4/"));
  BOOST_TEST(fhir_server_allowed(client, "https://b.example:443/fhir"));
  BOOST_TEST(!fhir_server_allowed(client, "https://fhir.allow.example/r4/../admin"));
  BOOST_TEST(!fhir_server_allowed(client, "https://fhir.allow.example/r4?x=1"));
  BOOST_TEST(!fhir_server_allowed(client, "https://fhir.allow.example/R4"));  // paths are case-sensitive
  BOOST_TEST(!fhir_server_allowed(client, "https://ehr.allow.example/fhir"));  // the list replaces the origin rule
}

BOOST_AUTO_TEST_CASE(an_empty_list_allows_no_fhir_server_and_the_refusal_says_why) {
  const auto client = allowlist_client(
      (std::string(R"({"iss":"https://ehr.allow.example",)") + kAllowlistKeys + R"(,"fhir_servers":[]})").c_str());
  BOOST_TEST(!fhir_server_allowed(client, "https://ehr.allow.example/fhir"));
  const auto refused = refuse_unlisted_fhir_server(client, R"({"hook":"order-sign","fhirServer":"https://ehr.allow.example/fhir"})");
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->status == 403);
  BOOST_TEST(refused->body.find("OperationOutcome") != std::string::npos);
  BOOST_TEST(refused->body.find("send the prefetch") != std::string::npos, refused->body);
  // No fhirServer, or a body the engine will refuse itself: nothing to refuse here.
  BOOST_TEST(!refuse_unlisted_fhir_server(client, R"({"hook":"order-sign"})").has_value());
  BOOST_TEST(!refuse_unlisted_fhir_server(client, "not json").has_value());
}

BOOST_AUTO_TEST_CASE(a_bad_list_stops_start_up) {
  const std::string json = std::string(R"({"clients":[{"iss":"https://a.example",)") + kAllowlistKeys +
                           R"(,"fhir_servers":["ftp://a.example/fhir"]}]})";
  const auto registry = parse_client_registry(json, ".");
  BOOST_REQUIRE(!registry.ok());
  BOOST_TEST(registry.error().message.find("http(s) URL") != std::string::npos, registry.error().message);
}

BOOST_AUTO_TEST_SUITE_END()
