#include "crdex/fhir/json_writer.hpp"

namespace crdex::fhir {

namespace {
rapidjson::Type raw_type(simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::ARRAY: return rapidjson::kArrayType;
    case simdjson::dom::element_type::OBJECT: return rapidjson::kObjectType;
    case simdjson::dom::element_type::STRING: return rapidjson::kStringType;
    case simdjson::dom::element_type::BOOL:
      return element.get_bool().value_unsafe() ? rapidjson::kTrueType : rapidjson::kFalseType;
    case simdjson::dom::element_type::NULL_VALUE: return rapidjson::kNullType;
    default: return rapidjson::kNumberType;
  }
}
}  // namespace

void write_raw(JsonWriter& w, simdjson::dom::element element) {
  // One serialisation buffer per thread, reused: copying a resource member by
  // member would otherwise allocate a string per member.
  thread_local simdjson::internal::string_builder<> text;
  text.clear();
  text.append(element);
  const std::string_view minified = text.str();
  w.RawValue(minified.data(), minified.size(), raw_type(element));
}

}  // namespace crdex::fhir
