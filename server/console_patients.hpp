#pragma once
// The console's EHR view offers, besides the example patients, the patients
// of one FHIR server the operator names (--console-fhir-server). The browser
// never calls that server itself (the console talks to crdex only): crdex
// searches it for the page, GET /console/api/patients?name=..., with its own
// libcurl FHIR client (Direct Query: the outbound address guard applies, as to
// every FHIR server crdex reads) and answers a short list:
//
//   {"fhirServer": "https://ehr.example.org/fhir", "more": false,
//    "patients": [{"id": "123", "name": "Amy V. Baxter", "birthDate": "1987-02-20",
//                  "gender": "female", "identifiers": ["http://hospital|1032702"]}]}
//
// The search sends the clinician's access token for that server when the
// page gives one (header X-FHIR-Access-Token; never logged or echoed); the
// page sends the same token as the hook call's fhirAuthorization, so crdex's
// prefetch fill reads the patient's Coverage and the rest from that server.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "api_answer.hpp"

namespace crdex::server {

// The request header the page puts the clinician's FHIR access token in.
inline constexpr std::string_view kConsoleFhirTokenHeader = "X-FHIR-Access-Token";

struct ConsolePatientSearch {
  std::string fhir_server;  // base URL without a trailing '/'
  bool allow_plain_http = false;
  std::chrono::milliseconds timeout{3000};
  int count = 20;  // patients asked for (_count) and listed at most
};

// Why `url` cannot be the console's FHIR server (not http(s), plain http to a
// non-loopback host without --fhir-allow-http), or nullopt.
std::optional<std::string> console_fhir_server_problem(std::string_view url, bool allow_plain_http);

// The search itself: 200 with the list; 400 for a name longer than 100
// characters; 502 / 504 with an OperationOutcome naming the server when it
// cannot be reached, answers an error or something that is not a Bundle.
ApiAnswer search_console_patients(const ConsolePatientSearch& search, std::string_view name,
                                  std::string_view access_token);

// The list answer from a searchset Bundle's text (entries that are not
// Patients are skipped); nullopt when the text is not a Bundle.
std::optional<std::string> console_patient_list(std::string_view fhir_server, std::string_view bundle_json,
                                                size_t at_most);

}  // namespace crdex::server
