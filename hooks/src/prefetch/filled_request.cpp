#include "filled_request.hpp"

#include "crdex/fhir/json_writer.hpp"

namespace crdex::hooks::detail {

namespace {

// `sent` is null when the request had no prefetch at all.
void write_prefetch(fhir::JsonWriter& w, const simdjson::dom::element* sent, const FilledPrefetch& filled) {
  w.StartObject();
  simdjson::dom::object members;
  if (sent && sent->get_object().get(members) == simdjson::SUCCESS) {
    for (auto member : members) {
      if (filled.values.contains(member.key)) continue;  // replaced below
      fhir::write_key(w, member.key);
      fhir::write_raw(w, member.value);
    }
  }
  for (const auto& [key, value] : filled.values) {
    fhir::write_key(w, key);
    fhir::write_raw(w, value);
  }
  w.EndObject();
}

}  // namespace

std::string filled_request_json(simdjson::dom::element request, const FilledPrefetch& filled) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "request");
  w.StartObject();
  bool wrote_prefetch = false;
  simdjson::dom::object members;
  if (request.get_object().get(members) == simdjson::SUCCESS) {
    for (auto member : members) {
      fhir::write_key(w, member.key);
      if (member.key == "prefetch") {
        write_prefetch(w, &member.value, filled);
        wrote_prefetch = true;
      } else {
        fhir::write_raw(w, member.value);
      }
    }
  }
  if (!wrote_prefetch && !filled.values.empty()) {
    fhir::write_key(w, "prefetch");
    write_prefetch(w, nullptr, filled);
  }
  w.EndObject();

  fhir::write_key(w, "queries");
  w.StartArray();
  for (const auto& sent : filled.queries) {
    w.StartObject();
    fhir::write_key(w, "key");
    fhir::write_string(w, sent.key);
    fhir::write_key(w, "query");
    fhir::write_string(w, sent.query);
    fhir::write_key(w, "round");
    w.Int(sent.round);
    w.EndObject();
  }
  w.EndArray();

  fhir::write_key(w, "problems");
  w.StartObject();
  for (const auto& [key, problem] : filled.problems) {
    fhir::write_key(w, key);
    fhir::write_string(w, problem);
  }
  w.EndObject();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace crdex::hooks::detail
