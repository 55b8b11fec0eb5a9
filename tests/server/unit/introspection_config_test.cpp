// The "introspection" member of an authorization server entry (file of
// --authorization-servers; docs/security.md, "Opaque access tokens"): what is
// accepted (the shipped example, client_secret_basic, private_key_jwt) and
// what stops start-up. The calls themselves are tested end to end with the
// suite's oidc-provider (tests/smart/token_introspection_test.cpp).
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "client_registry.hpp"
#include "crdex/smart/random_token.hpp"
#include "crdex/smart/signing_key.hpp"
#include "support/fixtures.hpp"

using namespace crdex;
using namespace crdex::server;

namespace {

struct IntrospectionConfigDir {
  test::TempDir dir;
  const std::string secret = smart::random_token();
  IntrospectionConfigDir() {
    std::ofstream(dir.path() / "introspection-secret") << secret << "\n";
    std::ofstream(dir.path() / "short-secret") << "short\n";
    auto key = smart::SigningKey::generate(smart::JwsAlgorithm::ES384, "crdex-rs-1");
    BOOST_REQUIRE(key.ok());
    std::ofstream(dir.path() / "crdex-rs.pem") << key->private_pem();
  }
  fhir::Result<ClientRegistry> parse(const std::string& introspection, const std::string& keys = {},
                                     std::string_view list_key = "authorization_servers") const {
    return parse_client_registry(R"({")" + std::string(list_key) + R"(":[{"iss":"https://as.example.org")" + keys +
                                     R"(,"introspection":)" + introspection + "}]}",
                                 dir.path(), list_key);
  }
};

constexpr const char* kBasic =
    R"({"endpoint":"https://as.example.org/introspect","client_id":"crdex","client_secret_file":"introspection-secret"})";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(server_introspection_config, IntrospectionConfigDir)

BOOST_AUTO_TEST_CASE(the_shipped_example_parses_with_its_secret_beside_it) {
  std::ifstream in(test::source_dir() / "examples" / "authorization-servers.json");
  std::ostringstream text;
  text << in.rdbuf();
  auto registry = parse_client_registry(text.str(), dir.path(), "authorization_servers");
  BOOST_REQUIRE_MESSAGE(registry.ok(), (registry.ok() ? std::string() : registry.error().message));
  const TrustedClient* payer = registry->find("https://auth.payer.example");
  BOOST_REQUIRE(payer);
  BOOST_REQUIRE(payer->introspection);
  BOOST_TEST(payer->introspection->client_secret == secret);
  BOOST_TEST(!payer->has_keys());
  BOOST_TEST(!registry->find("https://auth.ehr.example")->introspection);
  BOOST_TEST(registry->settings.introspection_cache_seconds == 60);
}

BOOST_AUTO_TEST_CASE(client_secret_basic_and_private_key_jwt_are_read) {
  auto basic = parse(kBasic);
  BOOST_REQUIRE(basic.ok());
  const auto& endpoint = *basic->find("https://as.example.org")->introspection;
  BOOST_TEST(endpoint.url == "https://as.example.org/introspect");
  BOOST_TEST((endpoint.auth == IntrospectionEndpoint::Auth::client_secret_basic));
  BOOST_TEST(!endpoint.jwts);

  auto signed_in = parse(R"({"endpoint":"http://127.0.0.1:9/introspect","client_id":"crdex","auth":"private_key_jwt",)"
                         R"("key_file":"crdex-rs.pem","kid":"crdex-rs-1","algorithm":"ES384","introspect_jwts":true})",
                         R"(,"jwks_url":"https://as.example.org/jwks")");
  BOOST_REQUIRE_MESSAGE(signed_in.ok(), (signed_in.ok() ? std::string() : signed_in.error().message));
  const auto& jwt_endpoint = *signed_in->find("https://as.example.org")->introspection;
  BOOST_TEST((jwt_endpoint.auth == IntrospectionEndpoint::Auth::private_key_jwt));
  BOOST_TEST(jwt_endpoint.key != nullptr);
  BOOST_TEST(jwt_endpoint.jwts);
}

BOOST_AUTO_TEST_CASE(bad_introspection_settings_stop_start_up) {
  // Only for authorization servers: a CDS client is never introspected.
  BOOST_TEST(!parse(kBasic, R"(,"jwks_url":"https://as.example.org/jwks")", "clients").ok());
  // Plain http only to loopback: a token never crosses the network in clear.
  BOOST_TEST(!parse(R"({"endpoint":"http://as.example.org/introspect","client_id":"crdex",)"
                    R"("client_secret_file":"introspection-secret"})")
                  .ok());
  BOOST_TEST(!parse(R"({"endpoint":"https://as.example.org/i","client_id":"crdex","client_secret_file":"short-secret"})")
                  .ok());
  BOOST_TEST(!parse(R"({"endpoint":"https://as.example.org/i","client_id":"crdex","client_secret_file":"missing"})")
                  .ok());
  BOOST_TEST(!parse(R"({"endpoint":"https://as.example.org/i","client_id":"crdex","auth":"client_secret_post",)"
                    R"("client_secret_file":"introspection-secret"})")
                  .ok());
  BOOST_TEST(!parse(R"({"endpoint":"https://as.example.org/i","client_id":"crdex","auth":"private_key_jwt",)"
                    R"("key_file":"crdex-rs.pem","kid":"k","algorithm":"HS256"})")
                  .ok());
  BOOST_TEST(!parse(R"({"endpoint":"https://as.example.org/i","client_secret_file":"introspection-secret"})").ok());
  BOOST_TEST(!parse_client_registry(R"({"authorization_servers":[{"iss":"https://as.example.org"}]})", dir.path(),
                                    "authorization_servers")
                  .ok());  // neither keys nor introspection
  BOOST_TEST(!parse_client_registry(R"({"authorization_servers":[{"iss":"https://as.example.org","introspection":)" +
                                        std::string(kBasic) + R"(}],"settings":{"introspection_cache_seconds":301}})",
                                    dir.path(), "authorization_servers")
                  .ok());
}

BOOST_AUTO_TEST_SUITE_END()
