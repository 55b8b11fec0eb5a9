#include "crdex/fhir/json_writer.hpp"

#include <array>
#include <charconv>
#include <cstring>

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

void append(JsonBuffer& out, std::string_view text) {
  if (!text.empty()) std::memcpy(out.Push(text.size()), text.data(), text.size());
}

// The escapes simdjson::minify writes (the bytes must not change with the
// writer): \" \\ \b \t \n \f \r, other control characters as \u00xx.
constexpr std::array<bool, 256> kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = table['\\'] = true;
  return table;
}();

void append_string(JsonBuffer& out, std::string_view s) {
  out.Put('"');
  size_t run = 0;  // start of the characters not yet copied
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!kNeedsEscape[c]) continue;
    append(out, s.substr(run, i - run));
    run = i + 1;
    char escape[6] = {'\\', 'u', '0', '0', 0, 0};
    size_t length = 2;
    switch (c) {
      case '"': escape[1] = '"'; break;
      case '\\': escape[1] = '\\'; break;
      case '\b': escape[1] = 'b'; break;
      case '\t': escape[1] = 't'; break;
      case '\n': escape[1] = 'n'; break;
      case '\f': escape[1] = 'f'; break;
      case '\r': escape[1] = 'r'; break;
      default:
        escape[4] = static_cast<char>('0' + (c >> 4));
        escape[5] = "0123456789abcdef"[c & 0xF];
        length = 6;
    }
    append(out, {escape, length});
  }
  append(out, s.substr(run));
  out.Put('"');
}

// Minified JSON of `element`, as simdjson::minify writes it.
void append_minified(JsonBuffer& out, simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::OBJECT: {
      out.Put('{');
      bool first = true;
      const simdjson::dom::object object = element.get_object().value_unsafe();  // iterated as a local: a temporary result would dangle
      for (auto field : object) {
        if (!first) out.Put(',');
        first = false;
        append_string(out, field.key);
        out.Put(':');
        append_minified(out, field.value);
      }
      out.Put('}');
      return;
    }
    case simdjson::dom::element_type::ARRAY: {
      out.Put('[');
      bool first = true;
      const simdjson::dom::array array = element.get_array().value_unsafe();
      for (simdjson::dom::element item : array) {
        if (!first) out.Put(',');
        first = false;
        append_minified(out, item);
      }
      out.Put(']');
      return;
    }
    case simdjson::dom::element_type::STRING: append_string(out, element.get_string().value_unsafe()); return;
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64: {
      char digits[24];
      const auto end = element.is_int64()
                           ? std::to_chars(digits, digits + sizeof digits, element.get_int64().value_unsafe()).ptr
                           : std::to_chars(digits, digits + sizeof digits, element.get_uint64().value_unsafe()).ptr;
      append(out, {digits, static_cast<size_t>(end - digits)});
      return;
    }
    case simdjson::dom::element_type::DOUBLE: {
      char digits[32];
      const char* end = simdjson::internal::to_chars(digits, digits + sizeof digits, element.get_double().value_unsafe());
      append(out, {digits, static_cast<size_t>(end - digits)});
      return;
    }
    case simdjson::dom::element_type::BOOL:
      append(out, element.get_bool().value_unsafe() ? "true" : "false");
      return;
    case simdjson::dom::element_type::NULL_VALUE: append(out, "null"); return;
  }
}

}  // namespace

void write_raw(JsonWriter& w, simdjson::dom::element element) {
  // An empty raw value makes the Writer place its separator (and count the
  // value); the value itself goes straight into the buffer, without an
  // intermediate string.
  w.RawValue("", 0, raw_type(element));
  append_minified(w.buffer(), element);
}

}  // namespace crdex::fhir
