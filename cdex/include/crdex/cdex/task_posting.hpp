#pragma once
// POST [base]/Task: how a CDex Data Consumer hands a data-request Task to a
// Data Source. The server's Consumer and the plugin's create-task call both
// post through here, so the token goes only to `base` and the same time-out,
// size bound and URL policy apply to both faces.

#include <chrono>
#include <string>

#include "crdex/fhir/direct_query.hpp"

namespace crdex::cdex {

struct TaskPosting {
  std::string source_base;  // the Data Source's FHIR base
  std::string token;        // bearer token for the source; empty sends none
  std::chrono::milliseconds timeout{30'000};
  bool allow_plain_http = false;
};

// The source's answer as received (ok: the Task it created). Never throws.
fhir::QueryAnswer post_task(const TaskPosting& to, const std::string& task_json);

}  // namespace crdex::cdex
