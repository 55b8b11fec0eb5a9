#include "crdex/fhir/json_writer.hpp"

#include <array>
#include <bit>
#include <charconv>
#include <cstring>

#include "crdex/fhir/json_numbers.hpp"

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

// Control characters, '"' and '\\': what both RapidJSON and simdjson escape.
constexpr std::array<bool, 256> kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = table['\\'] = true;
  return table;
}();

// Writes the escape of `c` at `out`; returns the end.
char* write_escape(char* out, unsigned char c, const char* hex) {
  *out++ = '\\';
  switch (c) {
    case '"': *out++ = '"'; return out;
    case '\\': *out++ = '\\'; return out;
    case '\b': *out++ = 'b'; return out;
    case '\t': *out++ = 't'; return out;
    case '\n': *out++ = 'n'; return out;
    case '\f': *out++ = 'f'; return out;
    case '\r': *out++ = 'r'; return out;
    default:
      std::memcpy(out, "u00", 3);
      out[3] = hex[c >> 4];
      out[4] = hex[c & 0xF];
      return out + 5;
  }
}

// Where in the 8 bytes `x` (little-endian) the first one to escape is, or 8:
// the "has a byte less than n" and "has a zero byte" tricks, whose lowest
// flagged byte is always exact. `& ~x` also drops bytes >= 0x80 (UTF-8),
// which never need escaping; '"' and '\\' are ASCII, so that stays exact.
unsigned first_to_escape(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const uint64_t quote = x ^ (kOnes * '"');
  const uint64_t backslash = x ^ (kOnes * '\\');
  const uint64_t found = ((x - kOnes * 0x20) | (quote - kOnes) | (backslash - kOnes)) & ~x & kHigh;
  return found ? static_cast<unsigned>(std::countr_zero(found)) >> 3 : 8;
}

// `s` as a JSON string; `hex` spells the digits of \u00xx escapes (RapidJSON
// writes them in upper case, simdjson::minify in lower case). Room for the
// worst case is taken once and the unused part given back: eight bytes are
// copied per step, before knowing whether one of them must be escaped.
void append_string(JsonBuffer& out, std::string_view s, const char* hex) {
  const size_t room = 2 + 6 * s.size();
  char* const start = out.Push(room);
  char* to = start;
  *to++ = '"';
  const char* from = s.data();
  const char* const end = from + s.size();
  if constexpr (std::endian::native == std::endian::little) {
    while (end - from >= 8) {
      uint64_t x;
      std::memcpy(&x, from, 8);
      std::memcpy(to, &x, 8);
      const unsigned clean = first_to_escape(x);
      from += clean;
      to += clean;
      if (clean < 8) to = write_escape(to, static_cast<unsigned char>(*from++), hex);
    }
  }
  for (; from < end; ++from) {
    const auto c = static_cast<unsigned char>(*from);
    if (kNeedsEscape[c])
      to = write_escape(to, c, hex);
    else
      *to++ = static_cast<char>(c);
  }
  *to++ = '"';
  out.Pop(room - static_cast<size_t>(to - start));
}

constexpr const char* kMinifyHex = "0123456789abcdef";
constexpr const char* kRapidJsonHex = "0123456789ABCDEF";

// Minified JSON of `element`, as simdjson::minify writes it, except numbers:
// their source spelling when known (json_numbers.hpp).
void append_minified(JsonBuffer& out, simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::OBJECT: {
      out.Put('{');
      bool first = true;
      const simdjson::dom::object object = element.get_object().value_unsafe();  // iterated as a local: a temporary result would dangle
      for (auto field : object) {
        if (!first) out.Put(',');
        first = false;
        append_string(out, field.key, kMinifyHex);
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
    case simdjson::dom::element_type::STRING: append_string(out, element.get_string().value_unsafe(), kMinifyHex); return;
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64: {
      if (const auto spelling = number_spelling(element); !spelling.empty()) return append(out, spelling);
      char digits[24];
      const auto end = element.is_int64()
                           ? std::to_chars(digits, digits + sizeof digits, element.get_int64().value_unsafe()).ptr
                           : std::to_chars(digits, digits + sizeof digits, element.get_uint64().value_unsafe()).ptr;
      append(out, {digits, static_cast<size_t>(end - digits)});
      return;
    }
    case simdjson::dom::element_type::DOUBLE: {
      if (const auto spelling = number_spelling(element); !spelling.empty()) return append(out, spelling);
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

void write_string(JsonWriter& w, std::string_view s) {
  // An empty raw value of type string makes the Writer place the separator
  // (',' or ':') as String() or Key() would and count the value.
  w.RawValue("", 0, rapidjson::kStringType);
  append_string(w.buffer(), s, kRapidJsonHex);
}

void write_json_text(JsonWriter& w, std::string_view json, rapidjson::Type type) {
  w.RawValue("", 0, type);
  append(w.buffer(), json);
}

void write_raw(JsonWriter& w, simdjson::dom::element element) {
  // An empty raw value makes the Writer place its separator (and count the
  // value); the value itself goes straight into the buffer, without an
  // intermediate string.
  w.RawValue("", 0, raw_type(element));
  append_minified(w.buffer(), element);
}

}  // namespace crdex::fhir
