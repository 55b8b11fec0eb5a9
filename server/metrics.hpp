#pragma once
// crdex-server's Prometheus metrics (docs/operations.md lists each one): a
// prometheus-cpp registry filled two ways.
//  - Events, counted where they happen: the front end reports every answer
//    (route, method, status, duration), every hook call (service, status,
//    duration) and every refused credential (policy, reason).
//  - Levels and totals other components keep (audit queue, worker pool, calls
//    in flight, rule-set versions, prefetch queries): read by samplers that
//    main registers, run at each scrape just before the text is written.
// Label values are bounded: route patterns from the route table, known
// service ids, HTTP status codes, fixed reason words; never a raw path, a
// token or anything a caller chose freely.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace crdex::server {

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One answer sent. `route` is the matched route's pattern ("" when the
  // route table answered 404/405 itself: counted as "unmatched").
  void observe_answer(std::string_view route, std::string_view method, int status, double seconds);
  // One hook call answered by the engine; `known_service` false files it
  // under service "unknown" (the id was the caller's to choose).
  void observe_hook_call(std::string_view service, bool known_service, int status, double seconds);
  // A credential refused on a route of `policy` (access_policy_name), for
  // `reason` (a fixed word, see credential_failure_reason).
  void count_credential_failure(std::string_view policy, std::string_view reason);
  // One opaque access token looked at by introspection (token_introspection.hpp):
  // `result` is "cached", "active", "inactive", "rejected" or "error".
  void count_token_introspection(std::string_view result);

  // Sampled at each scrape: gauges set to the current level, counters moved
  // up to the component's own running total.
  void set_gauge(const std::string& name, const prometheus::Labels& labels, double value);
  void set_total(const std::string& name, const prometheus::Labels& labels, double total);
  // `sampler` runs at every scrape (under the scrape's lock) and calls
  // set_gauge / set_total. Register before serving.
  void add_sampler(std::function<void(Metrics&)> sampler);

  // The registry in the Prometheus text exposition format (version 0.0.4).
  std::string scrape();

  // For other families a component wants to register itself.
  prometheus::Registry& registry() { return *registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& answers_;
  prometheus::Family<prometheus::Histogram>& answer_seconds_;
  prometheus::Family<prometheus::Counter>& hook_calls_;
  prometheus::Family<prometheus::Histogram>& hook_seconds_;
  prometheus::Family<prometheus::Counter>& credential_failures_;
  prometheus::Family<prometheus::Counter>& token_introspections_;
  std::mutex scrape_mutex_;  // samplers and the sampled families
  std::vector<std::function<void(Metrics&)>> samplers_;
  std::vector<std::pair<std::string, prometheus::Family<prometheus::Gauge>*>> gauges_;
  std::vector<std::pair<std::string, prometheus::Family<prometheus::Counter>*>> totals_;
};

// The fixed reason word for a CDS client JWT refusal message
// (client_auth.cpp): missing, scheme, malformed, algorithm, header, issuer,
// audience, expired, lifetime, claims, key, signature, replay, busy or other.
std::string_view credential_failure_reason(std::string_view message);

// The metric families main's samplers set, with their help text, declared
// once so docs/operations.md and the code name the same things.
struct SampledMetric {
  const char* name;
  const char* help;
  bool counter;  // false: gauge
};
const std::vector<SampledMetric>& sampled_metrics();

}  // namespace crdex::server
