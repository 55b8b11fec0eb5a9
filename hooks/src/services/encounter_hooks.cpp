// encounter-start and encounter-discharge: coverage information on the
// Encounter itself when the request carries it (CDS Hooks 1.0; CRD secondary
// hooks). Both share the context (userId, patientId, encounterId) and the CRD
// standard prefetch.

#include <array>

#include "context_reading.hpp"
#include "crdex/hooks/service_descriptor.hpp"

namespace crdex::hooks {

namespace {

// The CRD standard prefetch for encounter-start and encounter-discharge
// (CRD STU 2.2.1, CRDServices.json).
constexpr std::array<PrefetchTemplate, 7> kEncounterPrefetch{{
    {"patient", "Patient/{{context.patientId}}"},
    {"encounter", "Encounter/{{context.encounterId}}"},
    {"coverage", "Coverage?patient={{context.patientId}}&status=active", PrefetchFailure::fail},
    {"practitionerRoles",
     "PractitionerRole?_id={{%encounter.participant.individual.resolve().ofType(PractitionerRole).id}}"},
    {"practitioners",
     "Practitioner?_id={{%practitionerRoles.entry.resource.practitioner.resolve().id"
     "|%encounter.participant.individual.resolve().ofType(Practitioner).id}}"},
    {"organizations",
     "Organization?_id={{%practitionerRoles.entry.resource.organization.resolve().id"
     "|%encounter.serviceProvider.resolve().ofType(Organization).id}}"},
    {"locations",
     "Location?_id={{%practitionerRoles.entry.resource.location.resolve().id"
     "|%encounter.location.location.resolve().id}}"},
}};

fhir::Result<std::vector<cards::OrderUnderReview>> encounter_scope(const HookRequest& request) {
  try {
    const auto& context = request.context;
    detail::optional_id(context, "userId");  // nothing needs it; its absence is logged (engine)
    detail::required_id(context, "patientId");
    const auto encounter_id = detail::required_id(context, "encounterId");
    std::vector<cards::OrderUnderReview> scope;
    // Without the Encounter there is nothing to update: the answer then has
    // cards only (a secondary hook need not return coverage information).
    if (auto encounter = detail::find_in_prefetch(request, "Encounter", encounter_id))
      scope.push_back(cards::read_order("Encounter", encounter_id, *encounter));
    return scope;
  } catch (const fhir::JsonShapeError& e) {
    return fhir::Error{400, fhir::IssueType::invalid, e.what(), e.path};
  }
}

const ServiceDescriptor kEncounterStart{
    "crdex-encounter-start",
    "encounter-start",
    "Coverage information at the start of an encounter",
    "When an encounter starts, tells the care team whether the payer covers it and what it will need, and "
    "lets crdex prepare for the orders that follow (Da Vinci CRD).",
    kEncounterPrefetch,
    encounter_scope,
    HookRole::secondary,
};

const ServiceDescriptor kEncounterDischarge{
    "crdex-encounter-discharge",
    "encounter-discharge",
    "Coverage information at discharge",
    "When an encounter ends, tells the care team what the payer needs for the stay and for follow-up care "
    "(Da Vinci CRD).",
    kEncounterPrefetch,
    encounter_scope,
    HookRole::secondary,
};

}  // namespace

const ServiceDescriptor& encounter_start_service() { return kEncounterStart; }
const ServiceDescriptor& encounter_discharge_service() { return kEncounterDischarge; }

}  // namespace crdex::hooks
