#include "crdex/cards/coverage_update.hpp"

#include "crdex/fhir/identifiers.hpp"

namespace crdex::cards {

namespace {

using simdjson::dom::element;

constexpr const char* kCoverageClassSystem = "http://terminology.hl7.org/CodeSystem/coverage-class";

std::string_view string_at(element object, std::string_view key) {
  std::string_view value;
  if (object[key].get(value) != simdjson::SUCCESS) return {};
  return value;
}

bool has_class_code(element entry, std::string_view type) {
  simdjson::dom::array codings;
  if (entry["type"]["coding"].get(codings) != simdjson::SUCCESS) return false;
  for (element coding : codings)
    if (string_at(coding, "code") == type) return true;
  return false;
}

// What differs, in words; empty when the EHR's Coverage agrees with the record.
std::vector<std::string> differences(element coverage, const config::MemberCoverage& record) {
  std::vector<std::string> changes;
  if (const auto status = string_at(coverage, "status"); status != record.status)
    changes.push_back("status " + std::string(status.empty() ? "(none)" : status) + " -> " + record.status);
  std::string_view start, end;
  if (element period; coverage["period"].get(period) == simdjson::SUCCESS) {
    start = string_at(period, "start");
    end = string_at(period, "end");
  }
  if (start.substr(0, std::min<size_t>(start.size(), 10)) != record.start)
    changes.push_back("coverage start " + std::string(start.empty() ? "(none)" : start) + " -> " +
                      (record.start.empty() ? "(open)" : record.start));
  if (end.substr(0, std::min<size_t>(end.size(), 10)) != record.end)
    changes.push_back("coverage end " + std::string(end.empty() ? "(none)" : end) + " -> " +
                      (record.end.empty() ? "(open)" : record.end));
  simdjson::dom::array classes;
  const bool has_classes = coverage["class"].get(classes) == simdjson::SUCCESS;
  for (const auto& held : record.classes) {
    std::string_view stated;
    if (has_classes)
      for (element entry : classes)
        if (has_class_code(entry, held.type)) stated = string_at(entry, "value");
    if (stated != held.value)
      changes.push_back(held.type + " " + std::string(stated.empty() ? "(none)" : stated) + " -> " + held.value);
  }
  return changes;
}

void write_period(fhir::JsonWriter& w, const config::MemberCoverage& record) {
  if (record.start.empty() && record.end.empty()) return;
  fhir::write_key(w, "period");
  w.StartObject();
  fhir::write_optional_string(w, "start", record.start);
  fhir::write_optional_string(w, "end", record.end);
  w.EndObject();
}

void write_new_class(fhir::JsonWriter& w, const config::MemberCoverage::ClassValue& held) {
  w.StartObject();
  fhir::write_key(w, "type");
  w.StartObject();
  fhir::write_key(w, "coding");
  w.StartArray();
  w.StartObject();
  fhir::write_key(w, "system");
  fhir::write_string(w, kCoverageClassSystem);
  fhir::write_key(w, "code");
  fhir::write_string(w, held.type);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  fhir::write_key(w, "value");
  fhir::write_string(w, held.value);
  fhir::write_optional_string(w, "name", held.name);
  w.EndObject();
}

// One class entry with the record's value (and name) put in place, the rest as sent.
void write_corrected_class(fhir::JsonWriter& w, element entry, const config::MemberCoverage::ClassValue& held) {
  w.StartObject();
  bool value_written = false, name_written = false;
  for (auto field : entry.get_object()) {
    fhir::write_key(w, field.key);
    if (field.key == "value") {
      fhir::write_string(w, held.value);
      value_written = true;
    } else if (field.key == "name" && !held.name.empty()) {
      fhir::write_string(w, held.name);
      name_written = true;
    } else {
      fhir::write_raw(w, field.value);
    }
  }
  if (!value_written) {
    fhir::write_key(w, "value");
    fhir::write_string(w, held.value);
  }
  if (!name_written) fhir::write_optional_string(w, "name", held.name);
  w.EndObject();
}

void write_classes(fhir::JsonWriter& w, element coverage, const config::MemberCoverage& record) {
  simdjson::dom::array classes;
  const bool has_classes = coverage["class"].get(classes) == simdjson::SUCCESS;
  if (!has_classes && record.classes.empty()) return;
  fhir::write_key(w, "class");
  w.StartArray();
  std::vector<bool> written(record.classes.size(), false);
  if (has_classes) {
    for (element entry : classes) {
      const config::MemberCoverage::ClassValue* held = nullptr;
      for (size_t i = 0; i < record.classes.size() && !held; ++i)
        if (has_class_code(entry, record.classes[i].type)) {
          held = &record.classes[i];
          written[i] = true;
        }
      if (held)
        write_corrected_class(w, entry, *held);
      else
        fhir::write_raw(w, entry);
    }
  }
  for (size_t i = 0; i < record.classes.size(); ++i)
    if (!written[i]) write_new_class(w, record.classes[i]);
  w.EndArray();
}

}  // namespace

std::optional<CoverageCorrection> correct_coverage(element coverage, std::string_view coverage_reference,
                                                   const config::MemberCoverage& record) {
  auto changes = differences(coverage, record);
  if (changes.empty()) return std::nullopt;
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  bool status_written = false, period_written = false, class_written = false;
  for (auto field : coverage.get_object()) {
    if (field.key == "status") {
      fhir::write_key(w, "status");
      fhir::write_string(w, record.status);
      status_written = true;
    } else if (field.key == "period") {
      write_period(w, record);
      period_written = true;
    } else if (field.key == "class") {
      write_classes(w, coverage, record);
      class_written = true;
    } else {
      fhir::write_key(w, field.key);
      fhir::write_raw(w, field.value);
    }
  }
  if (!status_written) {
    fhir::write_key(w, "status");
    fhir::write_string(w, record.status);
  }
  if (!period_written) write_period(w, record);
  if (!class_written) write_classes(w, coverage, record);
  w.EndObject();
  return CoverageCorrection{std::string(coverage_reference), {buffer.GetString(), buffer.GetSize()},
                            std::move(changes)};
}

Action coverage_update_action(const CoverageCorrection& correction) {
  std::string description = "Update " + correction.coverage_reference + " to the payer's record:";
  for (size_t i = 0; i < correction.changes.size(); ++i)
    description += (i == 0 ? " " : "; ") + correction.changes[i];
  return {"update", std::move(description), correction.resource_json, {}, {}};
}

Card coverage_update_card(const config::PayerRuleSet& payer, const CoverageCorrection& correction) {
  Card card;
  card.uuid = fhir::random_uuid();
  card.summary = "Coverage record differs from " + payer.payer_name + "'s";
  if (card.summary.size() >= 140) card.summary = "Coverage record differs from the payer's";
  card.indicator = "info";
  card.topic = "insurance";
  card.source_label = payer.payer_name;
  card.detail = payer.payer_name + "'s records for " + correction.coverage_reference + " differ from the EHR's:";
  for (const auto& change : correction.changes) card.detail += "\n- " + change;
  card.selection_behavior = "at-most-one";
  card.suggestions.push_back({fhir::random_uuid(), "Update the coverage record", {coverage_update_action(correction)}});
  return card;
}

}  // namespace crdex::cards
