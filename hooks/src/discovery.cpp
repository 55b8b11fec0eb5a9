#include "discovery.hpp"

#include <string_view>

#include "crdex/config/card_types.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "crdex/hooks/crd_configuration.hpp"
#include "crdex/hooks/service_descriptor.hpp"

namespace crdex::hooks::detail {

namespace {

using fhir::JsonWriter;
using fhir::write_key;
using fhir::write_string;

void write_boolean_option(JsonWriter& w, std::string_view code) {
  std::string_view name = code, description = "Cards of this type";
  if (const auto* type = config::find_card_type(code)) {
    name = type->display;
    description = type->description;
  }
  w.StartObject();
  write_key(w, "code");
  write_string(w, code);
  write_key(w, "type");
  write_string(w, "boolean");
  write_key(w, "name");
  write_string(w, name);
  write_key(w, "description");
  write_string(w, description);
  write_key(w, "default");
  w.Bool(true);
  w.EndObject();
}

void write_service(JsonWriter& w, const ServiceDescriptor& service, const std::vector<std::string>& topics) {
  w.StartObject();
  write_key(w, "hook");
  write_string(w, service.hook);
  write_key(w, "id");
  write_string(w, service.id);
  write_key(w, "title");
  write_string(w, service.title);
  write_key(w, "description");
  write_string(w, service.description);
  write_key(w, "prefetch");
  w.StartObject();
  for (const auto& entry : service.prefetch) {
    write_key(w, entry.key);
    write_string(w, entry.query);
  }
  w.EndObject();
  write_key(w, "extension");
  w.StartObject();
  write_key(w, "davinci-crd.version");
  w.StartArray();
  write_string(w, kCrdVersion);
  w.EndArray();
  write_key(w, "davinci-crd.configuration-options");
  w.StartArray();
  write_boolean_option(w, "coverage-info");
  for (const auto& topic : topics)
    if (topic != "coverage-info") write_boolean_option(w, topic);
  w.StartObject();
  write_key(w, "code");
  write_string(w, "max-cards");
  write_key(w, "type");
  write_string(w, "integer");
  write_key(w, "name");
  write_string(w, "Maximum cards");
  write_key(w, "description");
  write_string(w, "The most cards one response returns; prior-authorization cards come first");
  write_key(w, "default");
  w.Int(kDefaultMaxCards);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  w.EndObject();
}

}  // namespace

std::string discovery_json(const config::RuleCatalog& rules) {
  const auto topics = rules.card_topics();
  fhir::JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  write_key(w, "services");
  w.StartArray();
  for (const ServiceDescriptor* service : all_services()) write_service(w, *service, topics);
  w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace crdex::hooks::detail
