#include "metrics.hpp"

#include <prometheus/text_serializer.h>

#include <algorithm>

namespace crdex::server {

namespace {

// Seconds; a hook call should answer well within CRD's 5 s, so the buckets
// are finest below it.
const prometheus::Histogram::BucketBoundaries& metrics_latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                               0.25,  0.5,    1,     2.5,  5,     10};
  return buckets;
}

bool metrics_mentions(std::string_view text, std::string_view word) { return text.find(word) != std::string_view::npos; }

}  // namespace

const std::vector<SampledMetric>& sampled_metrics() {
  static const std::vector<SampledMetric> metrics{
      {"crdex_in_flight_calls", "HTTP calls being served now (queued on the worker pool included)", false},
      {"crdex_worker_pool_queued", "calls waiting for a query worker", false},
      {"crdex_worker_pool_busy", "query workers running a call", false},
      {"crdex_audit_queue_depth", "hook calls waiting to be written to the audit log", false},
      {"crdex_audit_written_total", "hook calls written to the audit log", true},
      {"crdex_audit_dropped_total", "hook calls not audited: the queue was full or the log closed", true},
      {"crdex_audit_busy_refusals_total", "hook calls refused with 503: the audit queue was at its high-water mark", true},
      {"crdex_audit_purged_for_size_total", "audited calls purged to keep the log under --audit-max-bytes", true},
      {"crdex_store_errors_total", "failed store operations, by store", true},
      {"crdex_rule_set_version", "the rule-set version served, by payer", false},
      {"crdex_rule_publishes_total", "rule catalogs put into service by the rules API (publish or rollback)", true},
      {"crdex_prefetch_queries_total", "FHIR queries sent to EHRs to fill missing prefetch (Direct Query)", true},
      {"crdex_prefetch_failures_total", "prefetch keys that could not be filled (error, time-out, refused)", true},
  };
  return metrics;
}

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      answers_(prometheus::BuildCounter()
                   .Name("crdex_http_requests_total")
                   .Help("HTTP answers sent, by route pattern, method and status")
                   .Register(*registry_)),
      answer_seconds_(prometheus::BuildHistogram()
                          .Name("crdex_http_request_duration_seconds")
                          .Help("time from request to answer, by route pattern")
                          .Register(*registry_)),
      hook_calls_(prometheus::BuildCounter()
                      .Name("crdex_hook_calls_total")
                      .Help("CDS Hooks service calls answered by the engine, by service and status")
                      .Register(*registry_)),
      hook_seconds_(prometheus::BuildHistogram()
                        .Name("crdex_hook_call_duration_seconds")
                        .Help("time the engine took for a hook call (prefetch fill included), by service")
                        .Register(*registry_)),
      credential_failures_(prometheus::BuildCounter()
                               .Name("crdex_credential_failures_total")
                               .Help("refused credentials (CDS client JWT, tokens), by route policy and reason")
                               .Register(*registry_)),
      token_introspections_(prometheus::BuildCounter()
                                .Name("crdex_token_introspections_total")
                                .Help("access tokens looked at by introspection (RFC 7662), by result")
                                .Register(*registry_)) {
  for (const auto& metric : sampled_metrics()) {
    if (metric.counter)
      totals_.emplace_back(metric.name,
                           &prometheus::BuildCounter().Name(metric.name).Help(metric.help).Register(*registry_));
    else
      gauges_.emplace_back(metric.name,
                           &prometheus::BuildGauge().Name(metric.name).Help(metric.help).Register(*registry_));
  }
}

void Metrics::observe_answer(std::string_view route, std::string_view method, int status, double seconds) {
  const std::string pattern = route.empty() ? "unmatched" : std::string(route);
  answers_.Add({{"route", pattern}, {"method", std::string(method)}, {"status", std::to_string(status)}}).Increment();
  answer_seconds_.Add({{"route", pattern}}, metrics_latency_buckets()).Observe(seconds);
}

void Metrics::observe_hook_call(std::string_view service, bool known_service, int status, double seconds) {
  const std::string name = known_service ? std::string(service) : "unknown";
  hook_calls_.Add({{"service", name}, {"status", std::to_string(status)}}).Increment();
  hook_seconds_.Add({{"service", name}}, metrics_latency_buckets()).Observe(seconds);
}

void Metrics::count_credential_failure(std::string_view policy, std::string_view reason) {
  credential_failures_.Add({{"policy", std::string(policy)}, {"reason", std::string(reason)}}).Increment();
}

void Metrics::count_token_introspection(std::string_view result) {
  token_introspections_.Add({{"result", std::string(result)}}).Increment();
}

void Metrics::set_gauge(const std::string& name, const prometheus::Labels& labels, double value) {
  for (auto& [known, family] : gauges_)
    if (known == name) family->Add(labels).Set(value);
}

void Metrics::set_total(const std::string& name, const prometheus::Labels& labels, double total) {
  for (auto& [known, family] : totals_) {
    if (known != name) continue;
    auto& counter = family->Add(labels);
    if (total > counter.Value()) counter.Increment(total - counter.Value());
  }
}

void Metrics::add_sampler(std::function<void(Metrics&)> sampler) {
  std::lock_guard lock(scrape_mutex_);
  samplers_.push_back(std::move(sampler));
}

std::string Metrics::scrape() {
  std::lock_guard lock(scrape_mutex_);
  for (const auto& sampler : samplers_) sampler(*this);
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

std::string_view credential_failure_reason(std::string_view m) {
  if (metrics_mentions(m, "requires an Authorization")) return "missing";
  if (metrics_mentions(m, "is not a Bearer token")) return "scheme";
  if (metrics_mentions(m, "not base64url") || metrics_mentions(m, "not a JSON object") ||
      metrics_mentions(m, "compact form") || metrics_mentions(m, "is not a string") ||
      metrics_mentions(m, "not a NumericDate"))
    return "malformed";
  if (metrics_mentions(m, "replay")) return "replay";
  if (metrics_mentions(m, "cannot accept more tokens")) return "busy";
  if (metrics_mentions(m, "algorithm")) return "algorithm";
  if (metrics_mentions(m, "\"typ\"") || metrics_mentions(m, "header has no")) return "header";
  if (metrics_mentions(m, "issuer is not") || metrics_mentions(m, "no \"iss\"") || metrics_mentions(m, "\"jku\""))
    return "issuer";
  if (metrics_mentions(m, "\"aud\"")) return "audience";
  if (metrics_mentions(m, "expired")) return "expired";
  if (metrics_mentions(m, "s ahead")) return "lifetime";
  if (metrics_mentions(m, "\"kid\"") || metrics_mentions(m, "key set")) return "key";
  if (metrics_mentions(m, "signature")) return "signature";
  if (metrics_mentions(m, "\"iat\"") || metrics_mentions(m, "\"nbf\"") || metrics_mentions(m, "\"jti\"") ||
      metrics_mentions(m, "\"exp\"") || metrics_mentions(m, "\"tenant\""))
    return "claims";
  if (metrics_mentions(m, "JWT") || metrics_mentions(m, "token")) return "malformed";
  return "other";
}

}  // namespace crdex::server
