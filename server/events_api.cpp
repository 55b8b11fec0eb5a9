#include "events_api.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "api_helpers.hpp"
#include "crdex/config/push_plan.hpp"
#include "crdex/fhir/json_writer.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

std::optional<int64_t> push_id_of(std::string_view text) {
  int64_t id = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || ptr != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

void write_push(fhir::JsonWriter& w, const cdex::PushItem& p, bool with_history) {
  w.StartObject();
  fhir::write_key(w, "id");
  fhir::write_string(w, std::to_string(p.id));
  fhir::write_key(w, "key");
  fhir::write_string(w, p.key);
  fhir::write_key(w, "event");
  fhir::write_string(w, p.event);
  fhir::write_key(w, "subject");
  fhir::write_string(w, p.subject);
  fhir::write_key(w, "payer");
  fhir::write_string(w, p.payer_id);
  fhir::write_key(w, "push");
  fhir::write_string(w, p.push_id);
  fhir::write_key(w, "what");
  fhir::write_string(w, p.what);
  fhir::write_key(w, "destination");
  fhir::write_string(w, p.destination);
  fhir::write_key(w, "state");
  fhir::write_string(w, p.state);
  fhir::write_key(w, "attempts");
  w.Int(p.attempts);
  if (p.last_status != 0) {
    fhir::write_key(w, "lastStatus");
    w.Int(static_cast<int>(p.last_status));
  }
  fhir::write_optional_string(w, "lastError", p.last_error);
  fhir::write_key(w, "createdAt");
  fhir::write_string(w, p.created_at);
  fhir::write_key(w, "updatedAt");
  fhir::write_string(w, p.updated_at);
  fhir::write_optional_string(w, "sentAt", p.sent_at);
  if (with_history) {
    fhir::write_key(w, "history");
    w.StartArray();
    for (const auto& a : p.history) {
      w.StartObject();
      fhir::write_key(w, "attempt");
      w.Int(a.attempt);
      fhir::write_key(w, "at");
      fhir::write_string(w, a.at);
      fhir::write_key(w, "status");
      w.Int(static_cast<int>(a.status));
      fhir::write_optional_string(w, "error", a.error);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

ApiAnswer events_json_answer(int status, const fhir::JsonBuffer& buffer) {
  return {status, {buffer.GetString(), buffer.GetSize()}, false, {}};
}

ApiAnswer push_not_found(std::string_view id) {
  return problem_answer(404, fhir::IssueType::not_found, "no such push: " + std::string(id));
}

}  // namespace

std::vector<Route> EventsApi::routes() const {
  using M = Http::Method;
  auto route = [](M method, std::string pattern, RouteHandler handler, AccessPolicy policy) {
    return Route{method, std::move(pattern), policy, std::move(handler), true, {}};
  };
  constexpr auto ehr = AccessPolicy::cds_client, operator_role = AccessPolicy::operator_attachments;
  return {
      route(M::Post, "/events", [this](const Http::Request& r, const PathParams&) { return take_event(r); }, ehr),
      route(M::Get, "/events/push", [this](const Http::Request& r, const PathParams&) { return list(r); },
            operator_role),
      route(M::Get, "/events/push/{id}",
            [this](const Http::Request&, const PathParams& p) { return read(p.get("id")); }, operator_role),
      route(M::Post, "/events/push/{id}/retry",
            [this](const Http::Request&, const PathParams& p) { return retry(p.get("id")); }, operator_role),
  };
}

ApiAnswer EventsApi::take_event(const Http::Request& request) const {
  if (!has_json_body(request)) return problem_answer(415, fhir::IssueType::not_supported, "send the event as JSON");
  const auto rules = rules_();
  if (!rules) return problem_answer(503, fhir::IssueType::transient, "no payer rules are loaded");
  auto plan = config::plan_pushes(*rules, request.body());
  if (!plan) return problem_answer(plan.error());
  auto& queue = *sender_->queue();
  std::vector<std::pair<config::PlannedPush, cdex::PushQueue::Queued>> queued;
  const int64_t now = cdex::push_clock_ms();
  for (auto& p : plan->pushes) {
    cdex::PushItem item;
    item.key = p.key;
    item.event = p.event;
    item.subject = p.subject;
    item.payer_id = p.payer_id;
    item.push_id = p.push_id;
    item.destination = p.destination;
    item.what = p.what;
    item.parameters = p.parameters;
    auto added = queue.enqueue(item, now);
    if (!added) {
      spdlog::error("POST /events: {}", added.error().message);
      return problem_answer(500, fhir::IssueType::exception, "the push could not be queued");
    }
    spdlog::info("event {} of {}: push {} ({} to {}) {}", p.event, p.subject, added->id, p.what, p.destination,
                 added->added ? "queued" : "already queued (same idempotency key)");
    queued.emplace_back(std::move(p), *added);
  }
  if (!queued.empty()) sender_->wake();

  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "event");
  fhir::write_string(w, plan->event);
  fhir::write_key(w, "subject");
  fhir::write_string(w, plan->subject);
  fhir::write_optional_string(w, "payer", plan->payer_id);
  fhir::write_key(w, "pushes");
  w.StartArray();
  for (const auto& [p, q] : queued) {
    w.StartObject();
    fhir::write_key(w, "id");
    fhir::write_string(w, std::to_string(q.id));
    fhir::write_key(w, "key");
    fhir::write_string(w, p.key);
    fhir::write_key(w, "what");
    fhir::write_string(w, p.what);
    fhir::write_key(w, "destination");
    fhir::write_string(w, p.destination);
    fhir::write_key(w, "new");
    w.Bool(q.added);
    w.EndObject();
  }
  w.EndArray();
  fhir::write_key(w, "notes");
  w.StartArray();
  for (const auto& note : plan->notes) fhir::write_string(w, note);
  w.EndArray();
  w.EndObject();
  return events_json_answer(queued.empty() ? 200 : 202, buffer);
}

ApiAnswer EventsApi::list(const Http::Request& request) const {
  const std::string state = query_parameter(request, "state").value_or("");
  if (!state.empty() && state != "queued" && state != "sent" && state != "failed")
    return problem_answer(400, fhir::IssueType::value, "state must be queued, sent or failed", "state");
  auto items = sender_->queue()->list(state, 500);
  if (!items) return problem_answer(500, fhir::IssueType::exception, "the push queue could not be read");
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "total");
  w.Int(static_cast<int>(items->size()));
  fhir::write_key(w, "pushes");
  w.StartArray();
  for (const auto& p : *items) write_push(w, p, false);
  w.EndArray();
  w.EndObject();
  return events_json_answer(200, buffer);
}

ApiAnswer EventsApi::read(const std::string& id_text) const {
  const auto id = push_id_of(id_text);
  if (!id) return push_not_found(id_text);
  auto item = sender_->queue()->get(*id);
  if (!item) return problem_answer(500, fhir::IssueType::exception, "the push queue could not be read");
  if (!*item) return push_not_found(id_text);
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  write_push(w, **item, true);
  return events_json_answer(200, buffer);
}

ApiAnswer EventsApi::retry(const std::string& id_text) const {
  const auto id = push_id_of(id_text);
  if (!id) return push_not_found(id_text);
  auto item = sender_->queue()->get(*id);
  if (!item) return problem_answer(500, fhir::IssueType::exception, "the push queue could not be read");
  if (!*item) return push_not_found(id_text);
  auto queued = sender_->queue()->retry(*id, cdex::push_clock_ms());
  if (!queued) return problem_answer(500, fhir::IssueType::exception, "the push could not be queued again");
  if (!*queued)
    return problem_answer(409, fhir::IssueType::business_rule,
                          "push " + id_text + " is " + (*item)->state + "; only a failed push is queued again");
  spdlog::info("push {} queued again by an operator", *id);
  sender_->wake();
  return read(id_text);
}

}  // namespace crdex::server
