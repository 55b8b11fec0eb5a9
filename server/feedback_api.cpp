#include "feedback_api.hpp"

#include "api_helpers.hpp"

#include "crdex/fhir/json_writer.hpp"
#include "crdex/fhir/operation_outcome.hpp"
#include "crdex/hooks/feedback.hpp"
#include "crdex/hooks/service_descriptor.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

std::vector<Route> FeedbackApi::routes() const {
  return {Route{Http::Method::Post, "/cds-services/{id}/feedback", AccessPolicy::cds_client,
                [this](const Http::Request& request, const PathParams& params) {
                  return receive(request, params.get("id"));
                },
                true, {}}};
}

ApiAnswer FeedbackApi::receive(const Http::Request& request, const std::string& service_id) const {
  if (!hooks::find_service(service_id))
    return problem_answer({404, fhir::IssueType::not_found, "no CDS service \"" + service_id + "\"", ""});
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
