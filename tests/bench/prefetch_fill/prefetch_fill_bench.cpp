// Prefetch fill benchmark. The CRD guide's order-sign request without
// prefetch (CRDServiceRequest3.json: 9 keys missing, 7 of them queryable)
// against the tests' FHIR server seeded with the guide's data, the server
// holding every answer for --delay-ms (an EHR's latency).
//
// The fill runs its queries in rounds (keys that read %other keys wait for
// them), so the least it can take is the sum over rounds of the slowest query
// of the round, each query timed alone. What it takes beyond that is crdex's
// own cost: hydration, parallel transfers, paging checks, parsing.
//
// Then the same order-sign after an order-select for the patient warmed the
// prefetch cache (CRD ops-1): what the clinician waits for at signing.
//
//   crdex_bench_prefetch_fill [--delay-ms N] [--runs N] [--no-cache]

#include <simdjson.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "crdex/fhir/direct_query.hpp"
#include "crdex/hooks/hook_request.hpp"
#include "crdex/hooks/prefetch_fill.hpp"
#include "crdex/hooks/service_descriptor.hpp"
#include "support/fhir_server_process.hpp"
#include "support/fixtures.hpp"
#include "support/json_checks.hpp"

using namespace crdex;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// CPU time this thread used: crdex's own work during the fill, waits excluded.
double thread_cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

std::string guide_seed_bundle() {
  test::Json request(test::read_fixture("crd-ig/CRDServiceRequest.json"));
  std::string entries;
  const auto add = [&](simdjson::dom::element resource) {
    entries += (entries.empty() ? "" : ",") + std::string(R"({"resource":)") + test::minified(resource) + "}";
  };
  for (auto field : request.root()["prefetch"].get_object()) {
    if (field.value.is_null()) continue;
    if (std::string_view(field.value["resourceType"]) != "Bundle") {
      add(field.value);
      continue;
    }
    for (auto entry : field.value["entry"].get_array()) add(entry["resource"]);
  }
  std::string bundle = R"({"resourceType":"Bundle","type":"collection","entry":[)" + entries + "]}";
  replace_all(bundle, "http://example.org/someEHR/fhir/", "");
  return bundle;
}

}  // namespace

int main(int argc, char** argv) {
  int delay_ms = 20, runs = 30;
  bool cache_reads = true;
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--no-cache")) cache_reads = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--delay-ms")) delay_ms = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--runs")) runs = std::max(1, std::atoi(argv[i + 1]));
  }

  test::FhirServerProcess fhir;
  fhir.seed(guide_seed_bundle());
  fhir.set_fault(R"({"delayMs":)" + std::to_string(delay_ms) + "}");
  // Repeated reads come from the server's memory: Node runs Medplum's search
  // on one thread, which would serialise parallel queries and count its time
  // as crdex's.
  if (cache_reads) fhir.admin_config(R"({"cacheReads":true})");

  std::string body = test::read_fixture("crd-ig/CRDServiceRequest3.json");
  replace_all(body, "http://example.org/some-payer/fhir/crd", fhir.fhir_url());
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(body);
  auto request = hooks::read_hook_request(root, "order-sign");
  if (!request) {
    std::fprintf(stderr, "bad request: %s\n", request.error().message.c_str());
    return 1;
  }
  const auto& service = hooks::order_sign_service();
  const auto keys = hooks::prefetch_keys_to_fill(*request, service.prefetch);
  hooks::PrefetchFillOptions options;
  options.budget = std::chrono::seconds(10);

  // Warm-up: connections opened, the server's caches filled.
  auto sample = hooks::fill_prefetch(*request, service.prefetch, keys, options);
  if (!sample.problems.empty()) {
    std::fprintf(stderr, "fill failed: %s: %s\n", sample.problems.begin()->first.c_str(),
                 sample.problems.begin()->second.c_str());
    return 1;
  }

  std::vector<double> fills, cpu;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    const double cpu_start = thread_cpu_ms();
    auto filled = hooks::fill_prefetch(*request, service.prefetch, keys, options);
    fills.push_back(ms_since(start));
    cpu.push_back(thread_cpu_ms() - cpu_start);
    if (filled.values.size() != sample.values.size()) return 1;
  }

  // order-select (same standard prefetch, same patient and token) warms the
  // cache; order-sign then reads it. Warmed once per run so no entry ages out.
  std::vector<double> warmed;
  size_t from_cache = 0;
  {
    hooks::PrefetchCache cache(options.cache);
    for (int i = 0; i < runs; ++i) {
      hooks::fill_prefetch(*request, service.prefetch, keys, options, &cache, /*warm_cache=*/true);
      const auto start = Clock::now();
      auto filled = hooks::fill_prefetch(*request, service.prefetch, keys, options, &cache, false);
      warmed.push_back(ms_since(start));
      from_cache = filled.from_cache.size();
      if (filled.values.size() != sample.values.size()) return 1;
    }
  }

  // Each query alone, on the same kept-alive connections.
  fhir::DirectQueryOptions query_options;
  std::map<int, double> slowest_per_round;
  std::printf("%-60s %5s %10s\n", "query (alone)", "round", "median ms");
  for (const auto& sent : sample.queries) {
    std::vector<double> alone;
    const std::vector<std::string> one{sent.query};
    for (int i = 0; i < runs; ++i) {
      query_options.deadline = Clock::now() + std::chrono::seconds(10);
      const auto start = Clock::now();
      auto answers = fhir::run_direct_queries({request->fhir_server, request->access_token}, one, query_options);
      alone.push_back(ms_since(start));
      if (!answers[0].ok()) return 1;
    }
    const double m = median(alone);
    slowest_per_round[sent.round] = std::max(slowest_per_round[sent.round], m);
    std::printf("%-60.60s %5d %10.2f\n", sent.query.c_str(), sent.round, m);
  }
  double critical_path = 0;
  for (const auto& [round, slowest] : slowest_per_round) critical_path += slowest;
  const double fill = median(fills);
  std::printf("\nkeys missing %zu, queries %zu in %zu rounds, server delay %d ms, %s, %d runs\n",
              keys.size(), sample.queries.size(), slowest_per_round.size(), delay_ms,
              cache_reads ? "reads cached" : "reads searched", runs);
  std::printf("fill (median)                         %8.2f ms\n", fill);
  std::printf("sum of the slowest query per round    %8.2f ms\n", critical_path);
  std::printf("added by the fill                     %8.2f ms\n", fill - critical_path);
  std::printf("crdex's CPU time in the fill (median) %8.2f ms\n", median(cpu));
  std::printf("fill after order-select warmed the cache (median) %8.2f ms (%zu of %zu keys from the cache)\n",
              median(warmed), from_cache, sample.values.size());
  return 0;
}
