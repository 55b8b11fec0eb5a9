#include "crdex/hooks/hook_request.hpp"

namespace crdex::hooks {

using fhir::JsonNode;

namespace {

fhir::Error invalid(const fhir::JsonShapeError& e) {
  return fhir::Error{400, fhir::IssueType::invalid, e.what(), e.path};
}

// The member `key`, or nullopt when it is absent or JSON null.
std::optional<JsonNode> present(const JsonNode& object, std::string_view key) {
  auto member = object.find(key);
  if (member && member->is_null()) return std::nullopt;
  return member;
}

}  // namespace

fhir::Result<HookRequest> read_hook_request(simdjson::dom::element root, std::string_view service_hook) {
  if (!root.is_object())
    return fhir::Error{400, fhir::IssueType::structure, "the request body must be a JSON object", ""};
  try {
    const JsonNode request(root, "");
    const auto hook = request.at("hook").as_non_empty_string();
    if (hook != service_hook) {
      return fhir::Error{400, fhir::IssueType::value,
                         "hook is \"" + std::string(hook) + "\" but this service answers \"" +
                             std::string(service_hook) + "\"",
                         "hook"};
    }
    const auto hook_instance = request.at("hookInstance").as_non_empty_string();
    const JsonNode context = request.at("context");
    context.expect_object();

    // Clients in the field send `null` for optional members they do not fill:
    // null means absent (docs/api.md, "What crdex tolerates").
    std::string_view fhir_server;
    if (auto server = present(request, "fhirServer")) fhir_server = server->as_non_empty_string();
    std::string_view access_token;
    if (auto authorization = present(request, "fhirAuthorization")) {
      authorization->expect_object();
      // An empty access_token (the CRD reference client's) is no token.
      access_token = authorization->string_or_empty("access_token");
      // CDS Hooks: fhirAuthorization is only usable together with fhirServer.
      if (fhir_server.empty() && !access_token.empty())
        return fhir::Error{400, fhir::IssueType::required, "fhirServer is required when fhirAuthorization is sent",
                           "fhirServer"};
    }
    // CRD dev-3: a client that names a CRD version gets that version or an error.
    if (auto extension = present(request, "extension"); extension && extension->is_object()) {
      if (auto requested = present(*extension, "davinci-crd.requestedVersion");
          requested && requested->as_string() != kCrdVersion) {
        return fhir::Error{400, fhir::IssueType::not_supported,
                           "davinci-crd.requestedVersion \"" + std::string(requested->as_string()) +
                               "\" is not supported; supported versions: " + std::string(kCrdVersion),
                           "extension.davinci-crd.requestedVersion"};
      }
    }
    std::optional<JsonNode> prefetch;
    if (auto node = request.find("prefetch"); node && !node->is_null()) prefetch = node->expect_object();

    return HookRequest{hook, hook_instance, fhir_server, access_token, context, prefetch,
                       read_crd_configuration(root), nullptr};
  } catch (const fhir::JsonShapeError& e) {
    return invalid(e);
  }
}

}  // namespace crdex::hooks
