// The server core's route table: 404 and 405 (with Allow) come from the table,
// the most specific pattern wins, and every route of a fully configured
// crdex-server declares who may call it.

#include <boost/test/unit_test.hpp>

#include <map>
#include <set>

#include "admin_api.hpp"
#include "attachments_api.hpp"
#include "bulk_exports_api.hpp"
#include "cdex_api.hpp"
#include "crdex/cdex/attachment_store.hpp"
#include "crdex/cdex/bulk_export_runner.hpp"
#include "crdex/config/rule_catalog.hpp"
#include "crdex/config/rule_store.hpp"
#include "crdex/hooks/audit_log.hpp"
#include "crdex/hooks/engine.hpp"
#include "crdex/hooks/feedback_store.hpp"
#include "crdex/hooks/rule_publisher.hpp"
#include "crdex/smart/launch_store.hpp"
#include "feedback_api.hpp"
#include "http_front.hpp"
#include "jwks_api.hpp"
#include "launch_api.hpp"
#include "route_table.hpp"
#include "rules_api.hpp"
#include "support/fixtures.hpp"

using namespace crdex;
using namespace crdex::server;
namespace Http = Pistache::Http;

namespace {

RouteHandler route_table_test_answer(int status) {
  return [status](const Http::Request&, const PathParams& params) {
    return ApiAnswer{status, params.get("id"), false, {}};
  };
}

// A crdex-server's front state with every module main() wires, stores in `dir`.
struct ConfiguredFront {
  test::TempDir dir;
  std::shared_ptr<FrontState> state = std::make_shared<FrontState>();
  std::shared_ptr<cdex::BulkExportRunner> runner;
  std::shared_ptr<CdexApi> cdex;

  ConfiguredFront() {
    auto store = config::RuleStore::open(dir.path() / "rules.sqlite");
    BOOST_REQUIRE(store.ok());
    std::shared_ptr<config::RuleStore> rules = std::move(store).value();
    auto catalog = config::RuleCatalog::build({});
    BOOST_REQUIRE(catalog.ok());
    state->engine = std::make_shared<hooks::Engine>(*catalog);
    auto audit = hooks::AuditLog::open(dir.path() / "audit.sqlite");
    auto feedback = hooks::FeedbackStore::open(dir.path() / "audit.sqlite");
    BOOST_REQUIRE((audit.ok() && feedback.ok()));
    std::shared_ptr<hooks::AuditLog> audit_log = std::move(audit).value();
    std::shared_ptr<hooks::FeedbackStore> feedback_store = std::move(feedback).value();
    state->modules.push_back(std::make_shared<RulesApi>(
        std::make_shared<hooks::RulePublisher>(rules, state->engine), audit_log));
    state->modules.push_back(std::make_shared<FeedbackApi>(feedback_store));
    state->modules.push_back(std::make_shared<AdminApi>(std::nullopt, audit_log, feedback_store));
    CdexOptions cdex_options;
    cdex_options.ehr_fhir = "http://127.0.0.1:9/fhir";  // a data source too: every CDex route
    fhir::StoreLocation task_store;
    task_store.sqlite_dir = dir.path();
    auto created = CdexApi::create(cdex_options, task_store, false, 1);
    BOOST_REQUIRE(created.ok());
    cdex = *created;
    state->modules.push_back(cdex);
    auto attachments = cdex::AttachmentStore::open(dir.path() / "attachments.sqlite");
    auto jobs = cdex::BulkJobStore::open(dir.path() / "exports.sqlite");
    BOOST_REQUIRE((attachments.ok() && jobs.ok()));
    state->modules.push_back(std::make_shared<AttachmentsApi>(std::move(attachments).value(), AttachmentsApiOptions{}));
    runner = std::make_shared<cdex::BulkExportRunner>(std::move(jobs).value(), dir.path() / "exports",
                                                      cdex::BulkExportOptions{});
    state->modules.push_back(std::make_shared<BulkExportsApi>(runner));
    auto launches = smart::LaunchStore::open(dir.path() / "launches.sqlite");
    BOOST_REQUIRE(launches.ok());
    std::shared_ptr<smart::LaunchStore> launch_store = std::move(launches).value();
    state->modules.push_back(
        std::make_shared<LaunchApi>(launch_store, "0123456789abcdef0123", std::chrono::seconds(300)));
    state->modules.push_back(std::make_shared<JwksApi>("/.well-known/jwks.json", std::vector<smart::SigningKey>{}));
    BOOST_REQUIRE(state->build_routes());
  }
  ~ConfiguredFront() {
    cdex->stop();
    runner->stop();
  }

  AccessPolicy policy_of(Http::Method method, const std::string& pattern) const {
    for (const auto& route : state->routes.routes())
      if (route.method == method && route.pattern == pattern) return route.policy;
    BOOST_FAIL("no route " << Http::methodString(method) << " " << pattern);
    return AccessPolicy::undeclared;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(server_route_table)

BOOST_AUTO_TEST_CASE(a_route_without_an_access_policy_is_refused) {
  RouteTable table;
  const auto ok = route_table_test_answer(200);
  BOOST_TEST(!table.add(Route{Http::Method::Get, "/undeclared", AccessPolicy::undeclared, ok, false, {}}));
  BOOST_TEST(!table.add(Route{Http::Method::Get, "/no-handler", AccessPolicy::public_access, nullptr, false, {}}));
  BOOST_TEST(table.add(Route{Http::Method::Get, "/declared", AccessPolicy::public_access, ok, false, {}}));
  BOOST_TEST(!table.add(Route{Http::Method::Get, "/declared", AccessPolicy::admin, ok, false, {}}));
  BOOST_TEST(table.routes().size() == 1u);
}

BOOST_AUTO_TEST_CASE(unknown_paths_are_404_and_wrong_methods_405_with_allow) {
  RouteTable table;
  BOOST_REQUIRE(table.add({Http::Method::Get, "/things", AccessPolicy::public_access, route_table_test_answer(200),
                          false, {}}));
  BOOST_REQUIRE(table.add({Http::Method::Post, "/things", AccessPolicy::admin, route_table_test_answer(201),
                          true, {}}));
  BOOST_REQUIRE(table.add({Http::Method::Get, "/things/{id}", AccessPolicy::public_access, route_table_test_answer(200),
                          false, {}}));

  const auto missing = table.match(Http::Method::Get, "/nothing");
  BOOST_TEST(!missing.route);
  BOOST_TEST(missing.refusal.status == 404);
  BOOST_TEST(missing.refusal.fhir_json);
  BOOST_TEST(missing.refusal.body.find("\"code\":\"not-found\"") != std::string::npos);
  BOOST_TEST(!table.match(Http::Method::Get, "/things/1/more").route);
  BOOST_TEST(!table.match(Http::Method::Get, "/").route);

  const auto wrong = table.match(Http::Method::Delete, "/things");
  BOOST_TEST(!wrong.route);
  BOOST_TEST(wrong.refusal.status == 405);
  BOOST_TEST(wrong.refusal.body.find("\"code\":\"not-supported\"") != std::string::npos);
  BOOST_REQUIRE(wrong.refusal.headers.size() == 1u);
  BOOST_TEST(wrong.refusal.headers[0].first == "Allow");
  BOOST_TEST(wrong.refusal.headers[0].second == "GET, POST");

  const auto found = table.match(Http::Method::Post, "/things");
  BOOST_REQUIRE(found.route);
  BOOST_TEST((found.route->policy == AccessPolicy::admin));
  BOOST_TEST(found.route->blocking);
}

BOOST_AUTO_TEST_CASE(parameters_are_captured_and_literals_beat_parameters) {
  RouteTable table;
  BOOST_REQUIRE(table.add({Http::Method::Get, "/items/{id}", AccessPolicy::public_access, route_table_test_answer(200),
                          false, {}}));
  BOOST_REQUIRE(table.add({Http::Method::Post, "/items/claims", AccessPolicy::public_access, route_table_test_answer(201),
                          false, {}}));
  BOOST_REQUIRE(table.add({Http::Method::Get, "/items/{id}/parts/{n}", AccessPolicy::public_access, route_table_test_answer(200),
                          false, {}}));

  const auto item = table.match(Http::Method::Get, "/items/42");
  BOOST_REQUIRE(item.route);
  BOOST_TEST(item.params.get("id") == "42");
  const auto part = table.match(Http::Method::Get, "/items/7/parts/3");
  BOOST_REQUIRE(part.route);
  BOOST_TEST(part.params.get("id") == "7");
  BOOST_TEST(part.params.get("n") == "3");
  BOOST_TEST(part.params.get("other") == "");
  // GET /items/claims is the POST-only literal route's 405, not the reader of item "claims".
  const auto claims = table.match(Http::Method::Get, "/items/claims");
  BOOST_TEST(!claims.route);
  BOOST_TEST(claims.refusal.status == 405);
  BOOST_TEST(claims.refusal.headers.at(0).second == "POST");
  // A parameter never matches an empty segment.
  BOOST_TEST(!table.match(Http::Method::Get, "/items//parts/3").route);
}

BOOST_FIXTURE_TEST_CASE(every_route_of_a_configured_server_declares_its_access_policy, ConfiguredFront) {
  const auto& routes = state->routes.routes();
  BOOST_TEST(routes.size() >= 30u);
  std::set<std::string> seen;
  for (const auto& route : routes) {
    BOOST_TEST((route.policy != AccessPolicy::undeclared), Http::methodString(route.method) << " " << route.pattern);
    BOOST_TEST(access_policy_name(route.policy) != "undeclared");
    BOOST_TEST(static_cast<bool>(route.handler), route.pattern);
    BOOST_TEST(seen.insert(std::string(Http::methodString(route.method)) + " " + route.pattern).second, route.pattern);
  }
  using M = Http::Method;
  BOOST_TEST((policy_of(M::Get, "/cds-services") == AccessPolicy::public_access));
  BOOST_TEST((policy_of(M::Post, "/cds-services/{id}") == AccessPolicy::cds_client));
  BOOST_TEST((policy_of(M::Post, "/cds-services/{id}/feedback") == AccessPolicy::cds_client));
  BOOST_TEST((policy_of(M::Put, "/payers/{payer}/rules") == AccessPolicy::payer_publisher));
  BOOST_TEST((policy_of(M::Post, "/payers/{payer}/rules:dry-run") == AccessPolicy::payer_publisher));
  BOOST_TEST((policy_of(M::Get, "/admin/audit") == AccessPolicy::admin));
  BOOST_TEST((policy_of(M::Post, "/cdex/review/{id}/approve") == AccessPolicy::admin));
  BOOST_TEST((policy_of(M::Post, "/cdex/requests") == AccessPolicy::admin));
  BOOST_TEST((policy_of(M::Post, "/fhir/Task") == AccessPolicy::data_consumer));
  BOOST_TEST((policy_of(M::Post, "/smart/launches") == AccessPolicy::smart_launch));
  BOOST_TEST((policy_of(M::Get, "/.well-known/jwks.json") == AccessPolicy::public_access));
  BOOST_TEST((policy_of(M::Post, "/$submit-attachment") == AccessPolicy::provider_system));
  BOOST_TEST((policy_of(M::Get, "/attachments/{id}/content/{n}") == AccessPolicy::provider_system));
  BOOST_TEST((policy_of(M::Post, "/attachments/outbox") == AccessPolicy::operator_attachments));
  BOOST_TEST((policy_of(M::Post, "/attachments/claims") == AccessPolicy::operator_attachments));
  BOOST_TEST((policy_of(M::Post, "/bulk-exports") == AccessPolicy::operator_bulk));
  BOOST_TEST((policy_of(M::Delete, "/bulk-exports/{id}") == AccessPolicy::operator_bulk));
  // Public: discovery and published keys only.
  for (const auto& route : routes)
    if (route.policy == AccessPolicy::public_access)
      BOOST_TEST((route.pattern == "/cds-services" || route.pattern == "/.well-known/jwks.json"), route.pattern);
}

BOOST_FIXTURE_TEST_CASE(the_configured_table_answers_404_and_405_once_for_every_module, ConfiguredFront) {
  using M = Http::Method;
  const auto& table = state->routes;
  BOOST_TEST(table.match(M::Get, "/admin/nothing").refusal.status == 404);
  BOOST_TEST(table.match(M::Get, "/cds-services/crdex-order-sign/extra").refusal.status == 404);
  const auto service = table.match(M::Get, "/cds-services/crdex-order-sign");
  BOOST_TEST(service.refusal.status == 405);
  BOOST_TEST(service.refusal.headers.at(0).second == "POST");
  BOOST_TEST(table.match(M::Put, "/payers/acme/rules/versions/2").refusal.headers.at(0).second == "GET");
  BOOST_TEST(table.match(M::Post, "/payers/acme/rules").refusal.headers.at(0).second == "GET, PUT");
  BOOST_TEST(table.match(M::Put, "/bulk-exports/job-1").refusal.headers.at(0).second == "GET, DELETE");
  BOOST_TEST(table.match(M::Get, "/$submit-attachment").refusal.status == 405);
  BOOST_TEST(table.match(M::Get, "/attachments/outbox").refusal.status == 405);
  const auto content = table.match(M::Get, "/attachments/3/content/1");
  BOOST_REQUIRE(content.route);
  BOOST_TEST(content.params.get("n") == "1");
}

BOOST_AUTO_TEST_SUITE_END()
