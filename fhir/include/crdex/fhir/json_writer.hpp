#pragma once
// JSON output: RapidJSON's streaming Writer, never its parser (stack.md).
//
// Values read with simdjson can be copied through unchanged with write_raw():
// the element is written minified straight into the Writer's buffer, so a
// resource passed back to the EHR keeps every element it had.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <string>
#include <string_view>

namespace crdex::fhir {

using JsonBuffer = rapidjson::StringBuffer;

// RapidJSON's Writer with access to the buffer it writes to, so that text
// already in JSON form can be appended with memcpy instead of RapidJSON's
// character-by-character RawValue copy.
class JsonWriter : public rapidjson::Writer<JsonBuffer> {
 public:
  using rapidjson::Writer<JsonBuffer>::Writer;
  JsonBuffer& buffer() { return *os_; }
};

// A string value or an object key, escaped exactly as RapidJSON's Writer
// escapes it (\" \\ \b \t \n \f \r, other control characters as \u00XX),
// but scanning eight bytes at a time and copying unescaped runs whole.
void write_string(JsonWriter& w, std::string_view s);
inline void write_key(JsonWriter& w, std::string_view s) { write_string(w, s); }

// Writes `name: value` when value is non-empty (CDS Hooks forbids "" values).
inline void write_optional_string(JsonWriter& w, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  write_key(w, name);
  write_string(w, value);
}

// Empties `buffer`, a per-thread buffer kept from one call to the next so
// that writing a text of the usual size allocates nothing; its memory is
// given back instead when the last text was unusually large (> 1 MiB).
// The caller copies the text out before it writes another with the same buffer.
inline JsonBuffer& reused(JsonBuffer& buffer) {
  constexpr size_t kKept = size_t{1} << 20;
  const bool large = buffer.GetSize() > kKept;
  buffer.Clear();
  if (large) buffer.ShrinkToFit();
  return buffer;
}

// Writes `json`, text already in JSON form (a value of `type`), as it is.
void write_json_text(JsonWriter& w, std::string_view json, rapidjson::Type type);

// Copies a parsed JSON value into the output exactly as it was (minified);
// numbers keep their source spelling when the document has a live
// SourceSpelling (json_numbers.hpp), otherwise they are written from their value.
void write_raw(JsonWriter& w, simdjson::dom::element element);

}  // namespace crdex::fhir
