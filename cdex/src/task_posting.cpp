#include "crdex/cdex/task_posting.hpp"

#include "crdex/fhir/fhir_write.hpp"

namespace crdex::cdex {

fhir::QueryAnswer post_task(const TaskPosting& to, const std::string& task_json) {
  fhir::DirectQueryOptions options;
  options.deadline = std::chrono::steady_clock::now() + to.timeout;
  options.allow_plain_http = to.allow_plain_http;
  return fhir::post_resource({to.source_base, to.token}, "Task", task_json, options);
}

}  // namespace crdex::cdex
