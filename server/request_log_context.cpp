#include "request_log_context.hpp"

namespace crdex::server {

namespace {

RequestLogFields*& thread_request_log_fields() {
  thread_local RequestLogFields* current = nullptr;
  return current;
}

}  // namespace

RequestLogFields* current_request_log_fields() { return thread_request_log_fields(); }

std::string_view current_request_id() {
  const RequestLogFields* fields = thread_request_log_fields();
  return fields ? std::string_view(fields->request_id) : std::string_view();
}

RequestLogScope::RequestLogScope(std::string request_id) : previous_(thread_request_log_fields()) {
  fields_.request_id = std::move(request_id);
  thread_request_log_fields() = &fields_;
}

RequestLogScope::~RequestLogScope() { thread_request_log_fields() = previous_; }

}  // namespace crdex::server
