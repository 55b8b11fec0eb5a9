#include "crdex/fhir/json_node.hpp"
#include "crdex/hooks/coverage_selection.hpp"

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

}  // namespace

fhir::Result<SelectedCoverage> select_coverage(const HookRequest& request, const config::RuleCatalog& catalog,
                                               std::string_view today) {
  std::optional<fhir::JsonNode> key;
  if (request.prefetch) key = request.prefetch->find("coverage");
  if (request.filled) {
    if (auto fetched = request.filled->value("coverage")) key = fhir::JsonNode(*fetched, "prefetch.coverage");
  }  // a Coverage crdex could not fetch: the template's failure policy (fail -> 412) answered already
  if (!key)
    return error(412, fhir::IssueType::not_found,
                 "prefetch.coverage is missing: this service needs the member's Coverage (see the prefetch "
                 "templates in GET /cds-services) and the request gives no fhirServer and fhirAuthorization "
                 "to fetch it with");
  if (key->is_null())
    return error(400, fhir::IssueType::business_rule,
                 "prefetch.coverage is null: the patient has no Coverage for a payer this service serves");
  if (!key->is_object()) return error(400, fhir::IssueType::structure, "prefetch.coverage must be a FHIR resource");

  const element value = key->element();
  const auto type = resource_type_of(value);
  std::vector<std::pair<element, std::string_view>> coverages;  // resource, fullUrl
  if (type == "OperationOutcome") {
    return error(412, fhir::IssueType::not_found,
                 "prefetch.coverage holds an OperationOutcome: the EHR could not provide the member's Coverage");
  } else if (type == "Coverage") {
    coverages.emplace_back(value, std::string_view{});
  } else if (type == "Bundle") {
    simdjson::dom::array entries;
    if (value["entry"].get(entries) == simdjson::SUCCESS) {
      for (element entry : entries) {
        element resource;
        if (entry["resource"].get(resource) != simdjson::SUCCESS || resource_type_of(resource) != "Coverage")
          continue;
        std::string_view full_url;
        fhir::read_into(entry["fullUrl"], full_url);
        coverages.emplace_back(resource, full_url);
      }
    }
  } else {
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
    ours.push_back({resource, coverage_reference(resource, full_url), *payer});
  }
  if (ours.empty())
    return error(400, fhir::IssueType::business_rule,
                 "no Coverage belongs to a payer this service serves (payor: " + others + ")");
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
