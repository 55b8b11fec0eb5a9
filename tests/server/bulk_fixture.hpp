#pragma once
// What the Bulk export tests share: the test FHIR server seeded with a small
// Group (two members, their Coverage), its export shim's admin view, a job
// submitted to crdex-server and waited for, and fast polling options.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "crdex/fhir/bulk_export.hpp"
#include "support/destinations_file.hpp"
#include "support/fhir_server_process.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/server_process.hpp"
#include "support/waiting.hpp"

namespace crdex::test::bulk {

using Kind = fhir::BulkStep::Kind;
using crdex::test::wait_until;

inline constexpr auto kPanel = R"({"resourceType":"Bundle","type":"collection","entry":[
  {"resource":{"resourceType":"Patient","id":"p1","gender":"female"}},
  {"resource":{"resourceType":"Patient","id":"p2","gender":"male"}},
  {"resource":{"resourceType":"Patient","id":"p3","gender":"other"}},
  {"resource":{"resourceType":"Group","id":"panel","type":"person","actual":true,
    "member":[{"entity":{"reference":"Patient/p1"}},{"entity":{"reference":"Patient/p2"}}]}},
  {"resource":{"resourceType":"Coverage","id":"c1","status":"active","beneficiary":{"reference":"Patient/p1"},"payor":[{"display":"Acme"}]}},
  {"resource":{"resourceType":"Coverage","id":"c3","status":"active","beneficiary":{"reference":"Patient/p3"},"payor":[{"display":"Acme"}]}}]})";

inline int64_t lines_of(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line))
    if (!line.empty()) ++n;
  return n;
}

struct BulkFixture {
  test::FhirServerProcess fhir;
  test::TempDir config_dir;  // the --destinations file
  BulkFixture() { fhir.seed(kPanel); }

  void bulk_config(const std::string& json) const {
    const auto answer = test::http_post(fhir.base_url() + "/$admin/bulk", json);
    BOOST_TEST_REQUIRE(answer.status == 200, answer.body);
  }
  fhir::BulkServer server(std::string token = {}) const { return {fhir.fhir_url(), std::move(token), false, {}}; }

  // Polls until the export completes (the shim counts polls, so no waiting is needed).
  fhir::BulkStep poll_to_completion(const fhir::BulkServer& s, const std::string& status_url) const {
    for (int i = 0; i < 50; ++i) {
      auto step = fhir::bulk_poll(s, status_url);
      if (step.kind != Kind::in_progress) return step;
    }
    BOOST_FAIL("the export never completed");
    return {};
  }

  // The shim's view of its export jobs: how often job `id` was polled.
  int64_t shim_polls(const std::string& id = "1") const {
    test::Json jobs(test::http_get(fhir.base_url() + "/$admin/bulk").body);
    for (auto job : jobs.root().get_array())
      if (std::string_view(job["id"]) == id) return int64_t(job["polls"]);
    return 0;
  }

  static std::string start_job(const test::ServerProcess& crdex, const std::string& body) {
    const auto started = test::http_post(crdex.base_url() + "/bulk-exports", body);
    BOOST_TEST_REQUIRE(started.status == 202, started.body);
    BOOST_TEST(started.header("location").starts_with("/bulk-exports/"));
    test::Json job(started.body);
    return std::string(std::string_view(job.root()["id"]));
  }

  static std::string job_json(const test::ServerProcess& crdex, const std::string& id) {
    return test::http_get(crdex.base_url() + "/bulk-exports/" + id).body;
  }

  static std::string state_of(const test::ServerProcess& crdex, const std::string& id) {
    test::Json job(job_json(crdex, id));
    return std::string(std::string_view(job.root()["state"]));
  }

  std::string panel_job() const {
    return R"({"fhirServer":")" + fhir.fhir_url() + R"(","group":"panel","types":["Patient","Coverage"]})";
  }
};

// Fast polls, and the shim as the one configured destination ("ehr").
inline std::vector<std::string> fast_polls(const test::FhirServerProcess& fhir, const std::filesystem::path& dir) {
  auto args = test::destinations_args(dir, {{"ehr", fhir.fhir_url()}});
  args.insert(args.end(), {"--bulk-poll-min-ms", "5", "--bulk-poll-max-ms", "50"});
  return args;
}

}  // namespace crdex::test::bulk
