#include "crdex/cards/coverage_information_action.hpp"

#include <algorithm>
#include <array>

#include "crdex/fhir/reference.hpp"

namespace crdex::cards {

namespace {

using fhir::JsonWriter;
using fhir::write_key;
using fhir::write_string;

void write_sub(JsonWriter& w, std::string_view url, std::string_view value_key, std::string_view value) {
  w.StartObject();
  write_key(w, "url");
  write_string(w, url);
  write_key(w, value_key);
  write_string(w, value);
  w.EndObject();
}

void write_coding(JsonWriter& w, const fhir::Coding& coding) {
  w.StartObject();
  write_key(w, "system");
  write_string(w, coding.system);
  write_key(w, "code");
  write_string(w, coding.code);
  fhir::write_optional_string(w, "display", coding.display);
  w.EndObject();
}

void write_codeable_concept(JsonWriter& w, const fhir::Coding& coding, std::string_view text) {
  w.StartObject();
  if (!coding.code.empty()) {
    write_key(w, "coding");
    w.StartArray();
    write_coding(w, coding);
    w.EndArray();
  }
  fhir::write_optional_string(w, "text", text);
  w.EndObject();
}

void write_detail(JsonWriter& w, const config::CoverageDetail& detail) {
  w.StartObject();
  write_key(w, "url");
  write_string(w, "detail");
  write_key(w, "extension");
  w.StartArray();
  write_sub(w, "category", "valueCode", detail.category);
  w.StartObject();
  write_key(w, "url");
  write_string(w, "code");
  write_key(w, "valueCodeableConcept");
  write_codeable_concept(w, detail.code, {});
  w.EndObject();
  w.StartObject();
  write_key(w, "url");
  write_string(w, "value");
  write_key(w, detail.value_key);
  const bool is_text = detail.value_key == "valueString" || detail.value_key == "valueUrl";
  const bool is_bool = detail.value_key == "valueBoolean";
  fhir::write_json_text(w, detail.value_json,
                        is_text   ? rapidjson::kStringType
                        : is_bool ? (detail.value_json == "true" ? rapidjson::kTrueType : rapidjson::kFalseType)
                                  : rapidjson::kObjectType);
  w.EndObject();
  if (!detail.qualification.empty()) write_sub(w, "qualification", "valueString", detail.qualification);
  w.EndArray();
  w.EndObject();
}

// True when `extension` is a coverage-information extension about the same
// Coverage as `coverage_reference`: the one this action replaces.
bool is_same_coverage_information(simdjson::dom::element extension, std::string_view coverage_reference) {
  std::string_view url;
  if (extension["url"].get(url) != simdjson::SUCCESS || url != kCoverageInformationUrl) return false;
  simdjson::dom::array subs;
  if (extension["extension"].get(subs) != simdjson::SUCCESS) return false;
  const auto ours = fhir::parse_reference(coverage_reference);
  for (simdjson::dom::element sub : subs) {
    std::string_view sub_url, reference;
    if (sub["url"].get(sub_url) != simdjson::SUCCESS || sub_url != "coverage") continue;
    if (sub["valueReference"]["reference"].get(reference) != simdjson::SUCCESS) return false;
    const auto theirs = fhir::parse_reference(reference);
    return theirs.type == ours.type && theirs.id == ours.id;
  }
  return false;
}

// Members FHIR JSON places before `extension`; ours goes after them.
bool precedes_extension(std::string_view key) {
  static constexpr std::array<std::string_view, 7> kBefore{"resourceType", "id",   "meta",     "implicitRules",
                                                           "language",     "text", "contained"};
  return std::find(kBefore.begin(), kBefore.end(), key) != kBefore.end();
}

void write_extension_array(JsonWriter& w, simdjson::dom::array* existing, const CoverageDecision& decision) {
  w.StartArray();
  if (existing) {
    for (simdjson::dom::element extension : *existing)
      if (!is_same_coverage_information(extension, decision.coverage_reference)) fhir::write_raw(w, extension);
  }
  write_coverage_information_extension(w, decision);
  w.EndArray();
}

void write_updated_resource(JsonWriter& w, const OrderUnderReview& order, const CoverageDecision& decision) {
  const auto resource = order.resource.get_object().value_unsafe();
  simdjson::dom::array existing;
  const bool has_extensions = resource["extension"].get(existing) == simdjson::SUCCESS;
  // Ours joins the resource's own extension array where it stands; a resource
  // without one gets it in FHIR's place, after id/meta/text/contained.
  bool written = false;
  w.StartObject();
  for (auto field : resource) {
    if (field.key == "extension") {
      if (!has_extensions) continue;  // not an array: invalid FHIR, replaced by ours below
      write_key(w, field.key);
      write_extension_array(w, &existing, decision);
      written = true;
      continue;
    }
    if (!written && !has_extensions && !precedes_extension(field.key)) {
      write_key(w, "extension");
      write_extension_array(w, nullptr, decision);
      written = true;
    }
    write_key(w, field.key);
    fhir::write_raw(w, field.value);
  }
  if (!written) {
    write_key(w, "extension");
    write_extension_array(w, nullptr, decision);
  }
  w.EndObject();
}

// The statements of a coverage-information extension, as (url, value JSON)
// pairs, sorted, without the parts that differ on every assertion.
std::vector<std::pair<std::string, std::string>> statements(simdjson::dom::element extension) {
  std::vector<std::pair<std::string, std::string>> out;
  simdjson::dom::array subs;
  if (extension["extension"].get(subs) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element sub : subs) {
    std::string_view url;
    if (sub["url"].get(url) != simdjson::SUCCESS || url == "date" || url == "coverage-assertion-id") continue;
    std::string value;
    for (auto field : sub.get_object())
      if (field.key != "url") value += std::string(field.key) + "=" + simdjson::minify(field.value);
    out.emplace_back(std::string(url), std::move(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

bool already_carries(const OrderUnderReview& order, const CoverageDecision& decision) {
  simdjson::dom::array existing;
  if (order.resource["extension"].get(existing) != simdjson::SUCCESS) return false;
  for (simdjson::dom::element extension : existing) {
    if (!is_same_coverage_information(extension, decision.coverage_reference)) continue;
    // Rare (the EHR re-sends an order it was already told about): render ours
    // and compare statement by statement.
    fhir::JsonBuffer buffer;
    fhir::JsonWriter w(buffer);
    write_coverage_information_extension(w, decision);
    simdjson::dom::parser parser;
    simdjson::dom::element ours;
    if (parser.parse(buffer.GetString(), buffer.GetSize()).get(ours) != simdjson::SUCCESS) return false;
    return statements(ours) == statements(extension);
  }
  return false;
}

void write_coverage_information_extension(JsonWriter& w, const CoverageDecision& decision) {
  const config::CoverageOutcome& o = *decision.outcome;
  w.StartObject();
  write_key(w, "url");
  write_string(w, kCoverageInformationUrl);
  write_key(w, "extension");
  w.StartArray();

  w.StartObject();
  write_key(w, "url");
  write_string(w, "coverage");
  write_key(w, "valueReference");
  w.StartObject();
  write_key(w, "reference");
  write_string(w, decision.coverage_reference);
  w.EndObject();
  w.EndObject();

  write_sub(w, "covered", "valueCode", o.covered);
  if (!o.pa_needed.empty()) write_sub(w, "pa-needed", "valueCode", o.pa_needed);
  for (const auto& code : o.doc_needed) write_sub(w, "doc-needed", "valueCode", code);
  for (const auto& code : o.doc_purpose) write_sub(w, "doc-purpose", "valueCode", code);
  for (const auto& code : o.info_needed) write_sub(w, "info-needed", "valueCode", code);
  for (const auto& coding : o.billing_codes) {
    w.StartObject();
    write_key(w, "url");
    write_string(w, "billingCode");
    write_key(w, "valueCoding");
    write_coding(w, coding);
    w.EndObject();
  }
  for (const auto& reason : o.reasons) {
    w.StartObject();
    write_key(w, "url");
    write_string(w, "reason");
    write_key(w, "valueCodeableConcept");
    write_codeable_concept(w, reason.coding, reason.text);
    w.EndObject();
  }
  for (const auto& detail : o.details) write_detail(w, detail);
  for (const auto& questionnaire : o.questionnaires) write_sub(w, "questionnaire", "valueCanonical", questionnaire);
  write_sub(w, "date", "valueDate", decision.date);
  write_sub(w, "coverage-assertion-id", "valueString", decision.assertion_id);
  if (!o.satisfied_pa_id.empty()) write_sub(w, "satisfied-pa-id", "valueString", o.satisfied_pa_id);
  if (!o.expiry_date.empty()) write_sub(w, "expiry-date", "valueDate", o.expiry_date);

  w.EndArray();
  w.EndObject();
}

void write_coverage_information_action(JsonWriter& w, const OrderUnderReview& order,
                                       const CoverageDecision& decision) {
  w.StartObject();
  write_key(w, "type");
  write_string(w, "update");
  write_key(w, "description");
  write_string(w, "Add coverage information to " + fhir::relative_reference(order.resource_type, order.id));
  write_key(w, "resource");
  write_updated_resource(w, order, decision);
  w.EndObject();
}

}  // namespace crdex::cards
