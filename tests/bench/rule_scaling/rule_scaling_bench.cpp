// Rule scaling: how evaluation cost and memory grow with the number of rules.
//
//   crdex-bench-rule-scaling N
//
// Generates one payer with N rules (exact CPT-like codes, plus one in 50 a
// prefix and one in 50 a range, all with a resource-type condition and half
// with a patient-age condition), parses and compiles it, then measures
//   - best_rule() for an order of 3 codes (one of them matching), and
//   - a whole order-sign call through the Engine (parse, select, decide, write),
// and prints one line of JSON with the medians and the process RSS.
// docs/benchmarks.md ("Rule scaling") has the command and the figures.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/config/rule_set_parser.hpp"

#include <malloc.h>
#include "crdex/hooks/engine.hpp"

using namespace crdex;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kCpt = "http://www.ama-assn.org/go/cpt";

std::string code_of(int i) {
  char text[16];
  std::snprintf(text, sizeof text, "B%07d", i);
  return text;
}

std::string rule_set(int rules) {
  std::string json = R"({"schema":"crdex-rules/1","payer":{"id":"bench","name":"Bench Health",
    "identifiedBy":{"references":["Organization/bench"]}},"defaultOutcome":{"covered":"covered","pa-needed":"no-auth"},
    "rules":[)";
  for (int i = 0; i < rules; ++i) {
    std::string codes;
    if (i % 50 == 1)
      codes = R"({"system":")" + std::string(kCpt) + R"(","prefix":")" + code_of(i).substr(0, 7) + R"("})";
    else if (i % 50 == 2)
      codes = R"({"system":")" + std::string(kCpt) + R"(","from":")" + code_of(i) + R"(","to":")" + code_of(i + 1) +
              R"("})";
    else
      codes = R"({"system":")" + std::string(kCpt) + R"(","code":")" + code_of(i) + R"("})";
    json += std::string(i ? "," : "") + R"({"id":"r)" + std::to_string(i) + R"(","priority":)" +
            std::to_string(i % 7) + R"(,"when":{"codes":[)" + codes +
            R"(],"resourceTypes":["ServiceRequest"])" + (i % 2 ? R"(,"patient":{"age":{"min":18}})" : "") +
            R"(},"then":{"covered":"covered","pa-needed":"auth-needed"}})";
  }
  return json + "]}";
}

std::string order_sign_request(const std::string& code) {
  return R"({"hook":"order-sign","hookInstance":"0d1f8a2e-8c4e-4a8b-9a7e-1f2d3c4b5a69",
    "context":{"userId":"Practitioner/p","patientId":"pat","draftOrders":{"resourceType":"Bundle","type":"collection",
    "entry":[{"resource":{"resourceType":"ServiceRequest","id":"sr","status":"draft","intent":"order",
      "code":{"coding":[{"system":"http://snomed.info/sct","code":"1234"},{"system":")" +
         std::string(kCpt) + R"(","code":")" + code + R"("},{"system":")" + std::string(kCpt) +
         R"(","code":"UNLISTED"}]},"subject":{"reference":"Patient/pat"}}}]}},
    "prefetch":{"coverage":{"resourceType":"Coverage","id":"c","status":"active","payor":[{"reference":"Organization/bench"}]},
      "patient":{"resourceType":"Patient","id":"pat","birthDate":"1970-05-01","gender":"female"}}})";
}

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

template <class F>
double median_ns_per_call(F&& call, int per_batch, int batches) {
  std::vector<double> samples;
  for (int b = 0; b < batches; ++b) {
    const auto start = Clock::now();
    for (int i = 0; i < per_batch; ++i) call();
    samples.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count() / per_batch);
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: crdex-bench-rule-scaling RULES\n";
    return 2;
  }
  const int rules = std::stoi(argv[1]);
  const long rss_start = rss_kib();
  std::string json = rule_set(rules);
  const double json_mb = static_cast<double>(json.size()) / 1048576.0;

  auto t0 = Clock::now();
  auto set = config::parse_rule_set(json, "bench.json");
  if (!set) {
    std::cerr << set.error().message << "\n";
    return 1;
  }
  auto t1 = Clock::now();
  std::vector<config::PayerRuleSet> sets;
  sets.push_back(std::move(set).value());
  auto catalog = config::RuleCatalog::build(std::move(sets));
  if (!catalog) return 1;
  auto t2 = Clock::now();
  const long rss_loaded = rss_kib();
  // What the compiled catalog itself keeps: the rule-set text and the
  // parser's buffers released, and freed heap pages handed back.
  std::string().swap(json);
  malloc_trim(0);
  const long rss_catalog = rss_kib();

  // The matching code sits in the middle of the generated rules.
  const int target = (rules / 2) / 50 * 50 + 3;
  config::OrderFacts order;
  order.resource_type = "ServiceRequest";
  order.codes = {{"http://snomed.info/sct", "1234", ""}, {kCpt, code_of(target), ""}, {kCpt, "UNLISTED", ""}};
  config::EvaluationContext context;
  context.today = "2026-11-22";
  context.patient_age = 56;
  const auto& payer = (*catalog)->payers().front();
  const config::Rule* found = nullptr;
  const double eval_ns = median_ns_per_call([&] { found = (*catalog)->best_rule(payer, order, context); }, 20000, 15);
  if (!found || found->id != "r" + std::to_string(target)) {
    std::cerr << "wrong rule found\n";
    return 1;
  }

  hooks::Engine engine(*catalog);
  const std::string request = order_sign_request(code_of(target));
  int failures = 0;
  const double call_ns = median_ns_per_call(
      [&] { failures += engine.call_service("crdex-order-sign", request).status != 200; }, 500, 11);
  if (failures) {
    std::cerr << "failed calls: " << failures << "\n";
    return 1;
  }

  std::printf(
      "{\"rules\":%d,\"json_mb\":%.1f,\"parse_ms\":%.1f,\"compile_ms\":%.1f,\"best_rule_ns\":%.0f,"
      "\"order_sign_call_us\":%.1f,\"rss_mib_before\":%.1f,\"rss_mib_loaded\":%.1f,\"rss_mib_catalog\":%.1f}\n",
      rules, json_mb, std::chrono::duration<double, std::milli>(t1 - t0).count(),
      std::chrono::duration<double, std::milli>(t2 - t1).count(), eval_ns, call_ns / 1000.0, rss_start / 1024.0,
      rss_loaded / 1024.0, rss_catalog / 1024.0);
  return 0;
}
