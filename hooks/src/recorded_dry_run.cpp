#include "crdex/hooks/recorded_dry_run.hpp"

#include <map>
#include <set>

#include "crdex/fhir/json_writer.hpp"
#include "crdex/hooks/decision_diff.hpp"
#include "crdex/hooks/engine.hpp"

namespace crdex::hooks {

namespace {

void write_summary(fhir::JsonWriter& w, const char* key, const std::map<std::string, std::string>& decisions,
                   const std::string& order) {
  auto found = decisions.find(order);
  if (found == decisions.end()) return;
  fhir::write_key(w, key);
  fhir::write_string(w, found->second);
}

}  // namespace

PublishResult<std::string> recorded_dry_run(const RulePublisher& publisher, hooks::AuditStore& audit,
                                            const std::string& payer_id, std::string_view rule_set, int count) {
  auto candidate = publisher.candidate(payer_id, rule_set);
  PublishResult<std::string> result;
  if (!candidate.ok()) {
    result.failure = candidate.failure;
    return result;
  }
  auto recorded = audit.last_answered(payer_id, count);
  if (!recorded) {
    result.failure.error = recorded.error();
    return result;
  }
  const hooks::Engine live(publisher.live_rules());
  const hooks::Engine proposed(*candidate.value);

  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  size_t changed_calls = 0;
  w.StartObject();
  fhir::write_key(w, "recorded");
  w.StartArray();
  for (const auto& entry : *recorded) {
    const auto answered = hooks::decisions_by_order(hooks::ServiceResponse(entry.status, entry.response));
    const auto now = hooks::decisions_by_order(live.call_service(entry.service_id, entry.request));
    const auto then = hooks::decisions_by_order(proposed.call_service(entry.service_id, entry.request));
    std::set<std::string> orders;
    for (const auto* side : {&answered, &now, &then})
      for (const auto& [order, _] : *side) orders.insert(order);
    bool changed = false;
    w.StartObject();
    fhir::write_key(w, "hookInstance");
    fhir::write_string(w, entry.hook_instance);
    fhir::write_key(w, "service");
    fhir::write_string(w, entry.service_id);
    fhir::write_key(w, "recordedAt");
    fhir::write_string(w, entry.recorded_at);
    fhir::write_key(w, "orders");
    w.StartArray();
    for (const auto& order : orders) {
      const auto current = now.find(order);
      const auto proposed_decision = then.find(order);
      const bool differs = (current == now.end()) != (proposed_decision == then.end()) ||
                           (current != now.end() && current->second != proposed_decision->second);
      changed = changed || differs;
      w.StartObject();
      fhir::write_key(w, "order");
      fhir::write_string(w, order);
      write_summary(w, "answered", answered, order);
      write_summary(w, "current", now, order);
      write_summary(w, "candidate", then, order);
      fhir::write_key(w, "changed");
      w.Bool(differs);
      w.EndObject();
    }
    w.EndArray();
    fhir::write_key(w, "changed");
    w.Bool(changed);
    w.EndObject();
    if (changed) ++changed_calls;
  }
  w.EndArray();
  fhir::write_key(w, "requests");
  w.Uint64(recorded->size());
  fhir::write_key(w, "changedRequests");
  w.Uint64(changed_calls);
  if (recorded->empty()) {
    // Calls recorded compactly (crdex-server's default) keep no request to replay.
    fhir::write_key(w, "note");
    fhir::write_string(w,
                       "no recorded call of this payer has its request kept: the audit log keeps request bodies "
                       "only when crdex-server runs with --audit-bodies");
  }
  w.EndObject();
  result.value.emplace(buffer.GetString(), buffer.GetSize());
  return result;
}

}  // namespace crdex::hooks
