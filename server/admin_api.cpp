#include "admin_api.hpp"

#include "api_helpers.hpp"

#include <algorithm>
#include <charconv>

#include "crdex/fhir/json_writer.hpp"
#include "crdex/fhir/operation_outcome.hpp"
#include "crdex/hooks/timestamps.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

constexpr int kDefaultPage = 50;
constexpr int kMaxPage = 500;

ApiAnswer json_answer(const fhir::JsonBuffer& buffer) { return {200, {buffer.GetString(), buffer.GetSize()}, false, {}}; }

void write_raw_json_or_null(fhir::JsonWriter& w, const std::string& json) {
  if (json.empty()) w.Null();
  else w.RawValue(json.data(), json.size(), json.front() == '{' ? rapidjson::kObjectType : rapidjson::kArrayType);
}

void write_entry(fhir::JsonWriter& w, const hooks::AuditEntry& e) {
  w.StartObject();
  fhir::write_key(w, "id");
  w.Int64(e.id);
  fhir::write_key(w, "recordedAt");
  fhir::write_string(w, e.recorded_at);
  fhir::write_key(w, "service");
  fhir::write_string(w, e.service_id);
  fhir::write_optional_string(w, "hook", e.hook);
  fhir::write_optional_string(w, "hookInstance", e.hook_instance);
  fhir::write_optional_string(w, "patientId", e.patient_id);
  fhir::write_optional_string(w, "payer", e.payer_id);
  fhir::write_optional_string(w, "requestId", e.request_id);
  fhir::write_key(w, "status");
  w.Int(e.status);
  fhir::write_key(w, "durationMicros");
  w.Int64(e.duration_us);
  fhir::write_key(w, "request");
  write_raw_json_or_null(w, e.request);
  fhir::write_key(w, "response");
  write_raw_json_or_null(w, e.response);
  w.EndObject();
}

// The search's query string again with `after` moved on, for the next page.
std::string next_page_link(const hooks::AuditQuery& q, int64_t after) {
  std::string link = "/admin/audit?limit=" + std::to_string(q.limit) + "&after=" + std::to_string(after);
  auto add = [&link](const char* name, const std::string& value) {
    if (value.empty()) return;
    link += std::string("&") + name + "=";
    for (unsigned char c : value) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        link.push_back(static_cast<char>(c));
      } else {
        static constexpr char kHex[] = "0123456789ABCDEF";
        link += {'%', kHex[c >> 4], kHex[c & 15]};
      }
    }
  };
  add("hookInstance", q.hook_instance);
  add("requestId", q.request_id);
  add("patient", q.patient_id);
  add("payer", q.payer_id);
  if (q.from_ms) add("from", hooks::format_rfc3339_ms(*q.from_ms));
  if (q.to_ms) add("to", hooks::format_rfc3339_ms(*q.to_ms));
  return link;
}

bool parse_count(const std::string& text, int64_t& out) {
  const auto end = text.data() + text.size();
  return !text.empty() && std::from_chars(text.data(), end, out).ptr == end && out >= 0;
}

}  // namespace

std::optional<ApiAnswer> AdminApi::refuse_unless_admin(const Http::Request& request) const {
  if (!token_)
    return problem_answer(403, fhir::IssueType::security,
                          "the admin API is off: start crdex-server with --admin-token-file FILE");
  const std::string presented = bearer_token_of(request);
  if (token_->matches(presented)) return std::nullopt;
  ApiAnswer answer = problem_answer(401, fhir::IssueType::security,
                                    presented.empty() ? "this API needs the admin token: Authorization: Bearer <token>"
                                                      : "the bearer token is not the admin token");
  answer.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"crdex-admin\"");
  return answer;
}

std::vector<Route> AdminApi::routes() const {
  // `serve` gets the payer an operator limited to payers may see ("" otherwise).
  auto route = [this](std::string pattern, bool per_payer,
                      std::function<ApiAnswer(const Http::Request&, const std::string&)> serve) {
    return Route{Http::Method::Get, std::move(pattern), AccessPolicy::admin,
                 [this, per_payer, serve = std::move(serve)](const Http::Request& request, const PathParams& params) {
                   const Caller& caller = params.caller();
                   if (caller.kind != "operator")  // the gate checked an operator's role
                     if (auto refused = refuse_unless_admin(request)) return std::move(*refused);
                   if (caller.payers.empty()) return serve(request, "");
                   if (!per_payer)
                     return problem_answer(403, fhir::IssueType::security,
                                           "operator " + caller.name + " may read only its payers' views");
                   std::string payer = query_parameter(request, "payer").value_or("");
                   if (payer.empty() && caller.payers.size() == 1) payer = caller.payers.front();
                   if (payer.empty())
                     return problem_answer(400, fhir::IssueType::required, "name the payer (?payer=)", "payer");
                   if (std::find(caller.payers.begin(), caller.payers.end(), payer) == caller.payers.end())
                     return problem_answer(403, fhir::IssueType::security,
                                           "operator " + caller.name + " may not read payer " + payer);
                   return serve(request, payer);
                 },
                 true, {}};
  };
  return {
      route("/admin/audit", true, [this](const Http::Request& r, const std::string& p) { return audit_search(r, p); }),
      route("/admin/audit/stats", false, [this](const Http::Request&, const std::string&) { return audit_stats(); }),
      route("/admin/feedback", true,
            [this](const Http::Request& r, const std::string& p) { return feedback_summary(r, p); }),
  };
}

ApiAnswer AdminApi::audit_search(const Http::Request& request, const std::string& payer) const {
  hooks::AuditQuery q;
  q.hook_instance = query_parameter(request, "hookInstance").value_or("");
  q.request_id = query_parameter(request, "requestId").value_or("");
  q.patient_id = query_parameter(request, "patient").value_or("");
  if (q.patient_id.starts_with("Patient/")) q.patient_id.erase(0, 8);
  q.payer_id = payer.empty() ? query_parameter(request, "payer").value_or("") : payer;
  for (auto [name, target] : {std::pair{"from", &q.from_ms}, std::pair{"to", &q.to_ms}}) {
    if (auto text = query_parameter(request, name)) {
      *target = hooks::parse_rfc3339_ms(*text);
      if (!*target)
        return problem_answer(400, fhir::IssueType::invalid,
                       std::string(name) + " is not an RFC 3339 date-time (e.g. 2026-11-22T03:00:00Z)", name);
    }
  }
  int64_t number = 0;
  if (auto text = query_parameter(request, "limit")) {
    if (!parse_count(*text, number) || number < 1 || number > kMaxPage)
      return problem_answer(400, fhir::IssueType::invalid, "limit must be 1 to " + std::to_string(kMaxPage), "limit");
    q.limit = static_cast<int>(number);
  } else {
    q.limit = kDefaultPage;
  }
  if (auto text = query_parameter(request, "after")) {
    if (!parse_count(*text, number))
      return problem_answer(400, fhir::IssueType::invalid, "after must be the id of a record (a number)", "after");
    q.after_id = number;
  }
  // One more than the page: whether there is a next page.
  hooks::AuditQuery probe = q;
  probe.limit = q.limit + 1;
  auto found = audit_->store().find(probe);
  if (!found) return {found.error().http_status, fhir::operation_outcome_json(found.error()), true, {}};
  const bool more = found->size() > static_cast<size_t>(q.limit);
  if (more) found->resize(q.limit);

  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "entries");
  w.StartArray();
  for (const auto& entry : *found) write_entry(w, entry);
  w.EndArray();
  if (more) {
    fhir::write_key(w, "next");
    fhir::write_string(w, next_page_link(q, found->back().id));
  }
  w.EndObject();
  return json_answer(buffer);
}

ApiAnswer AdminApi::audit_stats() const {
  const auto stats = audit_->stats();
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  for (auto [name, value] : {std::pair{"queued", stats.queued}, std::pair{"written", stats.written},
                             std::pair{"dropped", stats.dropped}, std::pair{"failed", stats.failed}}) {
    fhir::write_key(w, name);
    w.Uint64(value);
  }
  w.EndObject();
  return json_answer(buffer);
}

ApiAnswer AdminApi::feedback_summary(const Http::Request& request, const std::string& payer) const {
  auto rows = feedback_->summary(payer.empty() ? query_parameter(request, "payer").value_or("") : payer);
  if (!rows) return {rows.error().http_status, fhir::operation_outcome_json(rows.error()), true, {}};
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "rules");
  w.StartArray();
  for (const auto& row : *rows) {
    w.StartObject();
    if (row.payer_id.empty()) {
      fhir::write_key(w, "unattributed");
      w.Bool(true);
    } else {
      fhir::write_key(w, "payer");
      fhir::write_string(w, row.payer_id);
      fhir::write_key(w, "ruleSetVersion");
      w.Int(row.rule_set_version);
      fhir::write_key(w, "rule");
      fhir::write_string(w, row.rule_id);
      fhir::write_key(w, "cardType");
      fhir::write_string(w, row.card_type);
    }
    fhir::write_key(w, "accepted");
    w.Int64(row.accepted);
    fhir::write_key(w, "overridden");
    w.Int64(row.overridden);
    fhir::write_key(w, "overrideReasons");
    w.StartArray();
    for (const auto& reason : row.override_reasons) {
      w.StartObject();
      fhir::write_optional_string(w, "system", reason.system);
      fhir::write_optional_string(w, "code", reason.code);
      fhir::write_key(w, "count");
      w.Int64(reason.count);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return json_answer(buffer);
}

}  // namespace crdex::server
