#pragma once
// A real crdex-server with a rule store and two payers' publisher tokens, and
// the helpers the rule publishing tests share (rules_api_test.cpp: the API;
// rules_durability_test.cpp: SIGKILL during publish, publish under load).

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <memory>
#include <string>
#include <utility>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/requests.hpp"
#include "support/server_process.hpp"

namespace crdex::test::publishing {

inline constexpr const char* kAcme = "acme-health-plan";
inline constexpr const char* kAcmeToken = "acme-publisher-token-0123456789";
inline constexpr const char* kBluestoneToken = "bluestone-publisher-token-0123456789";

// An Acme rule set whose default outcome says `pa_needed`, with `filler`
// extra rules so that a publish has some work to do.
inline std::string acme_rules(const std::string& pa_needed, int filler = 0) {
  std::string rules;
  for (int i = 0; i < filler; ++i)
    rules += std::string(i ? "," : "") + R"({"id":"filler-)" + std::to_string(i) +
             R"(","when":{"codes":[{"system":"http://example.org/filler","code":"F)" + std::to_string(i) +
             R"("}]},"then":{"covered":"covered","pa-needed":"no-auth"}})";
  return R"({"schema":"crdex-rules/1",
    "payer":{"id":"acme-health-plan","name":"Acme Health Plan","identifiedBy":{
      "references":["Organization/acme-payer"],
      "identifiers":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1234567893"}],
      "displays":["Acme Health Plan"]}},
    "defaultOutcome":{"covered":"covered","pa-needed":")" +
         pa_needed + R"(","doc-needed":["clinical"],"doc-purpose":["withpa"],"reason":[{"text":"Plan policy"}]},
    "rules":[)" + rules + "]}";
}

inline std::string acme_no_auth(int filler = 0) {
  return R"({"schema":"crdex-rules/1",
    "payer":{"id":"acme-health-plan","name":"Acme Health Plan","identifiedBy":{
      "references":["Organization/acme-payer"],
      "identifiers":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1234567893"}],
      "displays":["Acme Health Plan"]}},
    "defaultOutcome":{"covered":"covered","pa-needed":"no-auth"},"rules":[)" +
         [&] {
           std::string rules;
           for (int i = 0; i < filler; ++i)
             rules += std::string(i ? "," : "") + R"({"id":"f)" + std::to_string(i) +
                      R"(","when":{"codes":[{"system":"http://example.org/filler","code":"F)" + std::to_string(i) +
                      R"("}]},"then":{"covered":"covered"}})";
           return rules;
         }() +
         "]}";
}

// An order for a code no rule names: it gets the default outcome.
inline std::string unlisted_order_request() {
  return test::order_sign_request(test::service_request_entry("sr-1", kCpt, "99999"),
                                  R"({"coverage":)" + test::ig_coverage_bundle() + "}");
}

inline std::string bearer(const std::string& token) { return "Authorization: Bearer " + token; }

// A running server whose data directory outlives restarts, with both example
// payers' publisher tokens configured.
struct PublishingServer {
  test::TempDir dir;
  std::string data = (dir.path() / "data").string();
  std::unique_ptr<test::ServerProcess> server;

  PublishingServer() {
    write_token("acme.token", kAcmeToken);
    write_token("bluestone.token", kBluestoneToken);
    start();
  }
  void write_token(const std::string& name, const std::string& token) {
    std::ofstream(dir.path() / name) << token << "\n";
  }
  void start() {
    server = std::make_unique<test::ServerProcess>(
        std::vector<std::string>{"--publisher-token", std::string(kAcme) + "=" + (dir.path() / "acme.token").string(),
                                 "--publisher-token",
                                 "bluestone-health=" + (dir.path() / "bluestone.token").string(), "--allow-rule-trace"},
        std::string(), true, data);
  }
  std::string url(const std::string& path) const { return server->base_url() + path; }

  test::HttpResult call(const std::string& method, const std::string& path, const std::string& body = {},
                        const std::string& token = kAcmeToken) const {
    std::vector<std::string> headers;
    if (!token.empty()) headers.push_back(bearer(token));
    return test::http_request(method, url(path), body, "application/json", headers);
  }
  test::HttpResult publish(const std::string& document, const std::string& token = kAcmeToken) const {
    return call("PUT", "/payers/acme-health-plan/rules", document, token);
  }
  // pa-needed of the single order of `unlisted_order_request`, and the
  // rule-set version its coverage-assertion-id names.
  std::pair<std::string, std::string> decision() const {
    const auto response = test::http_post(url("/cds-services/crdex-order-sign"), unlisted_order_request());
    BOOST_TEST_REQUIRE(response.status == 200, response.body);
    test::Json answer(response.body);
    auto resource = answer.root()["systemActions"].at(0)["resource"].value();
    return {test::coverage_information_code(resource, "pa-needed"),
            test::coverage_information_code(resource, "coverage-assertion-id")};
  }
};

// "acme-health-plan.v3.<uuid>" -> "3"
inline std::string version_of_assertion(const std::string& assertion_id) {
  const auto start = assertion_id.find(".v");
  if (start == std::string::npos) return {};
  const auto end = assertion_id.find('.', start + 2);
  return assertion_id.substr(start + 2, end - start - 2);
}

inline int64_t int_of(const std::string& body, const char* key) {
  test::Json json(body);
  return json.root()[key].get_int64().value();
}

}  // namespace crdex::test::publishing
