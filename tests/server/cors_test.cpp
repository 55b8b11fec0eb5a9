// CORS: preflight and response headers for the configured origins only
// (issue 6, item 3); any other origin gets no Access-Control-* header at all.
#include <boost/test/unit_test.hpp>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

constexpr const char* kAllowed = "https://ehr.example.org";
constexpr const char* kOther = "https://ehr.example.org.evil.example";

struct CorsServer {
  test::ServerProcess server{{"--cors-origin", kAllowed, "--cors-origin", "http://localhost:3000"}};
  std::string order_sign() const { return server.base_url() + "/cds-services/crdex-order-sign"; }

  test::HttpResult preflight(const std::string& origin) const {
    return test::http_request("OPTIONS", order_sign(), "", "",
                              {"Origin: " + origin, "Access-Control-Request-Method: POST",
                               "Access-Control-Request-Headers: authorization, content-type"});
  }
  static bool has_cors_headers(const test::HttpResult& response) {
    for (const auto& [name, value] : response.headers)
      if (name.starts_with("access-control-")) return true;
    return false;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(cors, CorsServer)

BOOST_AUTO_TEST_CASE(CORS_preflight_from_a_configured_origin_is_allowed) {
  const auto answer = preflight(kAllowed);
  BOOST_TEST(answer.status == 204);
  BOOST_TEST(answer.header("access-control-allow-origin") == kAllowed);
  BOOST_TEST(answer.header("access-control-allow-methods").find("POST") != std::string::npos);
  const auto headers = answer.header("access-control-allow-headers");
  BOOST_TEST(headers.find("Authorization") != std::string::npos);
  BOOST_TEST(headers.find("Content-Type") != std::string::npos);
  BOOST_TEST(answer.header("vary") == "Origin");
  BOOST_TEST(preflight("http://localhost:3000").header("access-control-allow-origin") == "http://localhost:3000");
}

BOOST_AUTO_TEST_CASE(CORS_preflight_from_another_origin_gets_no_cors_headers) {
  for (const std::string origin : {kOther, "https://EHR.example.org", "null", "http://ehr.example.org"}) {
    const auto answer = preflight(origin);
    BOOST_TEST(!has_cors_headers(answer), origin);
    BOOST_TEST(answer.status == 405, origin);  // an OPTIONS the service does not take
  }
}

BOOST_AUTO_TEST_CASE(CORS_responses_carry_the_origin_only_when_configured) {
  const auto request = test::read_fixture("crd-ig/CRDServiceRequest.json");
  const auto allowed = test::http_request("POST", order_sign(), request, "application/json", {"Origin: " + std::string(kAllowed)});
  BOOST_TEST(allowed.status == 200);
  BOOST_TEST(allowed.header("access-control-allow-origin") == kAllowed);

  const auto other = test::http_request("POST", order_sign(), request, "application/json", {"Origin: " + std::string(kOther)});
  BOOST_TEST(other.status == 200);
  BOOST_TEST(!has_cors_headers(other));
  BOOST_TEST(!has_cors_headers(test::http_post(order_sign(), request)));  // no Origin: not a browser

  // Errors too: a browser must be able to read the OperationOutcome.
  const auto error = test::http_request("POST", order_sign(), "{", "application/json", {"Origin: " + std::string(kAllowed)});
  BOOST_TEST(error.status == 400);
  BOOST_TEST(error.header("access-control-allow-origin") == kAllowed);
}

BOOST_AUTO_TEST_CASE(CORS_off_by_default) {
  test::ServerProcess plain;
  const auto answer = test::http_request("OPTIONS", plain.base_url() + "/cds-services/crdex-order-sign", "", "",
                                         {"Origin: " + std::string(kAllowed), "Access-Control-Request-Method: POST"});
  BOOST_TEST(!has_cors_headers(answer));
}

BOOST_AUTO_TEST_SUITE_END()
