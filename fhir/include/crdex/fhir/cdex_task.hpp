#pragma once
// The Da Vinci CDex data-request Task (profile cdex-task-data-request, CDex
// STU 2.1 task-based approach): the model both roles share, the reader that
// checks an incoming Task against the profile and names the element at fault,
// the builder the Data Consumer posts, and the writer the Data Source uses to
// show a Task's progress (status, statusReason, businessStatus, output).
//
// References and codeable concepts the model does not interpret (for,
// requester, owner, reasonReference, purpose of use) are kept as minified JSON
// and copied through unchanged.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crdex/fhir/cdex_task_status.hpp"
#include "crdex/fhir/result.hpp"

namespace crdex::fhir::cdex {

inline constexpr std::string_view kCdexTempSystem = "http://hl7.org/fhir/us/davinci-cdex/CodeSystem/cdex-temp";
inline constexpr std::string_view kHrexTempSystem = "http://hl7.org/fhir/us/davinci-hrex/CodeSystem/hrex-temp";
inline constexpr std::string_view kSdcTempSystem = "http://hl7.org/fhir/uv/sdc/CodeSystem/temp";
inline constexpr std::string_view kDataRequestProfile =
    "http://hl7.org/fhir/us/davinci-cdex/StructureDefinition/cdex-task-data-request";

// Task.code, and with it the one input the request carries (cdex-7/8/12).
enum class RequestKind {
  query,          // data-request-query: input data-query, a FHIR search string
  code,           // data-request-code: input data-code, LOINC document/section codes or free text
  questionnaire,  // data-request-questionnaire: input questionnaire, a DTR canonical
};

const char* request_kind_code(RequestKind kind);  // "data-request-query", ...
std::optional<RequestKind> parse_request_kind(std::string_view code);

// The data-code input's valueCodeableConcept: its first coding, and its text.
// A free-text request has only `text`.
struct RequestedCode {
  std::string system;
  std::string code;
  std::string text;
  bool free_text() const { return code.empty(); }
};

// What a Data Consumer asks for.
struct DataRequest {
  RequestKind kind = RequestKind::query;
  std::string query;          // kind query: "Condition?patient=123&clinical-status=active"
  RequestedCode code;         // kind code
  std::string questionnaire;  // kind questionnaire: canonical URL
  // Task.for / requester / owner: FHIR Reference JSON, each with a reference
  // or an identifier (member id, payer id, NPI).
  std::string for_patient;
  std::string requester;
  std::string owner;
  std::string authored_on;        // FHIR dateTime; the builder uses now when empty
  std::string reason_code_text;   // Task.reasonCode.text, optional
  std::string reason_reference;   // Task.reasonReference JSON (the claim or order), optional
  std::string purpose_of_use;     // purpose-of-use input's CodeableConcept JSON, optional
  std::optional<bool> signature;  // signature-flag input, optional
  std::string work_queue;         // meta.tag code from cdex-temp (e.g. "claims-processing"), optional
};

// Where a Task stands, as the Data Source reports it.
struct TaskProgress {
  TaskStatus status = TaskStatus::requested;
  std::string status_reason;    // statusReason.text: required when rejected / failed (tdr-2)
  std::string business_status;  // businessStatus.text, e.g. "waiting on internal review"
  // Task.output entries and Task.contained resources, each minified JSON.
  std::vector<std::string> outputs;
  std::vector<std::string> contained;
};

struct DataRequestTask {
  std::string id;  // Task.id; may be empty on a POSTed Task
  TaskProgress progress;
  DataRequest request;
};

// Reads a Task and checks it against cdex-task-data-request: resourceType,
// status in the HRex value set (never `received`), intent `order`, code from
// cdex-temp, no focus, for / requester / owner / authoredOn present, exactly
// one data-query / data-code / questionnaire input matching the code, tdr-2
// (statusReason.text when rejected or failed) and tdr-3 (output when
// completed). Text that is not JSON gives 400; a Task that breaks the profile
// gives 422 whose expression names the element ("Task.input[0].valueString").
Result<DataRequestTask> parse_data_request_task(std::string_view json);

// The Task a Data Consumer POSTs: status requested, intent order, the profile
// in meta, and exactly the inputs the request names.
std::string build_data_request_task(const DataRequest& request);

// `task_json` (a Task as received) with the id, lastModified and the progress
// written over whatever it said: status, statusReason, businessStatus, output
// and contained are replaced, every other element is kept as it was.
std::string write_task_progress(std::string_view task_json, std::string_view id, const TaskProgress& progress,
                                std::string_view last_modified);

}  // namespace crdex::fhir::cdex
