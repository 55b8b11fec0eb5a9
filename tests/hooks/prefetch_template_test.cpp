// Prefetch template hydration (CRD §3.3 standard prefetch, CDS Hooks §1.4
// tokens, the 3.0-ballot FHIRPath subset of §1.11): every template of every
// hook in the CRD guide's CRDServices.json, against one context in which each
// finds something (tests/fixtures/prefetch/hydration-world.json).
#include <boost/test/unit_test.hpp>

#include <map>

#include "crdex/hooks/hook_request.hpp"
#include "crdex/hooks/prefetch_fill.hpp"
#include "crdex/hooks/prefetch_template.hpp"
#include "crdex/hooks/service_descriptor.hpp"
#include "support/fixtures.hpp"
#include "support/json_checks.hpp"

using namespace crdex;

namespace {

struct World {
  test::Json json{test::read_fixture("prefetch/hydration-world.json")};
  hooks::PrefetchScope scope{json.root()["context"].value(),
                             [this](std::string_view key) -> std::optional<simdjson::dom::element> {
                               simdjson::dom::element value;
                               if (json.root()["prefetch"][key].get(value) != simdjson::SUCCESS) return std::nullopt;
                               return value;
                             }};

  std::string hydrate(std::string_view query_template) const {
    auto query = hooks::hydrate_prefetch_template(query_template, scope);
    BOOST_TEST_REQUIRE(query.ok(), (query.ok() ? std::string() : query.error().message));
    return query->value_or("(skipped)");
  }
};

// The standard templates of a hook in the CRD guide's CRDServices.json.
std::map<std::string, std::string> guide_templates(const std::string& hook) {
  test::Json services(test::read_fixture("crd-ig/CRDServices.json"));
  std::map<std::string, std::string> templates;
  for (auto service : services.root()["services"].get_array()) {
    if (std::string_view(service["hook"]) != hook) continue;
    for (auto field : service["prefetch"].get_object())
      templates.emplace(std::string(field.key), std::string(std::string_view(field.value)));
  }
  return templates;
}

using Expected = std::map<std::string, std::string>;

const Expected kOrderSign{
    {"patient", "Patient/pat-1"},
    {"encounter", "Encounter/enc-1"},
    {"coverage", "Coverage?patient=pat-1&status=active"},
    {"devices", "Device?_id=dev-1"},
    {"medications", "Medication?_id=med-1"},
    {"practitionerRoles", "PractitionerRole?_id=role-e,role-3,role-1,role-2,role-4"},
    {"practitioners", "Practitioner?_id=prac-r,prac-e,prac-2,prac-1,prac-3"},
    {"organizations", "Organization?_id=org-r,org-e,org-2,org-3,org-1"},
    {"locations", "Location?_id=loc-r,loc-e,loc-1"},
};

const Expected kAppointmentBook{
    {"patient", "Patient/pat-1"},
    {"encounter", "Encounter/enc-1"},
    {"coverage", "Coverage?patient=pat-1&status=active"},
    {"deviceRequests", "DeviceRequest?_id=dr-9"},
    {"serviceRequests", "ServiceRequest?_id=sr-9"},
    {"medicationRequests", "MedicationRequest?_id=mr-9"},
    {"devices", "Device?_id=dev-9"},
    {"medications", "Medication?_id=med-9"},
    {"practitionerRoles", "PractitionerRole?_id=role-e,role-5,role-d,role-m,role-s"},
    {"practitioners", "Practitioner?_id=prac-r,prac-e,prac-5,prac-d,prac-m,prac-s"},
    {"organizations", "Organization?_id=org-r,org-e,org-m,org-s"},
    {"locations", "Location?_id=loc-r,loc-e,loc-5,loc-s"},
};

const Expected kOrderDispatch{
    {"patient", "Patient/pat-1"},
    {"encounter", "Encounter/enc-1"},
    {"coverage", "Coverage?patient=pat-1&status=active"},
    {"communicationRequests", "CommunicationRequest?_id=cr-9"},
    {"deviceRequests", "DeviceRequest?_id=dr-9"},
    {"medicationRequests", "MedicationRequest?_id=mr-9"},
    {"nutritionOrders", "NutritionOrder?_id=no-9"},
    {"serviceRequests", "ServiceRequest?_id=sr-9"},
    {"visionPrescriptions", "VisionPrescription?_id=vp-9"},
    {"devices", "Device?_id=dev-9"},
    {"medications", "Medication?_id=med-9"},
    {"practitionerRoles", "PractitionerRole?_id=role-e,role-c,role-d,role-m,role-s,role-n"},
    {"practitioners", "Practitioner?_id=prac-r,prac-e,prac-c,prac-c2,prac-d,prac-m,prac-s,prac-v"},
    {"organizations", "Organization?_id=org-r,org-e,org-c,org-m,org-s"},
    {"locations", "Location?_id=loc-r,loc-e,loc-s"},
};

const Expected kEncounterPrefetch{
    {"patient", "Patient/pat-1"},
    {"encounter", "Encounter/enc-1"},
    {"coverage", "Coverage?patient=pat-1&status=active"},
    {"practitionerRoles", "PractitionerRole?_id=role-e"},
    {"practitioners", "Practitioner?_id=prac-r,prac-e"},
    {"organizations", "Organization?_id=org-r,org-e"},
    {"locations", "Location?_id=loc-r,loc-e"},
};

void check_every_template(const std::string& hook, const Expected& expected) {
  World world;
  const auto templates = guide_templates(hook);
  BOOST_TEST_REQUIRE(templates.size() == expected.size(), hook);
  for (const auto& [key, query_template] : templates) {
    auto wanted = expected.find(key);
    BOOST_TEST_REQUIRE((wanted != expected.end()), hook << " has no expectation for " << key);
    BOOST_TEST(world.hydrate(query_template) == wanted->second, hook << "." << key);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(prefetch_template)

BOOST_AUTO_TEST_CASE(CRD_standard_prefetch_order_sign_every_template) { check_every_template("order-sign", kOrderSign); }
BOOST_AUTO_TEST_CASE(CRD_standard_prefetch_order_select_every_template) {
  check_every_template("order-select", kOrderSign);
}
BOOST_AUTO_TEST_CASE(CRD_standard_prefetch_appointment_book_every_template) {
  check_every_template("appointment-book", kAppointmentBook);
}
BOOST_AUTO_TEST_CASE(CRD_standard_prefetch_order_dispatch_every_template) {
  check_every_template("order-dispatch", kOrderDispatch);
}
BOOST_AUTO_TEST_CASE(CRD_standard_prefetch_encounter_start_and_discharge_every_template) {
  check_every_template("encounter-start", kEncounterPrefetch);
  check_every_template("encounter-discharge", kEncounterPrefetch);
}

BOOST_AUTO_TEST_CASE(crdex_services_advertise_the_guide_templates) {
  for (const auto* service : hooks::all_services()) {
    const auto guide = guide_templates(std::string(service->hook));
    BOOST_TEST_REQUIRE(service->prefetch.size() == guide.size(), service->id);
    for (const auto& t : service->prefetch) {
      auto it = guide.find(std::string(t.key));
      BOOST_TEST_REQUIRE((it != guide.end()), t.key);
      BOOST_TEST(it->second == t.query, t.key);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_token_with_no_value_skips_the_template) {
  test::Json json(R"({"patientId":"pat-1","draftOrders":{"resourceType":"Bundle","entry":[]}})");
  const hooks::PrefetchScope scope{json.root(), [](std::string_view) { return std::nullopt; }};
  for (const auto* query_template :
       {"Encounter/{{context.encounterId}}", "Device?_id={{context.draftOrders.entry.resource.code.resolve().id}}",
        "Practitioner?_id={{%practitionerRoles.entry.resource.practitioner.resolve().id}}",
        "Coverage?patient={{context.patientId}}&encounter={{context.encounterId}}"}) {
    auto query = hooks::hydrate_prefetch_template(query_template, scope);
    BOOST_TEST_REQUIRE(query.ok());
    BOOST_TEST(!query->has_value(), query_template);
  }
}

BOOST_AUTO_TEST_CASE(user_tokens_read_the_id_of_the_matching_user_type) {
  World world;
  BOOST_TEST(world.hydrate("PractitionerRole/{{userPractitionerRoleId}}") == "PractitionerRole/role-user");
  BOOST_TEST(world.hydrate("Practitioner/{{userPractitionerId}}") == "(skipped)");
  BOOST_TEST(world.hydrate("Patient/{{userPatientId}}") == "(skipped)");
}

BOOST_AUTO_TEST_CASE(values_are_percent_encoded_so_they_cannot_add_parameters) {
  test::Json json(R"({"patientId":"a&b=c d/é"})");
  const hooks::PrefetchScope scope{json.root(), [](std::string_view) { return std::nullopt; }};
  auto query = hooks::hydrate_prefetch_template("Coverage?patient={{context.patientId}}&status=active", scope);
  BOOST_TEST_REQUIRE(query.ok());
  BOOST_TEST(**query == "Coverage?patient=a%26b%3Dc%20d%2F%C3%A9&status=active");
}

BOOST_AUTO_TEST_CASE(a_template_crdex_cannot_read_is_an_error) {
  World world;
  for (const auto* bad : {"Patient/{{context.patientId", "Patient/{{context.patientId.where(true)}}",
                          "Patient/{{patientId}}", "Patient/{{context.}}", "Patient/context.patientId}}"}) {
    auto query = hooks::hydrate_prefetch_template(bad, world.scope);
    BOOST_TEST(!query.ok(), bad);
  }
}

BOOST_AUTO_TEST_CASE(dependencies_are_the_percent_keys_in_order) {
  const auto keys = hooks::prefetch_template_dependencies(
      "Practitioner?_id={{%practitionerRoles.entry.resource.practitioner.resolve().id"
      "|%encounter.participant.individual.resolve().ofType(Practitioner).id|%practitionerRoles.id}}");
  BOOST_TEST_REQUIRE(keys.size() == 2u);
  BOOST_TEST(keys[0] == "practitionerRoles");
  BOOST_TEST(keys[1] == "encounter");
  BOOST_TEST(hooks::prefetch_template_dependencies("Patient/{{context.patientId}}").empty());
}

BOOST_AUTO_TEST_CASE(CH15_CH17_CH18_keys_to_fill_are_the_absent_and_the_operation_outcomes) {
  test::Json json(R"({"hook":"order-sign","hookInstance":"h1","context":{"userId":"Practitioner/1","patientId":"1",
    "draftOrders":{"resourceType":"Bundle","entry":[]}},"prefetch":{"patient":{"resourceType":"Patient","id":"1"},
    "encounter":null,"coverage":{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"timeout"}]},
    "devices":{"resourceType":"Bundle","type":"searchset","total":0}}})");
  auto request = hooks::read_hook_request(json.root(), "order-sign");
  BOOST_TEST_REQUIRE(request.ok());
  const auto keys = hooks::prefetch_keys_to_fill(*request, hooks::order_sign_service().prefetch);
  const std::vector<std::string_view> expected{"coverage", "medications", "practitionerRoles", "practitioners",
                                               "organizations", "locations"};
  BOOST_TEST(keys == expected, boost::test_tools::per_element());

  // Without fhirServer and token nothing is sent, and each key says why.
  const auto filled = hooks::fill_prefetch(*request, hooks::order_sign_service().prefetch, keys, {});
  BOOST_TEST(filled.queries.empty());
  BOOST_TEST(filled.values.empty());
  BOOST_TEST(filled.problem("coverage").find("fhirAuthorization") != std::string_view::npos);
}

BOOST_AUTO_TEST_SUITE_END()
