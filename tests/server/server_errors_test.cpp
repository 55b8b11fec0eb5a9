// Every error the server answers is a status plus an OperationOutcome, and no
// input crashes or hangs it (FH-01, CH-05, CRD-22, CRD-24).
#include <boost/test/unit_test.hpp>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/requests.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

struct ErrorTestServer {
  test::ServerProcess server{{"--max-body-bytes", "65536"}};
  std::string url(const std::string& path) const { return server.base_url() + path; }
  std::string order_sign() const { return url("/cds-services/crdex-order-sign"); }

  // The answer is `status` with an OperationOutcome of `code`; returns its diagnostics.
  static std::string expect_outcome(const test::HttpResult& response, long status, const std::string& code) {
    BOOST_TEST(response.status == status, response.body);
    BOOST_TEST(response.header("content-type").starts_with("application/fhir+json"));
    test::Json outcome(response.body);
    BOOST_TEST(std::string_view(outcome.root()["resourceType"]) == "OperationOutcome");
    auto issue = outcome.root()["issue"].at(0);
    BOOST_TEST(std::string_view(issue["severity"]) == "error");
    BOOST_TEST(std::string_view(issue["code"]) == code);
    return std::string(std::string_view(issue["diagnostics"]));
  }
};

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(server_errors, ErrorTestServer)

BOOST_AUTO_TEST_CASE(FH01_malformed_json_is_400) {
  const auto message = expect_outcome(test::http_post(order_sign(), R"({"hook": "order-sign",)"), 400, "structure");
  BOOST_TEST(message.find("not valid JSON") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(HK01_missing_context_field_is_400_naming_it) {
  auto body = test::read_fixture("crd-ig/CRDServiceRequest.json");
  body.replace(body.find("\"patientId\""), 11, "\"patientID\"");
  const auto response = test::http_post(order_sign(), body);
  const auto message = expect_outcome(response, 400, "invalid");
  BOOST_TEST(message == "context.patientId is required");
  test::Json outcome(response.body);
  BOOST_TEST(std::string_view(outcome.root()["issue"].at(0)["expression"].at(0)) == "context.patientId");
}

BOOST_AUTO_TEST_CASE(CH05_unknown_service_and_unknown_paths_are_404) {
  expect_outcome(test::http_post(url("/cds-services/nope"), "{}"), 404, "not-found");
  expect_outcome(test::http_get(url("/")), 404, "not-found");
  expect_outcome(test::http_get(url("/cds-services/crdex-order-sign/extra")), 404, "not-found");
}

BOOST_AUTO_TEST_CASE(wrong_method_is_405_with_allow) {
  const auto get_service = test::http_get(order_sign());
  expect_outcome(get_service, 405, "not-supported");
  BOOST_TEST(get_service.header("allow") == "POST");
  const auto post_discovery = test::http_post(url("/cds-services"), "{}");
  expect_outcome(post_discovery, 405, "not-supported");
  BOOST_TEST(post_discovery.header("allow") == "GET");
  expect_outcome(test::http_request("DELETE", order_sign()), 405, "not-supported");
}

BOOST_AUTO_TEST_CASE(wrong_content_type_is_415) {
  const auto body = test::read_fixture("crd-ig/CRDServiceRequest.json");
  expect_outcome(test::http_post(order_sign(), body, "text/plain"), 415, "not-supported");
  expect_outcome(test::http_post(order_sign(), body, "application/x-www-form-urlencoded"), 415, "not-supported");
  expect_outcome(test::http_post(order_sign(), body, ""), 415, "not-supported");
}

BOOST_AUTO_TEST_CASE(body_over_the_limit_is_413) {
  // The fixture server allows 64 KiB; pad a valid request past it.
  auto body = test::read_fixture("crd-ig/CRDServiceRequest.json");
  body.insert(body.size() - 1, R"(,"padding":")" + std::string(70 * 1024, 'x') + "\"");
  const auto message = expect_outcome(test::http_post(order_sign(), body), 413, "too-costly");
  BOOST_TEST(message.find("65536") != std::string::npos);
  // Far beyond the limit: the same OperationOutcome (issue 15; Pistache's own
  // plain-text 413 is never reached).
  const auto far = expect_outcome(test::http_post(order_sign(), std::string(4 << 20, ' ')), 413, "too-costly");
  BOOST_TEST(far.find("65536") != std::string::npos);
  // And the server carries on.
  BOOST_TEST(test::http_get(url("/cds-services")).status == 200);
}

BOOST_AUTO_TEST_CASE(CRD22_coverage_of_another_payer_is_400) {
  auto body = test::read_fixture("crd-ig/CRDServiceRequest.json");
  replace_all(body, "Organization/acme-payer", "Organization/other-payer");
  replace_all(body, "Acme Health Plan", "Other Insurance");
  const auto message = expect_outcome(test::http_post(order_sign(), body), 400, "business-rule");
  BOOST_TEST(message.find("Other Insurance") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(CH19_missing_coverage_prefetch_is_412) {
  expect_outcome(test::http_post(order_sign(), test::read_fixture("crd-ig/CRDServiceRequest3.json")), 412,
                 "not-found");
}

BOOST_AUTO_TEST_CASE(hostile_inputs_get_4xx_and_the_server_survives) {
  const std::string deep(100000, '[');
  const std::string inputs[] = {
      "",
      "null",
      "\"just a string\"",
      deep,
      std::string("{\"hook\":\"order-sign\",\"hookInstance\":\"x\",\"context\":\xff\xfe}"),
      R"({"hook":"order-sign","hookInstance":"x","context":{"userId":1e999999,"patientId":"1","draftOrders":{}}})",
      R"({"hook":"order-sign","hookInstance":"x","context":{"userId":"a","patientId":"1",
          "draftOrders":{"resourceType":"Bundle","entry":[null, 5, {"resource":[]}]}}})",
      R"({"hook":"order-sign","hookInstance":"x","context":{"userId":"a","patientId":"1",
          "draftOrders":{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"ServiceRequest","id":"1",
          "extension":"not-an-array","code":{"coding":"nope"}}}]}},"prefetch":{"coverage":[]}})",
  };
  for (const auto& input : inputs) {
    const auto response = test::http_post(order_sign(), input);
    BOOST_TEST((response.status >= 400 && response.status < 500), response.status << " for " << input.substr(0, 60));
  }
  BOOST_TEST(test::http_get(url("/cds-services")).status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
