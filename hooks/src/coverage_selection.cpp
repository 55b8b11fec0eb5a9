#include "crdex/fhir/json_node.hpp"
#include "crdex/hooks/coverage_selection.hpp"

#include <algorithm>
#include <vector>

#include "crdex/fhir/reference.hpp"
#include "crdex/hooks/prefetch_fill.hpp"

namespace crdex::hooks {

namespace {

using simdjson::dom::element;

fhir::Error error(int status, fhir::IssueType type, std::string message) {
  return fhir::Error{status, type, std::move(message), "prefetch.coverage"};
}

std::string_view resource_type_of(element resource) {
  std::string_view type;
  fhir::read_into(resource["resourceType"], type);
  return type;
}

struct CoverageCandidate {
  element resource;
  std::string reference;
  const config::PayerRuleSet* payer = nullptr;
  std::string_view full_url;
};

// How Coverage.payor names the payer, for messages.
std::string describe_payors(element coverage) {
  std::string out;
  simdjson::dom::array payors;
  if (coverage["payor"].get(payors) != simdjson::SUCCESS) return "no payor";
  for (element payor : payors) {
    std::string_view text;
    if (payor["display"].get(text) != simdjson::SUCCESS && payor["reference"].get(text) != simdjson::SUCCESS &&
        payor["identifier"]["value"].get(text) != simdjson::SUCCESS)
      text = "(unnamed)";
    out.append(out.empty() ? "" : ", ").append(text);
  }
  return out.empty() ? "no payor" : out;
}

fhir::Result<const config::PayerRuleSet*> payer_of(element coverage, const config::RuleCatalog& catalog) {
  const config::PayerRuleSet* found = nullptr;
  simdjson::dom::array payors;
  if (coverage["payor"].get(payors) != simdjson::SUCCESS) return found;
  for (element payor : payors) {
    config::PayorMention mention;
    fhir::read_into(payor["reference"], mention.reference);
    fhir::read_into(payor["identifier"]["system"], mention.identifier_system);
    fhir::read_into(payor["identifier"]["value"], mention.identifier_value);
    fhir::read_into(payor["display"], mention.display);
    const config::PayerRuleSet* payer = catalog.find_payer(mention);
    if (!payer) continue;
    if (found && found != payer)
      return error(400, fhir::IssueType::business_rule,
                   "the Coverage names two payers this service serves (" + found->payer_name + ", " +
                       payer->payer_name + ")");
    found = payer;
  }
  return found;
}

std::string coverage_reference(element coverage, std::string_view full_url) {
  std::string_view id;
  if (coverage["id"].get(id) == simdjson::SUCCESS && !id.empty()) return fhir::relative_reference("Coverage", id);
  const auto parts = fhir::parse_reference(full_url);
  if (parts.valid() && parts.type == "Coverage") return fhir::relative_reference("Coverage", parts.id);
  return {};
}

std::string inactive_reason(element coverage, std::string_view today) {
  std::string_view status, end;
  if (coverage["status"].get(status) == simdjson::SUCCESS && status != "active")
    return "The Coverage status is \"" + std::string(status) + "\".";
  // A date or dateTime compares correctly as text against YYYY-MM-DD on its date part.
  if (coverage["period"]["end"].get(end) == simdjson::SUCCESS && end.size() >= 10 && end.substr(0, 10) < today)
    return "The Coverage ended on " + std::string(end.substr(0, 10)) + ".";
  return {};
}

// The member id the payer's records are keyed on, as the Coverage states it.
std::string_view member_id_of(element coverage, const config::MemberRecords& records) {
  std::string_view id;
  if (records.member_id_system.empty()) {
    fhir::read_into(coverage["subscriberId"], id);
    return id;
  }
  simdjson::dom::array identifiers;
  if (coverage["identifier"].get(identifiers) != simdjson::SUCCESS) return id;
  for (element identifier : identifiers) {
    std::string_view system;
    if (identifier["system"].get(system) == simdjson::SUCCESS && system == records.member_id_system &&
        identifier["value"].get(id) == simdjson::SUCCESS)
      return id;
  }
  return {};
}

// Coverage.class as (type code, value) pairs.
std::vector<std::pair<std::string, std::string>> classes_of(element coverage) {
  std::vector<std::pair<std::string, std::string>> classes;
  simdjson::dom::array entries;
  if (coverage["class"].get(entries) != simdjson::SUCCESS) return classes;
  for (element entry : entries) {
    std::string_view value;
    if (entry["value"].get(value) != simdjson::SUCCESS) continue;
    simdjson::dom::array codings;
    if (entry["type"]["coding"].get(codings) != simdjson::SUCCESS) continue;
    for (element coding : codings) {
      std::string_view code;
      if (coding["code"].get(code) == simdjson::SUCCESS) classes.emplace_back(std::string(code), std::string(value));
    }
  }
  return classes;
}

// The payer's member records have the last word on membership (CRD resp-44/45).
void check_against_member_records(SelectedCoverage& selected, std::string_view today) {
  const auto& records = *selected.payer->members;
  const auto check =
      config::check_membership(records, member_id_of(selected.resource, records), classes_of(selected.resource), today);
  using Result = config::MembershipCheck::Result;
  switch (check.result) {
    case Result::matched:
      selected.payer_record = check.coverage;
      selected.inactive_because.clear();  // the payer's record says it is active
      return;
    case Result::no_member_found:
      selected.membership_reason = "no-member-found";
      break;
    case Result::no_active_coverage:
      selected.membership_reason = "no-active-coverage";
      break;
    case Result::coverage_not_found:
      selected.membership_reason = "coverage-not-found";
      break;
  }
  selected.membership_explanation = check.explanation;
}

using CoverageList = std::vector<std::pair<element, std::string_view>>;  // resource, fullUrl

// The Coverages `value` holds: itself, or the Coverage entries of a Bundle.
void collect_coverages(element value, CoverageList& out) {
  const auto type = resource_type_of(value);
  if (type == "Coverage") {
    out.emplace_back(value, std::string_view{});
    return;
  }
  if (type != "Bundle") return;
  simdjson::dom::array entries;
  if (value["entry"].get(entries) != simdjson::SUCCESS) return;
  for (element entry : entries) {
    element resource;
    if (entry["resource"].get(resource) != simdjson::SUCCESS || resource_type_of(resource) != "Coverage") continue;
    std::string_view full_url;
    fhir::read_into(entry["fullUrl"], full_url);
    out.emplace_back(resource, full_url);
  }
}

// Coverages in the other prefetch values the EHR sent, found by content (the
// CRD reference client sends its Coverage in a Bundle under `coverageBundle`).
CoverageList coverages_by_content(const HookRequest& request) {
  CoverageList found;
  if (!request.prefetch) return found;
  for (auto field : request.prefetch->element().get_object()) {
    if (field.key == "coverage" || !field.value.is_object()) continue;
    collect_coverages(field.value, found);
  }
  return found;
}

// The Coverage references the orders name in `insurance` (any Bundle of the
// context: draftOrders, dispatchedOrders, appointments).
std::vector<std::string_view> insurance_references(const HookRequest& request) {
  std::vector<std::string_view> references;
  for (auto field : request.context.element().get_object()) {
    simdjson::dom::array entries;
    if (!field.value.is_object() || field.value["entry"].get(entries) != simdjson::SUCCESS) continue;
    for (element entry : entries) {
      simdjson::dom::array insurance;
      if (entry["resource"]["insurance"].get(insurance) != simdjson::SUCCESS) continue;
      for (element item : insurance) {
        std::string_view reference;
        if (fhir::read_into(item["reference"], reference) && !reference.empty()) references.push_back(reference);
      }
    }
  }
  return references;
}

bool names_coverage(std::string_view reference, const std::string& relative, std::string_view full_url) {
  if (!full_url.empty() && reference == full_url) return true;
  if (relative.empty()) return false;
  return reference == relative ||
         (reference.size() > relative.size() && reference.ends_with(relative) &&
          reference[reference.size() - relative.size() - 1] == '/');
}

}  // namespace

fhir::Result<SelectedCoverage> select_coverage(const HookRequest& request, const config::RuleCatalog& catalog,
                                               std::string_view today) {
  std::optional<fhir::JsonNode> key;
  if (request.prefetch) key = request.prefetch->find("coverage");
  // The standard key absent, null, empty or without a Coverage: look for one
  // by content in the other prefetch values before asking or answering 412.
  CoverageList coverages;
  if (key && key->is_object()) collect_coverages(key->element(), coverages);
  if (coverages.empty()) {
    coverages = coverages_by_content(request);
    if (!coverages.empty()) key.reset();
  }
  if (coverages.empty() && request.filled) {
    if (auto fetched = request.filled->value("coverage")) {
      key = fhir::JsonNode(*fetched, "prefetch.coverage");
      if (key->is_object()) collect_coverages(key->element(), coverages);
    }
  }  // a Coverage crdex could not fetch: the template's failure policy (fail -> 412) answered already
  if (!key && coverages.empty())
    return error(412, fhir::IssueType::not_found,
                 "prefetch.coverage is missing: this service needs the member's Coverage (see the prefetch "
                 "templates in GET /cds-services) and the request gives no fhirServer and fhirAuthorization "
                 "to fetch it with");
  if (coverages.empty() && key->is_null())
    return error(400, fhir::IssueType::business_rule,
                 "prefetch.coverage is null: the patient has no Coverage for a payer this service serves");
  if (coverages.empty() && !key->is_object())
    return error(400, fhir::IssueType::structure, "prefetch.coverage must be a FHIR resource");
  if (coverages.empty()) {
    const auto type = resource_type_of(key->element());
    if (type == "OperationOutcome")
      return error(412, fhir::IssueType::not_found,
                   "prefetch.coverage holds an OperationOutcome: the EHR could not provide the member's Coverage");
    if (type != "Bundle" && type != "Coverage")
      return error(400, fhir::IssueType::structure, "prefetch.coverage must be a Coverage or a Bundle of Coverages");
  }
  if (coverages.empty())
    return error(400, fhir::IssueType::business_rule,
                 "prefetch.coverage holds no Coverage: the patient has no coverage this service can assess");

  std::vector<CoverageCandidate> ours;
  std::string others;
  for (const auto& [resource, full_url] : coverages) {
    auto payer = payer_of(resource, catalog);
    if (!payer) return payer.error();
    if (!*payer) {
      others.append(others.empty() ? "" : "; ").append(describe_payors(resource));
      continue;
    }
    ours.push_back({resource, coverage_reference(resource, full_url), *payer, full_url});
  }
  if (ours.empty())
    return error(400, fhir::IssueType::business_rule,
                 "no Coverage belongs to a payer this service serves (payor: " + others + ")");
  // Several of the served payer's: the active ones, then the one the orders
  // name in `insurance`, before giving up (docs/api.md).
  if (ours.size() > 1) {
    std::vector<CoverageCandidate> active;
    for (const auto& candidate : ours)
      if (inactive_reason(candidate.resource, today).empty()) active.push_back(candidate);
    if (!active.empty()) ours = std::move(active);
  }
  if (ours.size() > 1) {
    const auto named = insurance_references(request);
    std::vector<CoverageCandidate> chosen;
    for (size_t i = 0; i < ours.size(); ++i) {
      for (auto reference : named)
        if (names_coverage(reference, ours[i].reference, ours[i].full_url)) {
          chosen.push_back(ours[i]);
          break;
        }
    }
    if (!chosen.empty()) ours = std::move(chosen);
  }
  if (ours.size() > 1)
    return error(400, fhir::IssueType::business_rule,
                 "prefetch.coverage holds " + std::to_string(ours.size()) +
                     " Coverages for payers this service serves; send only the one relevant to these orders "
                     "(CRD dev-29)");
  if (ours.front().reference.empty())
    return error(400, fhir::IssueType::required, "the Coverage has no id to refer to in coverage information");

  SelectedCoverage selected;
  selected.reference = ours.front().reference;
  selected.payer = ours.front().payer;
  selected.inactive_because = inactive_reason(ours.front().resource, today);
  selected.resource = ours.front().resource;
  if (selected.payer->members) check_against_member_records(selected, today);
  return selected;
}

}  // namespace crdex::hooks
