#pragma once
// Now as a FHIR instant: UTC with milliseconds, "2026-11-22T03:16:31.123Z".
// What crdex stamps on what it writes (a CDex Task's authoredOn and
// lastModified) and what its stores record (a published rule set version, a
// received attachment, an export job's progress). Also now as milliseconds
// since the epoch, the form the stores' schedules and leases compare.

#include <cstdint>
#include <string>

namespace crdex::fhir {

std::string now_instant();
int64_t now_epoch_ms();

}  // namespace crdex::fhir
