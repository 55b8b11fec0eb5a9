#include "rules_api.hpp"

#include "api_helpers.hpp"

#include <charconv>

#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/json_numbers.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "crdex/fhir/operation_outcome.hpp"
#include "crdex/hooks/recorded_dry_run.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

// One OperationOutcome issue per problem, each with its JSON pointer (as the
// issue's expression and in the extension crdex-json-pointer) and message.
ApiAnswer problems_answer(int status, const std::vector<config::RuleProblem>& problems) {
  std::vector<fhir::OutcomeIssue> issues;
  issues.reserve(problems.size());
  for (const auto& p : problems) issues.push_back({"error", "invalid", p.message, p.path, p.pointer});
  return {status, fhir::operation_outcome_json(issues), true, {}};
}

// An OperationOutcome that reports success (severity information).
ApiAnswer information(int status, const std::string& message) {
  return {status, fhir::information_outcome_json(message), true, {}};
}

ApiAnswer failure_answer(const hooks::PublishFailure& failure) {
  if (!failure.problems.empty()) return problems_answer(422, failure.problems);
  return problem_answer(failure.error);
}

void write_version(fhir::JsonWriter& w, const config::StoredRuleSet& v) {
  fhir::write_key(w, "payer");
  fhir::write_string(w, v.payer_id);
  fhir::write_key(w, "version");
  w.Int(v.version);
  fhir::write_key(w, "author");
  fhir::write_string(w, v.author);
  fhir::write_key(w, "createdAt");
  fhir::write_string(w, v.created_at);
  fhir::write_key(w, "checksum");
  fhir::write_string(w, v.checksum);
  fhir::write_key(w, "comment");
  fhir::write_string(w, v.comment);
  fhir::write_key(w, "current");
  w.Bool(v.current);
}

ApiAnswer version_answer(int status, const config::StoredRuleSet& v, bool with_document) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  write_version(w, v);
  if (with_document) {
    fhir::write_key(w, "ruleSet");
    w.RawValue(v.document.data(), v.document.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  ApiAnswer answer{status, {buffer.GetString(), buffer.GetSize()}, false, {}};
  answer.headers.emplace_back("X-Crdex-Rule-Set-Version", std::to_string(v.version));
  return answer;
}

ApiAnswer versions_answer(const std::string& payer, const std::vector<config::StoredRuleSet>& versions) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "payer");
  fhir::write_string(w, payer);
  fhir::write_key(w, "versions");
  w.StartArray();
  for (const auto& v : versions) {
    w.StartObject();
    write_version(w, v);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {200, {buffer.GetString(), buffer.GetSize()}, false, {}};
}

ApiAnswer changes_answer(const std::vector<hooks::DecisionChange>& changes, size_t request_count) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "requests");
  w.Uint64(request_count);
  fhir::write_key(w, "changes");
  w.StartArray();
  for (const auto& c : changes) {
    w.StartObject();
    fhir::write_key(w, "request");
    w.Uint64(c.request);
    fhir::write_key(w, "order");
    fhir::write_string(w, c.order);
    fhir::write_key(w, "current");
    fhir::write_string(w, c.before);
    fhir::write_key(w, "candidate");
    fhir::write_string(w, c.after);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {200, {buffer.GetString(), buffer.GetSize()}, false, {}};
}

std::string request_header_text(const Http::Request& request, const std::string& name) {
  auto raw = request.headers().tryGetRaw(name);
  return raw ? raw->value() : std::string();
}

bool valid_payer_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') return false;
  return true;
}

// Who is calling for `payer`: the author recorded with a change, or the
// refusal. Authentication first: nothing about a payer's rules, not even
// whether they exist, is shown without that payer's token.
struct PublisherCall {
  std::string payer;
  std::string author;
  std::optional<ApiAnswer> refusal;
};

PublisherCall authorize_publisher(hooks::RulePublisher& publisher, const Http::Request& request,
                                  const PathParams& params) {
  PublisherCall call;
  call.payer = params.get("payer");
  if (!valid_payer_id(call.payer)) {
    call.refusal = problem_answer(404, fhir::IssueType::not_found, "no such payer: " + call.payer);
    return call;
  }
  const std::string token = bearer_token_of(request);
  if (token.empty()) {
    ApiAnswer answer = problem_answer(401, fhir::IssueType::security,
                                      "this API needs the payer's publisher token: Authorization: Bearer <token>");
    answer.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"crdex-rules\"");
    call.refusal = std::move(answer);
    return call;
  }
  auto owner = publisher.store().payer_of_token(token);
  if (!owner) {
    call.refusal = problem_answer(owner.error());
    return call;
  }
  if (!*owner) {
    ApiAnswer answer = problem_answer(401, fhir::IssueType::security, "the bearer token is not a publisher token");
    answer.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"crdex-rules\", error=\"invalid_token\"");
    call.refusal = std::move(answer);
    return call;
  }
  if (**owner != call.payer) {
    call.refusal =
        problem_answer(403, fhir::IssueType::security, "this token may only publish the rules of its own payer");
    return call;
  }
  const std::string named = request_header_text(request, "X-Crdex-Author");
  call.author = named.empty() ? "publisher of " + call.payer : named + " (publisher of " + call.payer + ")";
  return call;
}

}  // namespace

std::vector<Route> RulesApi::routes() const {
  using M = Http::Method;
  // Every route: the payer's publisher token, then the route's own work.
  auto route = [this](M method, std::string pattern,
                      ApiAnswer (RulesApi::*serve)(const Http::Request&, const Caller&, const PathParams&) const) {
    return Route{method, std::move(pattern), AccessPolicy::payer_publisher,
                 [this, serve](const Http::Request& request, const PathParams& params) {
                   auto call = authorize_publisher(*publisher_, request, params);
                   if (call.refusal) return std::move(*call.refusal);
                   return (this->*serve)(request, Caller{call.payer, call.author}, params);
                 },
                 true, {}};
  };
  return {
      route(M::Get, "/payers/{payer}/rules", &RulesApi::current),
      route(M::Put, "/payers/{payer}/rules", &RulesApi::publish),
      route(M::Get, "/payers/{payer}/rules/versions", &RulesApi::versions),
      route(M::Get, "/payers/{payer}/rules/versions/{version}", &RulesApi::version),
      route(M::Post, "/payers/{payer}/rules/rollback", &RulesApi::rollback),
      route(M::Post, "/payers/{payer}/rules:validate", &RulesApi::validate),
      route(M::Post, "/payers/{payer}/rules:dry-run", &RulesApi::dry_run),
  };
}

ApiAnswer RulesApi::current(const Http::Request&, const Caller& caller, const PathParams&) const {
  const std::string& payer = caller.payer;
  auto current = publisher_->store().current(payer);
  return current ? version_answer(200, *current, true) : problem_answer(current.error());
}

ApiAnswer RulesApi::publish(const Http::Request& request, const Caller& caller, const PathParams&) const {
  const std::string& payer = caller.payer;
  const std::string& author = caller.author;
  auto published = publisher_->publish(payer, request.body(), author, request_header_text(request, "X-Crdex-Comment"));
  if (!published.ok()) return failure_answer(published.failure);
  ApiAnswer answer = version_answer(201, *published.value, false);
  answer.headers.emplace_back("Location",
                              "/payers/" + payer + "/rules/versions/" + std::to_string(published.value->version));
  return answer;
}

ApiAnswer RulesApi::versions(const Http::Request&, const Caller& caller, const PathParams&) const {
  const std::string& payer = caller.payer;
  auto versions = publisher_->store().versions(payer);
  return versions ? versions_answer(payer, *versions) : problem_answer(versions.error());
}

ApiAnswer RulesApi::version(const Http::Request&, const Caller& caller, const PathParams& params) const {
  const std::string& payer = caller.payer;
  const std::string text = params.get("version");
  int number = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), number);
  if (parsed.ec != std::errc{} || parsed.ptr != text.data() + text.size() || number < 1)
    return problem_answer(404, fhir::IssueType::not_found, "versions are numbered 1, 2, ...");
  auto version = publisher_->store().version(payer, number);
  return version ? version_answer(200, *version, true) : problem_answer(version.error());
}

ApiAnswer RulesApi::rollback(const Http::Request& request, const Caller& caller, const PathParams&) const {
  const std::string& payer = caller.payer;
  const std::string& author = caller.author;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  int64_t version = 0;
  if (parser.parse(request.body()).get(root) != simdjson::SUCCESS || root["version"].get_int64().get(version) ||
      version < 1 || version > INT32_MAX)
    return problem_answer(400, fhir::IssueType::invalid, "send {\"version\": N} naming the version to make current");
  auto rolled = publisher_->rollback(payer, static_cast<int>(version), author);
  if (!rolled.ok()) return failure_answer(rolled.failure);
  return version_answer(200, *rolled.value, false);
}

ApiAnswer RulesApi::validate(const Http::Request& request, const Caller& caller, const PathParams&) const {
  const std::string& payer = caller.payer;
  auto checked = publisher_->check(payer, request.body());
  if (!checked.ok()) return failure_answer(checked.failure);
  return information(200, "the rule set is valid (" + std::to_string(checked.value->rules.size()) + " rules)");
}

ApiAnswer RulesApi::dry_run(const Http::Request& request, const Caller& caller, const PathParams&) const {
  const std::string& payer = caller.payer;
  simdjson::dom::parser parser;
  simdjson::dom::element root, rule_set, requests;
  int64_t last_recorded = 0;
  const bool parsed = fhir::parse_json(parser, request.body(), root) == simdjson::SUCCESS;
  const fhir::SourceSpelling spelling(parser, request.body());  // the payer's numbers as written
  if (parsed && !root["ruleSet"].get(rule_set) && rule_set.is_object() &&
      !root["lastRecorded"].get_int64().get(last_recorded)) {
    // Against the payer's last N recorded calls (the audit log).
    if (!recorded_) return problem_answer(404, fhir::IssueType::not_supported, "this server keeps no audit log");
    if (last_recorded < 1 || last_recorded > hooks::kMaxRecordedDryRun)
      return problem_answer(fhir::Error{400, fhir::IssueType::invalid,
                                        "lastRecorded must be 1 to " + std::to_string(hooks::kMaxRecordedDryRun),
                                        "lastRecorded"});
    auto answer = hooks::recorded_dry_run(*publisher_, recorded_->store(), payer, fhir::minified(rule_set),
                                   static_cast<int>(last_recorded));
    if (!answer.ok()) return failure_answer(answer.failure);
    return {200, std::move(*answer.value), false, {}};
  }
  if (!parsed || root["ruleSet"].get(rule_set) || root["requests"].get(requests) || !rule_set.is_object() ||
      !requests.is_array())
    return problem_answer(400, fhir::IssueType::invalid,
                          "send {\"ruleSet\": {...}, \"requests\": [{\"service\": id, \"request\": {...}}]} or "
                          "{\"ruleSet\": {...}, \"lastRecorded\": N}");
  auto samples = hooks::read_sample_requests(fhir::minified(requests));
  if (!samples) return problem_answer(samples.error());
  auto changes = publisher_->dry_run(payer, fhir::minified(rule_set), *samples);
  if (!changes.ok()) return failure_answer(changes.failure);
  return changes_answer(*changes.value, samples->size());
}

}  // namespace crdex::server
