#pragma once
// Fresh identifiers and dates for what crdex asserts: card and suggestion uuids,
// coverage-assertion ids, and the date of an assertion.

#include <string>

namespace crdex::fhir {

// A random (version 4) UUID in its canonical lower-case text form.
std::string random_uuid();

// Today's date in UTC as a FHIR date, "YYYY-MM-DD".
std::string today_utc_date();

}  // namespace crdex::fhir
