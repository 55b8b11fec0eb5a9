#pragma once
// HookRequest: the CDS Hooks 2.0 call body, checked and viewed in place. The
// parsed document stays owned by the caller's parser; a HookRequest must not
// outlive it.

#include <simdjson.h>

#include <optional>
#include <string_view>

#include "crdex/fhir/json_node.hpp"
#include "crdex/fhir/result.hpp"
#include "crdex/hooks/crd_configuration.hpp"

namespace crdex::hooks {

struct FilledPrefetch;

struct HookRequest {
  std::string_view hook;
  std::string_view hook_instance;
  std::string_view fhir_server;   // empty when absent
  std::string_view access_token;  // fhirAuthorization.access_token, empty when absent
  fhir::JsonNode context;
  std::optional<fhir::JsonNode> prefetch;  // an object when present
  CrdConfiguration configuration;
  // Prefetch keys crdex fetched from fhirServer because the request lacked
  // them (set by the engine; owned by it for the call), or nullptr.
  const FilledPrefetch* filled = nullptr;
};

// Checks the fields every hook shares (hook, hookInstance, context, and the
// shapes of fhirServer, fhirAuthorization and prefetch) and that `hook` is the
// one the service answers. Unknown fields are ignored (CRD found-33).
fhir::Result<HookRequest> read_hook_request(simdjson::dom::element root, std::string_view service_hook);

}  // namespace crdex::hooks
