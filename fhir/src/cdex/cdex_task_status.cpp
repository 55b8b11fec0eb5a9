#include "crdex/fhir/cdex_task_status.hpp"

#include <string>

namespace crdex::fhir::cdex {

const char* task_status_code(TaskStatus status) {
  switch (status) {
    case TaskStatus::requested: return "requested";
    case TaskStatus::accepted: return "accepted";
    case TaskStatus::rejected: return "rejected";
    case TaskStatus::in_progress: return "in-progress";
    case TaskStatus::failed: return "failed";
    case TaskStatus::completed: return "completed";
    case TaskStatus::on_hold: return "on-hold";
  }
  return "requested";
}

std::optional<TaskStatus> parse_task_status(std::string_view code) {
  for (auto status : {TaskStatus::requested, TaskStatus::accepted, TaskStatus::rejected, TaskStatus::in_progress,
                      TaskStatus::failed, TaskStatus::completed, TaskStatus::on_hold})
    if (code == task_status_code(status)) return status;
  return std::nullopt;
}

bool is_terminal(TaskStatus status) {
  return status == TaskStatus::rejected || status == TaskStatus::failed || status == TaskStatus::completed;
}

std::optional<Error> check_transition(TaskStatus from, TaskStatus to) {
  using S = TaskStatus;
  bool allowed = false;
  switch (from) {
    case S::requested: allowed = to == S::accepted || to == S::rejected || to == S::on_hold || to == S::failed; break;
    case S::on_hold: allowed = to == S::accepted || to == S::rejected; break;
    case S::accepted: allowed = to == S::in_progress || to == S::failed; break;
    case S::in_progress: allowed = to == S::completed || to == S::failed || to == S::on_hold; break;
    case S::rejected:
    case S::failed:
    case S::completed: allowed = false; break;
  }
  if (allowed) return std::nullopt;
  return Error{409, IssueType::business_rule,
               std::string("a Task cannot go from ") + task_status_code(from) + " to " + task_status_code(to),
               "Task.status"};
}

}  // namespace crdex::fhir::cdex
