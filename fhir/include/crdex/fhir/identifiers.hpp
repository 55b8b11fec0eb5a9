#pragma once
// Fresh identifiers and dates for what crdex asserts: card and suggestion uuids,
// coverage-assertion ids, and the date of an assertion.

#include <optional>
#include <string>
#include <string_view>

namespace crdex::fhir {

// A random (version 4) UUID in its canonical lower-case text form.
std::string random_uuid();

// The 16 bytes of a UUID in canonical text form (8-4-4-4-12 hex digits, either
// case); nullopt for any other text. Stores keep uuids this way (16 bytes
// instead of 36), uuid_text gives the lower-case text back.
std::optional<std::string> uuid_bytes(std::string_view text);
std::string uuid_text(std::string_view bytes);  // `bytes`: 16 of them

// Today's date in UTC as a FHIR date, "YYYY-MM-DD".
std::string today_utc_date();

// Whether `text` is a FHIR date of full precision, "YYYY-MM-DD" (digits and
// dashes only; the calendar is not checked).
bool is_fhir_date(std::string_view text);

}  // namespace crdex::fhir
