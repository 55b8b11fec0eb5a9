#pragma once
// Fresh identifiers and dates for what crdex asserts: card and suggestion uuids,
// coverage-assertion ids, and the date of an assertion.

#include <string>
#include <string_view>

namespace crdex::fhir {

// A random (version 4) UUID in its canonical lower-case text form.
std::string random_uuid();

// Today's date in UTC as a FHIR date, "YYYY-MM-DD".
std::string today_utc_date();

// Whether `text` is a FHIR date of full precision, "YYYY-MM-DD" (digits and
// dashes only; the calendar is not checked).
bool is_fhir_date(std::string_view text);

}  // namespace crdex::fhir
