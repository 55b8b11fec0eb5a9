// The Direct Query client against a real FHIR server (tests/fhir-server):
// bearer token (CH-16), paging (CH-20), parallel queries, failures (CRD-19),
// the deadline, and where tokens may be sent.
#include <boost/test/unit_test.hpp>

#include "crdex/fhir/direct_query.hpp"
#include "support/fhir_server_process.hpp"
#include "support/json_checks.hpp"

using namespace crdex;
using Outcome = fhir::QueryAnswer::Outcome;

namespace {

constexpr auto kQueryToken = "dq-test-token-7f3a";

std::string coverage(int n) {
  return R"({"resourceType":"Coverage","id":"cov-)" + std::to_string(n) +
         R"(","status":"active","beneficiary":{"reference":"Patient/123"},"payor":[{"display":"Acme Health Plan"}]})";
}

struct FhirServer {
  test::FhirServerProcess fhir;

  std::vector<fhir::QueryAnswer> run(std::vector<std::string> queries, int max_pages = 5,
                                     std::chrono::milliseconds budget = std::chrono::seconds(20),
                                     std::string base = {}) const {
    fhir::DirectQueryOptions options;
    options.deadline = std::chrono::steady_clock::now() + budget;
    options.max_pages = max_pages;
    const std::string url = base.empty() ? fhir.fhir_url() : base;
    return fhir::run_direct_queries({url, kQueryToken}, queries, options);
  }

  static size_t entries(const fhir::QueryAnswer& answer) {
    test::Json bundle(answer.body);
    simdjson::dom::array entries;
    return bundle.root()["entry"].get(entries) == simdjson::SUCCESS ? entries.size() : 0;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(direct_query, FhirServer)

BOOST_AUTO_TEST_CASE(CH16_read_sends_the_bearer_token) {
  fhir.seed(R"({"resourceType":"Patient","id":"123","gender":"female"})");
  const auto answers = run({"Patient/123"});
  BOOST_TEST_REQUIRE(answers.size() == 1u);
  BOOST_TEST_REQUIRE(answers[0].ok(), answers[0].problem);
  test::Json patient(answers[0].body);
  BOOST_TEST(std::string_view(patient.root()["id"]) == "123");
  const auto log = fhir.request_log();
  BOOST_TEST(log.find(R"("url":"/fhir/Patient/123","authorization":"Bearer dq-test-token-7f3a")") != std::string::npos,
             log);
}

BOOST_AUTO_TEST_CASE(CH20_search_follows_next_links_into_one_bundle) {
  fhir.seed(R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":)" + coverage(1) + "},{\"resource\":" +
            coverage(2) + "},{\"resource\":" + coverage(3) + "},{\"resource\":" + coverage(4) + "},{\"resource\":" +
            coverage(5) + "}]}");
  fhir.set_page_size(2);
  const auto answers = run({"Coverage?patient=123&status=active"});
  BOOST_TEST_REQUIRE(answers[0].ok(), answers[0].problem);
  BOOST_TEST(answers[0].pages == 3);
  BOOST_TEST(entries(answers[0]) == 5u);
  test::Json bundle(answers[0].body);
  BOOST_TEST(std::string_view(bundle.root()["type"]) == "searchset");
  BOOST_TEST(int64_t(bundle.root()["total"]) == 5);
  // Every page was asked for with the token.
  const auto log = fhir.request_log();
  BOOST_TEST(log.find("_offset=4") != std::string::npos, log);
  BOOST_TEST(log.find(R"("authorization":null)") == std::string::npos, log);
}

BOOST_AUTO_TEST_CASE(CH20_paging_stops_at_the_page_cap) {
  fhir.seed(R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":)" + coverage(1) + "},{\"resource\":" +
            coverage(2) + "},{\"resource\":" + coverage(3) + "}]}");
  fhir.set_page_size(1);
  const auto answers = run({"Coverage?patient=123"}, 2);
  BOOST_TEST_REQUIRE(answers[0].ok(), answers[0].problem);
  BOOST_TEST(answers[0].pages == 2);
  BOOST_TEST(entries(answers[0]) == 2u);
}

BOOST_AUTO_TEST_CASE(parallel_queries_answer_in_order) {
  fhir.seed(R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"123"}},
    {"resource":{"resourceType":"Practitioner","id":"DEF"}},{"resource":{"resourceType":"Practitioner","id":"XYZ"}}]})");
  const auto answers = run({"Patient/123", "Practitioner?_id=DEF,XYZ,nope", "Patient/missing"});
  BOOST_TEST_REQUIRE(answers.size() == 3u);
  BOOST_TEST(answers[0].ok());
  BOOST_TEST_REQUIRE(answers[1].ok(), answers[1].problem);
  BOOST_TEST(entries(answers[1]) == 2u);
  BOOST_TEST((answers[2].outcome == Outcome::http_error));
  BOOST_TEST(answers[2].http_status == 404);
}

BOOST_AUTO_TEST_CASE(CRD19_server_error_and_reset_are_reported) {
  fhir.set_fault(R"({"status":500})");
  auto answers = run({"Patient/123"});
  BOOST_TEST((answers[0].outcome == Outcome::http_error));
  BOOST_TEST(answers[0].http_status == 500);
  BOOST_TEST(answers[0].problem.find("500") != std::string::npos);

  fhir.set_fault(R"({"reset":true})");
  answers = run({"Patient/123"});
  BOOST_TEST((answers[0].outcome == Outcome::unreachable), answers[0].problem);
}

BOOST_AUTO_TEST_CASE(slow_server_is_abandoned_at_the_deadline) {
  fhir.seed(R"({"resourceType":"Patient","id":"123"})");
  fhir.set_fault(R"({"delayMs":8000,"match":"Patient/123"})");
  const auto start = std::chrono::steady_clock::now();
  const auto answers = run({"Patient/123", "Patient?_id=123"}, 5, std::chrono::milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST((answers[0].outcome == Outcome::timed_out), answers[0].problem);
  BOOST_TEST(answers[1].ok(), answers[1].problem);  // the fast one still counts
  // Far below the 8 s the server waits: the deadline, not the server, ended it.
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 4000);
}

BOOST_AUTO_TEST_CASE(CH19_dead_server_is_unreachable) {
  const auto answers =
      run({"Patient/123"}, 5, std::chrono::seconds(20), "http://127.0.0.1:" + std::to_string(test::dead_local_port()) + "/fhir");
  BOOST_TEST((answers[0].outcome == Outcome::unreachable));
  BOOST_TEST(answers[0].problem.find(kQueryToken) == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// No FHIR server needed: the policy is checked before any connection.
BOOST_AUTO_TEST_SUITE(direct_query_policy)

BOOST_AUTO_TEST_CASE(tokens_go_over_https_or_to_loopback_only) {
  BOOST_TEST(!fhir::check_fhir_server_url("https://ehr.example.org/fhir", false).has_value());
  BOOST_TEST(!fhir::check_fhir_server_url("http://127.0.0.1:8080/fhir", false).has_value());
  BOOST_TEST(!fhir::check_fhir_server_url("http://localhost/fhir", false).has_value());
  BOOST_TEST(!fhir::check_fhir_server_url("http://[::1]:9/fhir", false).has_value());
  BOOST_TEST(fhir::check_fhir_server_url("http://ehr.example.org/fhir", false).has_value());
  BOOST_TEST(fhir::check_fhir_server_url("http://127.0.0.1.example.org/fhir", false).has_value());
  BOOST_TEST(!fhir::check_fhir_server_url("http://ehr.example.org/fhir", true).has_value());
  BOOST_TEST(fhir::check_fhir_server_url("ftp://ehr.example.org/fhir", true).has_value());
  BOOST_TEST(fhir::check_fhir_server_url("not a url", true).has_value());
  // Refused before any traffic.
  fhir::DirectQueryOptions options;
  options.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const std::vector<std::string> queries{"Patient/123"};
  const auto answers = fhir::run_direct_queries({"http://ehr.example.org/fhir", kQueryToken}, queries, options);
  BOOST_TEST((answers[0].outcome == Outcome::unreachable));
  BOOST_TEST(answers[0].problem.find("https") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
