#pragma once
// The CDex Task state machine. Task.status is bound to the HRex Task status
// value set: requested, accepted, rejected, in-progress, failed, completed and
// on-hold; `received` (and every other R4 TaskStatus) is not in it (CDX-05).
//
//   requested -> accepted | rejected | on-hold | failed
//   on-hold   -> accepted | rejected                    (human review)
//   accepted  -> in-progress | failed
//   in-progress -> completed | failed | on-hold
//   rejected, failed, completed: terminal
//
// The guide lets a Data Source add transitions; crdex keeps to these so a
// Task never leaves a terminal state and every change is one a consumer can
// understand from the status alone.

#include <optional>
#include <string_view>

#include "crdex/fhir/result.hpp"

namespace crdex::fhir::cdex {

enum class TaskStatus { requested, accepted, rejected, in_progress, failed, completed, on_hold };

const char* task_status_code(TaskStatus status);  // "in-progress", ...
// nullopt for codes outside the HRex value set ("received", "ready", "draft", ...).
std::optional<TaskStatus> parse_task_status(std::string_view code);

bool is_terminal(TaskStatus status);

// nullopt when `from -> to` is allowed; otherwise a 409 business-rule Error
// naming Task.status.
std::optional<Error> check_transition(TaskStatus from, TaskStatus to);

}  // namespace crdex::fhir::cdex
