#include "crdex/config/rule_set_parser.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <unordered_set>

#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/json_numbers.hpp"
#include "condition_parser.hpp"
#include "outcome_parser.hpp"
#include "rule_warnings.hpp"
#include "value_sets.hpp"

namespace crdex::config {

using fhir::JsonNode;
using fhir::JsonShapeError;

namespace {

// A FHIR literal reference as Coverage.payor can hold it: Type/id (the type
// a capitalised name, the id 1-64 of [A-Za-z0-9-.]) or an absolute URL/URN.
bool is_payer_reference(std::string_view r) {
  if (r.starts_with("http://") || r.starts_with("https://") || r.starts_with("urn:")) return true;
  const auto slash = r.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  const auto type = r.substr(0, slash), id = r.substr(slash + 1);
  if (!(type.front() >= 'A' && type.front() <= 'Z')) return false;
  for (char c : type)
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  return true;
}

PayerIdentity parse_identity(const JsonNode& node) {
  detail::reject_unknown_keys(node, {"references", "identifiers", "displays"});
  PayerIdentity identity;
  if (auto refs = node.find("references")) {
    for (const auto& r : refs->items()) {
      // Coverage.payor.reference is matched as written: a bare id never matches.
      if (!is_payer_reference(r.as_non_empty_string()))
        r.fail("is \"" + std::string(r.as_string()) +
               "\", not a reference: write Type/id (e.g. Organization/" + std::string(r.as_string()) +
               ") or an absolute URL");
      identity.references.emplace_back(r.as_string());
    }
  }
  if (auto ids = node.find("identifiers")) {
    for (const auto& id : ids->items()) {
      detail::reject_unknown_keys(id, {"system", "value"});
      identity.identifiers.push_back(
          {std::string(id.at("system").as_non_empty_string()), std::string(id.at("value").as_non_empty_string())});
    }
  }
  if (auto displays = node.find("displays"))
    for (const auto& d : displays->items()) identity.displays.emplace_back(d.as_non_empty_string());
  if (identity.references.empty() && identity.identifiers.empty() && identity.displays.empty())
    node.fail("must name at least one reference, identifier or display that identifies the payer");
  return identity;
}

bool is_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

std::string optional_date(const JsonNode& node, std::string_view key) {
  auto value = node.find(key);
  if (!value) return {};
  if (!is_date(value->as_string())) value->fail("must be a date, YYYY-MM-DD");
  return std::string(value->as_string());
}

MemberCoverage parse_member_coverage(const JsonNode& node) {
  detail::reject_unknown_keys(node, {"status", "start", "end", "classes"});
  MemberCoverage coverage;
  if (auto status = node.find("status")) {
    static constexpr std::array<std::string_view, 4> kStatus{"active", "cancelled", "draft", "entered-in-error"};
    coverage.status = status->as_non_empty_string();
    if (!detail::contains(kStatus, coverage.status))
      status->fail("is \"" + coverage.status + "\"; allowed: active, cancelled, draft, entered-in-error");
  }
  coverage.start = optional_date(node, "start");
  coverage.end = optional_date(node, "end");
  if (!coverage.start.empty() && !coverage.end.empty() && coverage.end < coverage.start)
    node.at("end").fail("is before start");
  if (auto classes = node.find("classes")) {
    for (const auto& c : classes->items()) {
      detail::reject_unknown_keys(c, {"type", "value", "name"});
      coverage.classes.push_back({std::string(c.at("type").as_non_empty_string()),
                                  std::string(c.at("value").as_non_empty_string()),
                                  std::string(c.string_or_empty("name"))});
    }
  }
  return coverage;
}

// Collects problems: each independent part of the document is read inside
// guard(), so one mistake does not hide the next.
class Problems {
 public:
  template <class F>
  void guard(F&& read) {
    try {
      read();
    } catch (const JsonShapeError& e) {
      add(e);
    }
  }
  void add(const JsonShapeError& e) { list_.push_back({e.path, json_pointer(e.path), e.what()}); }
  auto reporter() {
    return [this](const JsonShapeError& e) { add(e); };
  }
  std::vector<RuleProblem> take() { return std::move(list_); }

 private:
  std::vector<RuleProblem> list_;
};

// The optional `members` section: the payer's member records.
MemberRecords parse_members(const JsonNode& node, Problems& problems) {
  MemberRecords members;
  problems.guard([&] { detail::reject_unknown_keys(node, {"memberIdSystem", "records"}); });
  problems.guard([&] { members.member_id_system = node.string_or_empty("memberIdSystem"); });
  problems.guard([&] {
    std::unordered_set<std::string> ids;
    for (const auto& record_node : node.at("records").items()) {
      problems.guard([&] {
        detail::reject_unknown_keys(record_node, {"memberId", "coverages"});
        MemberRecord record;
        record.member_id = record_node.at("memberId").as_non_empty_string();
        if (!ids.insert(record.member_id).second)
          record_node.at("memberId").fail("\"" + record.member_id + "\" is used by an earlier record");
        for (const auto& coverage : record_node.at("coverages").items())
          record.coverages.push_back(parse_member_coverage(coverage));
        if (record.coverages.empty()) record_node.at("coverages").fail("must hold at least one coverage");
        members.records.push_back(std::move(record));
      });
    }
  });
  return members;
}

// CRD resp-17 / resp-23: no card may send the clinician to the payer's portal
// for starting prior authorization or checking coverage.
void check_portal_links(const PayerRuleSet& set, Problems& problems) {
  if (set.pa_portals.empty()) return;
  const auto portal_of = [&](std::string_view url) -> const std::string* {
    for (const auto& portal : set.pa_portals)
      if (url.starts_with(portal)) return &portal;
    return nullptr;
  };
  const auto check_outcome = [&](const CoverageOutcome& outcome, const std::string& path) {
    const auto refuse = [&](const std::string& at, const std::string& portal) {
      problems.add(JsonShapeError(at, at + " points to the payer's prior-authorization portal (" + portal +
                                          "); cards must not send clinicians there (CRD resp-17, resp-23)"));
    };
    if (outcome.card)
      for (size_t i = 0; i < outcome.card->links.size(); ++i)
        if (const auto* portal = portal_of(outcome.card->links[i].url))
          refuse(path + ".card.links[" + std::to_string(i) + "].url", *portal);
    if (outcome.smart_app)
      if (const auto* portal = portal_of(outcome.smart_app->url)) refuse(path + ".smartApp.url", *portal);
    // Markdown in a card's detail could carry the same link.
    if (outcome.card)
      for (const auto& portal : set.pa_portals)
        if (outcome.card->detail.find(portal) != std::string::npos) refuse(path + ".card.detail", portal);
  };
  check_outcome(set.default_outcome, "$.defaultOutcome");
  for (size_t i = 0; i < set.rules.size(); ++i)
    check_outcome(set.rules[i].outcome, "$.rules[" + std::to_string(i) + "].then");
}

Rule parse_rule(const JsonNode& node, const detail::CodeGroups& groups, Problems& problems) {
  Rule rule;
  problems.guard([&] { detail::reject_unknown_keys(node, {"id", "description", "priority", "when", "then"}); });
  problems.guard([&] { rule.id = node.at("id").as_non_empty_string(); });
  problems.guard([&] { rule.description = node.string_or_empty("description"); });
  problems.guard([&] {
    if (auto priority = node.find("priority")) rule.priority = static_cast<int>(priority->as_int());
  });
  problems.guard([&] { rule.when = detail::parse_conditions(node.at("when"), groups, problems.reporter()); });
  problems.guard([&] { rule.outcome = detail::parse_outcome(node.at("then"), problems.reporter()); });
  return rule;
}

// One entry of the optional `push` section: what the payer wants sent on which event.
PushRule parse_push_rule(const JsonNode& node, Problems& problems) {
  PushRule push;
  problems.guard([&] { detail::reject_unknown_keys(node, {"id", "on", "send", "destination", "attachTo"}); });
  problems.guard([&] {
    push.id = node.at("id").as_non_empty_string();
    if (push.id.size() > 64 || push.id.find('|') != std::string::npos)
      node.at("id").fail("must be at most 64 characters without '|'");
  });
  problems.guard([&] {
    const auto on = node.at("on");
    push.on = on.as_non_empty_string();
    if (std::find(std::begin(kPushEvents), std::end(kPushEvents), push.on) == std::end(kPushEvents))
      on.fail("is \"" + push.on + "\"; allowed: encounter-discharge, result-final");
  });
  problems.guard([&] {
    const auto send = node.at("send");
    send.expect_object();
    detail::reject_unknown_keys(send, {"resourceType", "codes"});
    const auto type = send.at("resourceType");
    push.resource_type = type.as_non_empty_string();
    if (!(push.resource_type.front() >= 'A' && push.resource_type.front() <= 'Z'))
      type.fail("must be a FHIR resource type (\"DocumentReference\")");
    if (auto codes = send.find("codes"))
      for (const auto& c : codes->items()) push.codes.push_back(detail::parse_coding(c.expect_object(), false));
  });
  problems.guard([&] { push.destination = node.at("destination").as_non_empty_string(); });
  problems.guard([&] {
    if (auto attach = node.find("attachTo")) {
      push.attach_to = attach->as_non_empty_string();
      if (push.attach_to != "claim" && push.attach_to != "preauthorization")
        attach->fail("must be claim or preauthorization");
    }
  });
  return push;
}

PayerRuleSet parse_document(const JsonNode& root, Problems& problems) {
  root.expect_object();
  PayerRuleSet set;
  problems.guard([&] {
    detail::reject_unknown_keys(root, {"schema", "payer", "codeGroups", "defaultOutcome", "rules", "members", "push"});
  });
  problems.guard([&] {
    const auto schema = root.at("schema").as_string();
    if (schema != kRuleSchemaV1)
      root.at("schema").fail("is \"" + std::string(schema) + "\"; this crdex reads \"" + kRuleSchemaV1 + "\"");
  });
  problems.guard([&] {
    const JsonNode payer = root.at("payer");
    payer.expect_object();
    problems.guard([&] { detail::reject_unknown_keys(payer, {"id", "name", "identifiedBy", "paPortals"}); });
    problems.guard([&] {
      if (auto portals = payer.find("paPortals")) {
        for (const auto& portal : portals->items()) {
          const auto url = portal.as_non_empty_string();
          if (!url.starts_with("https://") && !url.starts_with("http://"))
            portal.fail("must be an absolute http(s) URL prefix");
          set.pa_portals.emplace_back(url);
        }
      }
    });
    problems.guard([&] { set.payer_id = payer.at("id").as_non_empty_string(); });
    problems.guard([&] { set.payer_name = payer.at("name").as_non_empty_string(); });
    problems.guard([&] { set.identity = parse_identity(payer.at("identifiedBy").expect_object()); });
  });
  problems.guard([&] { set.default_outcome = detail::parse_outcome(root.at("defaultOutcome"), problems.reporter()); });

  detail::CodeGroups groups;
  problems.guard([&] {
    if (auto node = root.find("codeGroups")) groups = detail::parse_code_groups(*node, problems.reporter());
  });
  problems.guard([&] {
    auto rules = root.find("rules");
    if (!rules) return;
    std::unordered_set<std::string> ids;
    for (const auto& rule_node : rules->items()) {
      problems.guard([&] {
        Rule rule = parse_rule(rule_node.expect_object(), groups, problems);
        if (!rule.id.empty() && !ids.insert(rule.id).second)
          rule_node.at("id").fail("\"" + rule.id + "\" is used by an earlier rule");
        set.rules.push_back(std::move(rule));
      });
    }
  });
  problems.guard([&] {
    if (auto members = root.find("members")) set.members = parse_members(members->expect_object(), problems);
  });
  problems.guard([&] {
    auto push = root.find("push");
    if (!push) return;
    std::unordered_set<std::string> ids;
    for (const auto& push_node : push->items()) {
      problems.guard([&] {
        PushRule rule = parse_push_rule(push_node.expect_object(), problems);
        if (!rule.id.empty() && !ids.insert(rule.id).second)
          push_node.at("id").fail("\"" + rule.id + "\" is used by an earlier push entry");
        set.push.push_back(std::move(rule));
      });
    }
  });
  check_portal_links(set, problems);
  return set;
}

}  // namespace

RuleSetCheck check_rule_set(std::string_view json, const std::string& source) {
  RuleSetCheck check;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = fhir::parse_json(parser, json, root); error != simdjson::SUCCESS) {
    check.problems.push_back({"$", "", std::string("not valid JSON (") + simdjson::error_message(error) + ")"});
    return check;
  }
  // Numbers the payer wrote (quantities, questionnaires) are kept as written.
  const fhir::SourceSpelling spelling(parser, json);
  Problems problems;
  PayerRuleSet set;
  problems.guard([&] { set = parse_document(JsonNode(root, "$"), problems); });
  check.problems = problems.take();
  check.warnings = code_system_warnings(root);
  if (check.problems.empty()) {
    set.source = source;
    check.set = std::move(set);
  }
  return check;
}

fhir::Result<PayerRuleSet> parse_rule_set(std::string_view json, const std::string& source) {
  auto check = check_rule_set(json, source);
  if (check.ok()) return std::move(*check.set);
  const auto& first = check.problems.front();
  const auto type = first.path == "$" && first.pointer.empty() ? fhir::IssueType::structure : fhir::IssueType::invalid;
  return fhir::Error{400, type, source + ": " + first.message, first.path};
}

std::string json_pointer(std::string_view path) {
  if (path.starts_with("$")) path.remove_prefix(1);
  std::string pointer;
  for (char c : path) {
    if (c == '.' || c == '[') {
      pointer.push_back('/');
    } else if (c == ']') {
    } else if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer.push_back(c);
    }
  }
  return pointer;
}

fhir::Result<PayerRuleSet> load_rule_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fhir::Error{400, fhir::IssueType::not_found, file.string() + ": cannot be read", ""};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_rule_set(text.str(), file.string());
}

}  // namespace crdex::config
