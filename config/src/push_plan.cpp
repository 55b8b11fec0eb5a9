#include "crdex/config/push_plan.hpp"

#include <simdjson.h>

#include <algorithm>

#include "crdex/config/rule_store.hpp"
#include "crdex/fhir/coding.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/json_numbers.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "crdex/fhir/reference.hpp"
#include "crdex/fhir/submit_attachment.hpp"

namespace crdex::config {

namespace {

using fhir::JsonNode;

fhir::IdentifierValue push_identifier(const JsonNode& node) {
  node.expect_object();
  return {std::string(node.string_or_empty("system")), std::string(node.at("value").as_non_empty_string())};
}

// "Type/id" of a resource the notification carries; its id is required.
std::string push_subject(const JsonNode& resource, std::string_view type) {
  resource.expect_object();
  if (resource.at("resourceType").as_string() != type) resource.at("resourceType").fail("must be " + std::string(type));
  return fhir::relative_reference(type, resource.at("id").as_non_empty_string());
}

// Whether `reference` points at `subject` ("Encounter/1", or an absolute URL ending so).
bool push_refers_to(std::string_view reference, std::string_view subject) {
  const auto parts = fhir::parse_reference(reference);
  return parts.valid() && fhir::relative_reference(parts.type, parts.id) == subject;
}

// The encounter references a resource carries (DocumentReference.context.encounter[], *.encounter).
std::vector<std::string_view> push_encounters_of(simdjson::dom::element resource) {
  std::vector<std::string_view> out;
  std::string_view ref;
  simdjson::dom::array list;
  if (resource["context"]["encounter"].get(list) == simdjson::SUCCESS)
    for (auto e : list)
      if (e["reference"].get(ref) == simdjson::SUCCESS) out.push_back(ref);
  if (resource["encounter"]["reference"].get(ref) == simdjson::SUCCESS) out.push_back(ref);
  return out;
}

// The coding of `resource`'s type (DocumentReference.type, else .code) that `push` asks for;
// an empty Coding with a true flag when the rule names no codes.
std::optional<fhir::Coding> push_matching_code(simdjson::dom::element resource, const PushRule& push) {
  std::vector<fhir::Coding> codings;
  simdjson::dom::element concept_;
  if (resource["type"].get(concept_) == simdjson::SUCCESS) fhir::append_codings(concept_, codings);
  if (resource["code"].get(concept_) == simdjson::SUCCESS) fhir::append_codings(concept_, codings);
  if (push.codes.empty()) return codings.empty() ? fhir::Coding{} : codings.front();
  for (const auto& wanted : push.codes)
    for (const auto& c : codings)
      if (c.same_concept(wanted)) return c;
  return std::nullopt;
}

std::string push_code_json(const fhir::Coding& coding) {
  if (coding.code.empty()) return {};
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "coding");
  w.StartArray();
  w.StartObject();
  fhir::write_optional_string(w, "system", coding.system);
  fhir::write_key(w, "code");
  fhir::write_string(w, coding.code);
  fhir::write_optional_string(w, "display", coding.display);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

// The member id as the payer knows it: the Coverage identifier of the payer's
// memberIdSystem when it publishes one, else Coverage.subscriberId, else its first identifier.
std::optional<fhir::IdentifierValue> push_member_id(simdjson::dom::element coverage, const PayerRuleSet& payer) {
  std::string_view system, value;
  simdjson::dom::array identifiers;
  const bool has_identifiers = coverage["identifier"].get(identifiers) == simdjson::SUCCESS;
  if (payer.members && !payer.members->member_id_system.empty()) {
    if (has_identifiers)
      for (auto id : identifiers)
        if (id["system"].get(system) == simdjson::SUCCESS && system == payer.members->member_id_system &&
            id["value"].get(value) == simdjson::SUCCESS && !value.empty())
          return fhir::IdentifierValue{std::string(system), std::string(value)};
    return std::nullopt;
  }
  if (coverage["subscriberId"].get(value) == simdjson::SUCCESS && !value.empty())
    return fhir::IdentifierValue{"", std::string(value)};
  if (has_identifiers)
    for (auto id : identifiers)
      if (id["value"].get(value) == simdjson::SUCCESS && !value.empty()) {
        system = {};
        fhir::read_into(id["system"], system);
        return fhir::IdentifierValue{std::string(system), std::string(value)};
      }
  return std::nullopt;
}

// The first date of the first of these members that holds one ("2026-11-20T10:00:00Z" -> "2026-11-20").
std::string push_service_date(simdjson::dom::element resource, std::initializer_list<std::string_view> pointers) {
  for (auto pointer : pointers) {
    std::string_view text;
    if (resource.at_pointer(pointer).get(text) == simdjson::SUCCESS && text.size() >= 10 &&
        fhir::is_fhir_date(text.substr(0, 10)))
      return std::string(text.substr(0, 10));
  }
  return fhir::today_utc_date();
}

}  // namespace

fhir::Result<PushPlan> plan_pushes(const RuleCatalog& catalog, std::string_view event_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (fhir::parse_json(parser, event_json, root) != simdjson::SUCCESS)
    return fhir::Error{400, fhir::IssueType::structure, "the event notification is not JSON", ""};
  PushPlan plan;
  try {
    const JsonNode body(root, "");
    body.expect_object();
    const auto event = body.at("event");
    plan.event = std::string(event.as_non_empty_string());
    std::optional<JsonNode> focus;  // the encounter or the result
    std::string service_date;
    if (plan.event == "encounter-discharge") {
      focus = body.at("encounter");
      plan.subject = push_subject(*focus, "Encounter");
      if (focus->at("status").as_string() != "finished")
        focus->at("status").fail("must be \"finished\" for encounter-discharge");
      service_date = push_service_date(focus->element(), {"/period/end", "/period/start"});
    } else if (plan.event == "result-final") {
      focus = body.at("result");
      focus->expect_object();
      const auto type = focus->at("resourceType").as_string();
      if (type != "DiagnosticReport" && type != "Observation")
        focus->at("resourceType").fail("must be DiagnosticReport or Observation");
      plan.subject = push_subject(*focus, type);
      if (focus->at("status").as_string() != "final") focus->at("status").fail("must be \"final\" for result-final");
      service_date = push_service_date(focus->element(), {"/effectiveDateTime", "/effectivePeriod/end", "/issued"});
    } else {
      event.fail("is \"" + plan.event + "\"; crdex takes encounter-discharge and result-final");
    }
    fhir::SubmitAttachment base;
    if (const auto org = body.find("organizationId")) base.organization_id = push_identifier(*org);
    if (const auto provider = body.find("providerId")) base.provider_id = push_identifier(*provider);
    if (!base.organization_id && !base.provider_id) body.at("organizationId").fail("or providerId is required");
    if (const auto tracking = body.find("trackingId")) {
      base.tracking_id = push_identifier(*tracking);
    } else {  // the encounter's (or result's) own identifier, else its reference
      simdjson::dom::array ids;
      std::string_view system, value;
      if (focus->element()["identifier"].get(ids) == simdjson::SUCCESS)
        for (auto id : ids)
          if (id["value"].get(value) == simdjson::SUCCESS && !value.empty()) {
            fhir::read_into(id["system"], system);
            base.tracking_id = {std::string(system), std::string(value)};
            break;
          }
      if (base.tracking_id.value.empty()) base.tracking_id = {"", plan.subject};
    }
    base.service_date = service_date;
    base.final = true;

    const auto coverage = body.at("coverage");
    coverage.expect_object();
    if (coverage.at("resourceType").as_string() != "Coverage") coverage.at("resourceType").fail("must be Coverage");
    // The payer: as for hook calls, the Coverage's payor names it.
    const PayerRuleSet* payer = nullptr;
    simdjson::dom::array payors;
    if (coverage.element()["payor"].get(payors) == simdjson::SUCCESS)
      for (auto p : payors) {
        PayorMention mention;
        fhir::read_into(p["reference"], mention.reference);
        fhir::read_into(p["identifier"]["system"], mention.identifier_system);
        fhir::read_into(p["identifier"]["value"], mention.identifier_value);
        fhir::read_into(p["display"], mention.display);
        if ((payer = catalog.find_payer(mention))) break;
      }
    if (!payer) {
      plan.notes.push_back("the Coverage names no payer with rules here: nothing to push");
      return plan;
    }
    plan.payer_id = payer->payer_id;
    const auto status = coverage.string_or_empty("status");
    if (!status.empty() && status != "active") {
      plan.notes.push_back("the Coverage is " + std::string(status) + ", not active: nothing to push");
      return plan;
    }
    const auto member = push_member_id(coverage.element(), *payer);
    if (!member) coverage.fail("carries no member id for " + payer->payer_name + " (subscriberId or identifier)");
    base.member_id = *member;
    if (!payer->identity.identifiers.empty())
      base.payer_id = fhir::IdentifierValue{payer->identity.identifiers.front().system,
                                            payer->identity.identifiers.front().value};

    std::vector<JsonNode> candidates;
    if (plan.event == "result-final") candidates.push_back(*focus);
    if (const auto resources = body.find("resources"))
      for (const auto& r : resources->items()) {
        r.expect_object();
        r.at("resourceType").as_non_empty_string();
        candidates.push_back(r);
      }

    for (const auto& push : payer->push) {
      if (push.on != plan.event) continue;
      size_t planned = 0;
      for (const auto& candidate : candidates) {
        const auto resource = candidate.element();
        if (candidate.at("resourceType").as_string() != push.resource_type) continue;
        const auto code = push_matching_code(resource, push);
        if (!code) continue;
        if (plan.event == "encounter-discharge") {
          const auto encounters = push_encounters_of(resource);
          if (std::none_of(encounters.begin(), encounters.end(),
                           [&](std::string_view ref) { return push_refers_to(ref, plan.subject); }))
            continue;  // not this encounter's
        }
        const std::string content = fhir::minified(resource);
        std::string_view id;
        const std::string what = resource["id"].get(id) == simdjson::SUCCESS && !id.empty()
                                     ? fhir::relative_reference(push.resource_type, id)
                                     : sha256_checksum(content);
        fhir::SubmitAttachment submission = base;
        submission.attach_to = push.attach_to;
        submission.attachments.push_back({{}, push_code_json(*code), content, push.resource_type});
        PlannedPush p;
        p.event = plan.event;
        p.subject = plan.subject;
        p.payer_id = payer->payer_id;
        p.push_id = push.id;
        p.destination = push.destination;
        p.what = what;
        p.key = p.event + "|" + p.subject + "|" + p.payer_id + "|" + p.push_id + "|" + p.what;
        p.parameters = fhir::submit_attachment_parameters_json(submission);
        // Never queue what the payer would have to reject.
        if (auto checked = fhir::parse_submit_attachment(p.parameters); !checked) {
          auto error = checked.error();
          error.message = "push " + push.id + ": the $submit-attachment would be invalid: " + error.message;
          return error;
        }
        if (std::none_of(plan.pushes.begin(), plan.pushes.end(), [&](const PlannedPush& q) { return q.key == p.key; })) {
          plan.pushes.push_back(std::move(p));
          ++planned;
        }
      }
      if (planned == 0)
        plan.notes.push_back(push.id + ": no " + push.resource_type + " of " + plan.subject +
                             (push.codes.empty() ? std::string() : " with a matching type") + " in the event");
    }
  } catch (const fhir::JsonShapeError& e) {
    return fhir::Error{400, fhir::IssueType::invalid, e.what(), e.path};
  }
  return plan;
}

}  // namespace crdex::config
