// GET /metrics (docs/operations.md): the Prometheus text of a running
// server, scraped during a run of hook calls, holds the counts they made.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/requests.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

// The value of the sample line `series` ("name{labels}" as exposed), or -1.
double metrics_sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line))
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  return -1;
}

test::HttpResult metrics_scrape(const test::ServerProcess& server) {
  auto scraped = test::http_get(server.base_url() + "/metrics");
  BOOST_TEST_REQUIRE(scraped.status == 200, scraped.body);
  BOOST_TEST(scraped.header("content-type").starts_with("text/plain; version=0.0.4"));
  return scraped;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(scrape_during_hook_calls_finds_their_counts) {
  test::ServerProcess server;
  const auto order_sign = test::read_fixture("crd-ig/CRDServiceRequest.json");
  const std::string call = server.base_url() + "/cds-services/crdex-order-sign";
  const std::string calls = R"(crdex_hook_calls_total{service="crdex-order-sign",status="200"})";

  for (int i = 0; i < 2; ++i) BOOST_TEST_REQUIRE(test::http_post(call, order_sign).status == 200);
  auto text = metrics_scrape(server).body;
  BOOST_TEST(metrics_sample(text, calls) == 2, text);

  BOOST_TEST_REQUIRE(test::http_post(call, order_sign).status == 200);
  BOOST_TEST(test::http_post(server.base_url() + "/cds-services/no-such-service", order_sign).status == 404);
  BOOST_TEST(test::http_get(server.base_url() + "/cds-services").status == 200);
  BOOST_TEST(test::http_get(server.base_url() + "/no/such/path").status == 404);
  text = metrics_scrape(server).body;

  BOOST_TEST(metrics_sample(text, calls) == 3, text);
  // The unknown id is not a label: it is filed under "unknown".
  BOOST_TEST(metrics_sample(text, R"(crdex_hook_calls_total{service="unknown",status="404"})") == 1);
  BOOST_TEST(text.find("no-such-service") == std::string::npos);
  BOOST_TEST(metrics_sample(text, R"(crdex_hook_call_duration_seconds_count{service="crdex-order-sign"})") == 3);
  BOOST_TEST(metrics_sample(text, R"(crdex_http_requests_total{method="POST",route="/cds-services/{id}",status="200"})") ==
             3);
  BOOST_TEST(metrics_sample(text, R"(crdex_http_requests_total{method="GET",route="/cds-services",status="200"})") == 1);
  BOOST_TEST(metrics_sample(text, R"(crdex_http_requests_total{method="GET",route="unmatched",status="404"})") == 1);
  // The first scrape was answered before this one.
  BOOST_TEST(metrics_sample(text, R"(crdex_http_requests_total{method="GET",route="/metrics",status="200"})") == 1);
  // This scrape counts itself (an earlier call leaves the count once its
  // answer is written, which may be just after the client read it).
  BOOST_TEST(metrics_sample(text, "crdex_in_flight_calls") >= 1);
  BOOST_TEST(metrics_sample(text, "crdex_worker_pool_queued") == 0);
  BOOST_TEST(metrics_sample(text, "crdex_audit_dropped_total") == 0);
  BOOST_TEST(metrics_sample(text, "crdex_audit_written_total") <= 4);
  BOOST_TEST(metrics_sample(text, "crdex_audit_queue_depth") >= 0);
  BOOST_TEST(metrics_sample(text, "crdex_rule_publishes_total") == 0);
  BOOST_TEST(metrics_sample(text, "crdex_prefetch_queries_total") == 0);  // the example carries its prefetch
  BOOST_TEST(text.find("crdex_rule_set_version{payer=") != std::string::npos, text);
  BOOST_TEST(text.find("# TYPE crdex_http_request_duration_seconds histogram") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(refused_client_jwts_are_counted_by_reason) {
  test::ServerProcess server({}, {}, true, {}, /*client_auth=*/true);  // no --clients: every call refused
  const auto order_sign = test::read_fixture("crd-ig/CRDServiceRequest.json");
  BOOST_TEST(test::http_post(server.base_url() + "/cds-services/crdex-order-sign", order_sign).status == 401);
  BOOST_TEST(test::http_request("POST", server.base_url() + "/cds-services/crdex-order-sign", order_sign,
                                "application/json", {"Authorization: Bearer not-a-jwt"})
                 .status == 401);
  const auto text = metrics_scrape(server).body;
  BOOST_TEST(metrics_sample(text, R"(crdex_credential_failures_total{policy="CDS client JWT",reason="missing"})") == 1,
             text);
  BOOST_TEST(metrics_sample(text, R"(crdex_credential_failures_total{policy="CDS client JWT",reason="malformed"})") ==
                 1,
             text);
  BOOST_TEST(text.find("not-a-jwt") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(admin_routes_refusals_are_counted) {
  test::TempDir dir;
  std::ofstream(dir.path() / "admin-token") << "admin-token-of-at-least-16-chars\n";
  test::ServerProcess server({"--admin-token-file", (dir.path() / "admin-token").string()});
  const auto refused = test::http_request("GET", server.base_url() + "/admin/audit/stats", {}, "application/json",
                                          {"Authorization: Bearer wrong-token-wrong-token"});
  BOOST_TEST(refused.status == 401);
  const auto text = metrics_scrape(server).body;
  BOOST_TEST(metrics_sample(text, R"(crdex_credential_failures_total{policy="admin token",reason="refused"})") == 1,
             text);
  BOOST_TEST(text.find("wrong-token") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
