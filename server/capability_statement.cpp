#include "capability_statement.hpp"

#include <algorithm>
#include <optional>

#include "crdex/fhir/json_writer.hpp"
#include "fhir_route.hpp"

namespace crdex::server {

namespace {

constexpr const char* kCapabilityCdexIg =
    "http://hl7.org/fhir/us/davinci-cdex/ImplementationGuide/hl7.fhir.us.davinci-cdex|2.1.0";

// What the CDex guide (2.1.0) claims for what crdex serves: its Data Source
// CapabilityStatement's Task profile, and its OperationDefinition of $submit-attachment.
std::vector<std::string> capability_guide_profiles(std::string_view type) {
  if (type == "Task") return {"http://hl7.org/fhir/us/davinci-cdex/StructureDefinition/cdex-task-data-request|2.1.0"};
  return {};
}

std::string capability_operation_definition(std::string_view name) {
  if (name == "submit-attachment") return "http://hl7.org/fhir/us/davinci-cdex/OperationDefinition/submit-attachment";
  // An operation of crdex's own would need its own OperationDefinition; there is none today.
  return "urn:crdex:OperationDefinition:" + std::string(name);
}

// FHIR R4 orders a resource's interactions as the restful-interaction code system does.
int capability_interaction_rank(std::string_view code) {
  static constexpr std::string_view kOrder[] = {
      "read", "vread", "update", "patch", "delete", "history-instance", "history-type", "create", "search-type"};
  const auto* found = std::find(std::begin(kOrder), std::end(kOrder), code);
  return static_cast<int>(found - std::begin(kOrder));
}

struct CapabilityResource {
  std::string type;
  std::vector<std::string> interactions;
  std::vector<ApiModule::SearchParam> search;
  std::vector<std::string> operations;
};

struct CapabilityContents {
  std::vector<CapabilityResource> resources;
  std::vector<std::string> system_operations;
  bool takes_access_tokens = false;
};

void capability_add_once(std::vector<std::string>& list, const std::string& value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

CapabilityContents capability_collect(const std::vector<Route>& routes, const CapabilityInputs& inputs) {
  CapabilityContents contents;
  for (const auto& route : routes) {
    const auto fhir = fhir_route_of(route.method, route.pattern);
    if (!fhir || fhir->base != inputs.base || fhir->interaction == "capabilities") continue;
    if (route.policy == AccessPolicy::data_consumer || route.policy == AccessPolicy::provider_system)
      contents.takes_access_tokens = true;
    if (fhir->resource_type.empty()) {
      capability_add_once(contents.system_operations, fhir->operation);
      continue;
    }
    auto entry = std::find_if(contents.resources.begin(), contents.resources.end(),
                              [&](const CapabilityResource& e) { return e.type == fhir->resource_type; });
    if (entry == contents.resources.end())
      entry = contents.resources.insert(contents.resources.end(), {fhir->resource_type, {}, {}, {}});
    if (!fhir->operation.empty()) {
      capability_add_once(entry->operations, fhir->operation);
      continue;
    }
    capability_add_once(entry->interactions, fhir->interaction);
    if (fhir->interaction == "search-type")
      if (const auto params = inputs.search_params.find(route.pattern); params != inputs.search_params.end())
        entry->search.insert(entry->search.end(), params->second.begin(), params->second.end());
  }
  std::sort(contents.resources.begin(), contents.resources.end(),
            [](const CapabilityResource& a, const CapabilityResource& b) { return a.type < b.type; });
  for (auto& entry : contents.resources)
    std::sort(entry.interactions.begin(), entry.interactions.end(), [](const std::string& a, const std::string& b) {
      return capability_interaction_rank(a) < capability_interaction_rank(b);
    });
  return contents;
}

void capability_write_coding(fhir::JsonWriter& w, std::string_view system, std::string_view code,
                             std::string_view display) {
  w.StartObject();
  fhir::write_key(w, "system");
  fhir::write_string(w, system);
  fhir::write_key(w, "code");
  fhir::write_string(w, code);
  fhir::write_optional_string(w, "display", display);
  w.EndObject();
}

void capability_write_operation(fhir::JsonWriter& w, const std::string& name) {
  w.StartObject();
  fhir::write_key(w, "name");
  fhir::write_string(w, name);
  fhir::write_key(w, "definition");
  fhir::write_string(w, capability_operation_definition(name));
  w.EndObject();
}

void capability_write_security(fhir::JsonWriter& w, const CapabilityInputs& inputs) {
  fhir::write_key(w, "security");
  w.StartObject();
  fhir::write_key(w, "service");
  w.StartArray();
  w.StartObject();
  fhir::write_key(w, "coding");
  w.StartArray();
  capability_write_coding(w, "http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR",
                          "SMART-on-FHIR");
  w.EndArray();
  fhir::write_key(w, "text");
  fhir::write_string(w, "SMART Backend Services access tokens (system scopes), as a Bearer token");
  w.EndObject();
  w.EndArray();
  std::string description =
      "Every interaction and operation here needs a SMART Backend Services access token (a JWT with system/ "
      "scopes for the resource) whose aud is this server's base URL.";
  if (inputs.token_issuers.empty()) {
    description +=
        " No authorization server is configured (--authorization-servers), so no access token can be "
        "verified: only a static token crdex is given (--cdex-client-token-file) is accepted.";
  } else {
    description += " Tokens are accepted from the authorization server(s):";
    for (const auto& iss : inputs.token_issuers) description += " " + iss;
    description += ".";
  }
  fhir::write_key(w, "description");
  fhir::write_string(w, description);
  w.EndObject();
}

void capability_write_resource(fhir::JsonWriter& w, const CapabilityResource& entry) {
  w.StartObject();
  fhir::write_key(w, "type");
  fhir::write_string(w, entry.type);
  if (const auto profiles = capability_guide_profiles(entry.type); !profiles.empty()) {
    fhir::write_key(w, "supportedProfile");
    w.StartArray();
    for (const auto& profile : profiles) fhir::write_string(w, profile);
    w.EndArray();
  }
  if (!entry.interactions.empty()) {  // a type with operations only has none
    fhir::write_key(w, "interaction");
    w.StartArray();
    for (const auto& code : entry.interactions) {
      w.StartObject();
      fhir::write_key(w, "code");
      fhir::write_string(w, code);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!entry.search.empty()) {
    fhir::write_key(w, "searchParam");
    w.StartArray();
    for (const auto& param : entry.search) {
      w.StartObject();
      fhir::write_key(w, "name");
      fhir::write_string(w, param.name);
      fhir::write_key(w, "type");
      fhir::write_string(w, param.type);
      fhir::write_optional_string(w, "documentation", param.documentation);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!entry.operations.empty()) {
    fhir::write_key(w, "operation");
    w.StartArray();
    for (const auto& name : entry.operations) capability_write_operation(w, name);
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

std::string capability_statement_json(const std::vector<Route>& routes, const CapabilityInputs& inputs) {
  const CapabilityContents contents = capability_collect(routes, inputs);
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "resourceType");
  fhir::write_string(w, "CapabilityStatement");
  fhir::write_key(w, "status");
  fhir::write_string(w, "active");
  fhir::write_key(w, "date");
  fhir::write_string(w, inputs.date);
  fhir::write_key(w, "publisher");
  fhir::write_string(w, "crdex");
  fhir::write_key(w, "kind");
  fhir::write_string(w, "instance");
  fhir::write_key(w, "software");
  w.StartObject();
  fhir::write_key(w, "name");
  fhir::write_string(w, "crdex-server");
  fhir::write_optional_string(w, "version", inputs.software_version);
  w.EndObject();
  fhir::write_key(w, "implementation");
  w.StartObject();
  fhir::write_key(w, "description");
  fhir::write_string(w, inputs.base.empty() ? "crdex: the FHIR endpoints at the server's root"
                                            : "crdex: the FHIR endpoints under " + inputs.base);
  if (!inputs.public_url.empty()) {
    std::string url = inputs.public_url;
    while (url.size() > 1 && url.back() == '/') url.pop_back();
    fhir::write_key(w, "url");
    fhir::write_string(w, url + inputs.base);
  }
  w.EndObject();
  fhir::write_key(w, "fhirVersion");
  fhir::write_string(w, "4.0.1");
  fhir::write_key(w, "format");
  w.StartArray();
  fhir::write_string(w, "json");
  w.EndArray();
  fhir::write_key(w, "implementationGuide");
  w.StartArray();
  fhir::write_string(w, kCapabilityCdexIg);
  w.EndArray();
  fhir::write_key(w, "rest");
  w.StartArray();
  w.StartObject();
  fhir::write_key(w, "mode");
  fhir::write_string(w, "server");
  if (contents.takes_access_tokens) capability_write_security(w, inputs);
  if (!contents.resources.empty()) {  // FHIR JSON has no empty arrays
    fhir::write_key(w, "resource");
    w.StartArray();
    for (const auto& entry : contents.resources) capability_write_resource(w, entry);
    w.EndArray();
  }
  if (!contents.system_operations.empty()) {
    fhir::write_key(w, "operation");
    w.StartArray();
    for (const auto& name : contents.system_operations) capability_write_operation(w, name);
    w.EndArray();
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace crdex::server
