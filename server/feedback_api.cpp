#include "feedback_api.hpp"

#include "api_helpers.hpp"

#include "crdex/fhir/json_writer.hpp"
#include "crdex/fhir/operation_outcome.hpp"
#include "crdex/hooks/feedback.hpp"
#include "crdex/hooks/service_descriptor.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

constexpr std::string_view kServicesPrefix = "/cds-services/";
constexpr std::string_view kFeedbackSuffix = "/feedback";

}  // namespace

bool FeedbackApi::serves(std::string_view path) const {
  if (!path.starts_with(kServicesPrefix) || !path.ends_with(kFeedbackSuffix)) return false;
  const auto id = path.substr(kServicesPrefix.size(), path.size() - kServicesPrefix.size() - kFeedbackSuffix.size());
  return !id.empty() && id.find('/') == std::string_view::npos;
}

ApiAnswer FeedbackApi::handle(const Http::Request& request, std::string_view path) const {
  const std::string service_id(
      path.substr(kServicesPrefix.size(), path.size() - kServicesPrefix.size() - kFeedbackSuffix.size()));
  if (!hooks::find_service(service_id))
    return problem_answer({404, fhir::IssueType::not_found, "no CDS service \"" + service_id + "\"", ""});
  if (request.method() != Http::Method::Post) {
    ApiAnswer answer = problem_answer({405, fhir::IssueType::not_supported, "this resource only accepts POST", ""});
    answer.headers.emplace_back("Allow", "POST");
    return answer;
  }
  if (!has_json_body(request))
    return problem_answer({415, fhir::IssueType::not_supported, "send the feedback as application/json", ""});
  auto items = hooks::read_feedback(request.body());
  if (!items) return problem_answer(items.error());
  auto added = store_->add(service_id, *items);
  if (!added) return problem_answer(added.error());
  // CDS Hooks defines no body; this one says what was kept (repeats are stored once).
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "received");
  w.Uint64(items->size());
  fhir::write_key(w, "new");
  w.Int64(*added);
  w.EndObject();
  return {200, {buffer.GetString(), buffer.GetSize()}, false, {}};
}

}  // namespace crdex::server
