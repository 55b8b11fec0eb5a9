#include "evaluation_facts.hpp"

#include <charconv>

#include "crdex/fhir/reference.hpp"
#include "services/context_reading.hpp"

namespace crdex::hooks::detail {

namespace {

using simdjson::dom::element;

std::string_view string_at(simdjson::simdjson_result<element> value) {
  std::string_view out;
  fhir::read_into(value, out);
  return out;
}

std::optional<double> number_at(simdjson::simdjson_result<element> value) {
  double out = 0;
  if (value.get_double().get(out) == simdjson::SUCCESS) return out;
  int64_t whole = 0;
  if (value.get_int64().get(whole) == simdjson::SUCCESS) return static_cast<double>(whole);
  return std::nullopt;
}

// Every resource of every prefetch value (a resource, or a Bundle's entries).
template <class F>
void for_each_prefetched(const HookRequest& request, F&& visit) {
  if (!request.prefetch) return;
  for (auto field : request.prefetch->element().get_object()) {
    if (!field.value.is_object()) continue;
    if (string_at(field.value["resourceType"]) != "Bundle") {
      visit(field.value);
      continue;
    }
    simdjson::dom::array entries;
    if (field.value["entry"].get(entries) != simdjson::SUCCESS) continue;
    for (element entry : entries) {
      element resource;
      if (entry["resource"].get(resource) == simdjson::SUCCESS) visit(resource);
    }
  }
}

// The prefetched resource a reference names, if the request carries it.
std::optional<element> resolve(const HookRequest& request, std::string_view reference) {
  const auto parts = fhir::parse_reference(reference);
  if (!parts.valid()) return std::nullopt;
  return find_in_prefetch(request, parts.type, parts.id);
}

// A reference ("Practitioner/p1") and every identifier value of it and of
// what it resolves to (NPIs), so rules may list either.
void add_identity(const HookRequest& request, element reference, std::vector<std::string>& out) {
  if (auto value = string_at(reference["identifier"]["value"]); !value.empty()) out.emplace_back(value);
  const auto ref = string_at(reference["reference"]);
  if (ref.empty()) return;
  const auto parts = fhir::parse_reference(ref);
  if (parts.valid()) out.push_back(fhir::relative_reference(parts.type, parts.id));
  auto target = resolve(request, ref);
  if (!target) return;
  simdjson::dom::array identifiers;
  if ((*target)["identifier"].get(identifiers) == simdjson::SUCCESS)
    for (element identifier : identifiers)
      if (auto value = string_at(identifier["value"]); !value.empty()) out.emplace_back(value);
  element practitioner;  // a PractitionerRole stands for its Practitioner too
  if ((*target)["practitioner"].get(practitioner) == simdjson::SUCCESS) add_identity(request, practitioner, out);
}

void add_identities(const HookRequest& request, simdjson::simdjson_result<element> value,
                    std::vector<std::string>& out) {
  element e;
  if (value.get(e) != simdjson::SUCCESS) return;
  if (e.is_array()) {
    for (element item : e.get_array()) add_identity(request, item, out);
  } else if (e.is_object()) {
    add_identity(request, e, out);
  }
}

void add_codings_of_list(simdjson::simdjson_result<element> list, std::vector<fhir::Coding>& out) {
  simdjson::dom::array concepts;
  if (list.get(concepts) != simdjson::SUCCESS) return;
  for (element concept_ : concepts) fhir::append_codings(concept_, out);
}

// Days in a FHIR Duration (UCUM d, wk, mo, a, h).
std::optional<double> duration_days(element duration) {
  const auto value = number_at(duration["value"]);
  if (!value) return std::nullopt;
  auto unit = string_at(duration["code"]);
  if (unit.empty()) unit = string_at(duration["unit"]);
  if (unit == "d" || unit == "day" || unit == "days") return *value;
  if (unit == "wk" || unit == "week" || unit == "weeks") return *value * 7;
  if (unit == "mo" || unit == "month" || unit == "months") return *value * 30;
  if (unit == "a" || unit == "year" || unit == "years") return *value * 365;
  if (unit == "h") return *value / 24;
  return std::nullopt;
}

void add_location(const HookRequest& request, element reference, config::OrderFacts& facts) {
  if (!reference.is_object()) return;
  auto location = resolve(request, string_at(reference["reference"]));
  if (!location || string_at((*location)["resourceType"]) != "Location") return;
  if (auto state = string_at((*location)["address"]["state"]); !state.empty()) facts.location_states.emplace_back(state);
}

}  // namespace

std::optional<int> age_in_years(std::string_view birth_date, std::string_view today) {
  if (birth_date.size() < 4 || today.size() < 10) return std::nullopt;
  int birth_year = 0, year = 0;
  if (std::from_chars(birth_date.data(), birth_date.data() + 4, birth_year).ec != std::errc{} ||
      std::from_chars(today.data(), today.data() + 4, year).ec != std::errc{})
    return std::nullopt;
  int age = year - birth_year;
  // Month and day, where given, decide whether this year's birthday has passed.
  const std::string_view birth_rest = birth_date.size() >= 10 ? birth_date.substr(5, 5)
                                      : birth_date.size() >= 7 ? birth_date.substr(5, 2)
                                                               : std::string_view{};
  if (!birth_rest.empty() && today.substr(5, birth_rest.size()) < birth_rest) --age;
  return age;
}

config::EvaluationContext read_evaluation_context(const HookRequest& request, element coverage, std::string today) {
  config::EvaluationContext context;
  context.today = std::move(today);
  const auto patient_id = [&]() -> std::string_view {
    auto node = request.context.find("patientId");
    return node && node->is_string() ? node->as_string() : std::string_view{};
  }();
  for_each_prefetched(request, [&](element resource) {
    const auto type = string_at(resource["resourceType"]);
    if (type == "Patient" && (patient_id.empty() || string_at(resource["id"]) == patient_id)) {
      context.patient_gender = string_at(resource["gender"]);
      context.patient_age = age_in_years(string_at(resource["birthDate"]), context.today);
    } else if (type == "Condition") {
      element code;
      if (resource["code"].get(code) == simdjson::SUCCESS) fhir::append_codings(code, context.condition_codes);
    }
  });
  simdjson::dom::array classes;
  if (coverage["class"].get(classes) == simdjson::SUCCESS) {
    for (element c : classes) {
      const auto value = string_at(c["value"]);
      simdjson::dom::array codings;
      if (value.empty() || c["type"]["coding"].get(codings) != simdjson::SUCCESS) continue;
      for (element coding : codings)
        if (auto code = string_at(coding["code"]); !code.empty())
          context.coverage_classes.push_back({std::string(code), std::string(value)});
    }
  }
  element type;
  if (coverage["type"].get(type) == simdjson::SUCCESS) fhir::append_codings(type, context.coverage_types);
  return context;
}

config::OrderFacts read_order_facts(const HookRequest& request, const cards::OrderUnderReview& order) {
  config::OrderFacts facts;
  facts.resource_type = order.resource_type;
  facts.codes = order.codes;
  const element r = order.resource;
  add_codings_of_list(r["reasonCode"], facts.reason_codes);

  facts.quantity = number_at(r["quantityQuantity"]["value"]);
  if (!facts.quantity) facts.quantity = number_at(r["dispenseRequest"]["quantity"]["value"]);
  element duration;
  if (r["dispenseRequest"]["expectedSupplyDuration"].get(duration) == simdjson::SUCCESS)
    facts.supply_days = duration_days(duration);
  facts.repeats = number_at(r["dispenseRequest"]["numberOfRepeatsAllowed"]);
  if (!facts.repeats) facts.repeats = number_at(r["occurrenceTiming"]["repeat"]["count"]);

  add_identities(request, r["requester"], facts.requesters);
  add_identities(request, r["performer"], facts.performers);
  simdjson::dom::array participants;  // Appointment: its practitioners perform it, at its Location
  const bool has_participants = r["participant"].get(participants) == simdjson::SUCCESS;
  if (has_participants)
    for (element p : participants) add_identities(request, p["actor"], facts.performers);

  std::vector<fhir::Coding> places;
  add_codings_of_list(r["locationCode"], places);
  for (const auto& place : places) facts.places_of_service.push_back(place.code);
  simdjson::dom::array locations;
  if (r["locationReference"].get(locations) == simdjson::SUCCESS)
    for (element location : locations) add_location(request, location, facts);
  if (has_participants)
    for (element p : participants) {
      element actor;
      if (p["actor"].get(actor) == simdjson::SUCCESS) add_location(request, actor, facts);
    }
  return facts;
}

}  // namespace crdex::hooks::detail
