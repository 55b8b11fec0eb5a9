#include "failure_policy.hpp"

#include "crdex/fhir/operation_outcome.hpp"

namespace crdex::hooks::detail {

std::optional<fhir::Error> apply_prefetch_failure_policy(std::span<const PrefetchTemplate> templates,
                                                         FilledPrefetch& filled) {
  std::optional<fhir::Error> refused;
  for (const auto& t : templates) {
    const auto problem = filled.problem(t.key);
    if (problem.empty()) continue;
    const std::string expression = "prefetch." + std::string(t.key);
    switch (t.on_failure) {
      case PrefetchFailure::fail:
        // CDS Hooks: data the service needs and cannot get from the FHIR server -> 412.
        if (!refused)
          refused = fhir::Error{412, fhir::IssueType::not_found,
                                expression + " is not in the request and crdex could not fetch it: " +
                                    std::string(problem),
                                expression};
        break;
      case PrefetchFailure::omit:
        break;
      case PrefetchFailure::operation_outcome: {
        const std::string outcome = fhir::operation_outcome_json(
            {424, fhir::IssueType::not_found, "crdex could not fetch " + expression + ": " + std::string(problem), ""});
        auto document = std::make_unique<simdjson::dom::document>();
        simdjson::dom::parser parser;
        simdjson::dom::element value;
        if (parser.parse_into_document(*document, outcome.data(), outcome.size()).get(value) != simdjson::SUCCESS)
          break;
        filled.values.insert_or_assign(std::string(t.key), value);
        filled.documents.push_back(std::move(document));
        break;
      }
    }
  }
  return refused;
}

}  // namespace crdex::hooks::detail
