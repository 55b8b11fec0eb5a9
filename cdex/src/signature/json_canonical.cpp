#include <crdex/cdex/json_canonical.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <system_error>

namespace crdex::cdex {

namespace {

// Thrown inside this file only; canonical_json() turns it into an Error.
struct JcsRefusal : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A member name as UTF-16 code units: JCS sorts names by these.
std::u16string jcs_utf16_units(std::string_view utf8) {
  std::u16string out;
  out.reserve(utf8.size());
  size_t i = 0;
  while (i < utf8.size()) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    uint32_t cp = lead;
    size_t length = 1;
    if (lead >= 0xF0) {
      cp = lead & 0x07u;
      length = 4;
    } else if (lead >= 0xE0) {
      cp = lead & 0x0Fu;
      length = 3;
    } else if (lead >= 0xC0) {
      cp = lead & 0x1Fu;
      length = 2;
    }
    for (size_t k = 1; k < length && i + k < utf8.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3Fu);
    }
    i += length;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

void jcs_write_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0x0F]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void jcs_write_number(std::string& out, double value) {
  if (!std::isfinite(value)) throw JcsRefusal("a number that is not finite has no canonical JSON form");
  out += es6_number(value);
}

void jcs_write_value(std::string& out, simdjson::dom::element element,
                     const std::vector<std::string_view>* omitted_members);

void jcs_write_object(std::string& out, simdjson::dom::object object,
                      const std::vector<std::string_view>* omitted_members) {
  struct Member {
    std::u16string sort_key;
    std::string_view name;
    simdjson::dom::element value;
  };
  std::vector<Member> members;
  for (const auto field : object) {
    if (omitted_members != nullptr &&
        std::find(omitted_members->begin(), omitted_members->end(), field.key) != omitted_members->end()) {
      continue;
    }
    members.push_back({jcs_utf16_units(field.key), field.key, field.value});
  }
  std::sort(members.begin(), members.end(),
            [](const Member& a, const Member& b) { return a.sort_key < b.sort_key; });
  out.push_back('{');
  for (size_t i = 0; i < members.size(); ++i) {
    if (i > 0) {
      if (members[i].sort_key == members[i - 1].sort_key) {
        throw JcsRefusal("the member \"" + std::string(members[i].name) +
                         "\" appears twice in one object (JCS needs I-JSON: unique names)");
      }
      out.push_back(',');
    }
    jcs_write_string(out, members[i].name);
    out.push_back(':');
    jcs_write_value(out, members[i].value, nullptr);
  }
  out.push_back('}');
}

void jcs_write_value(std::string& out, simdjson::dom::element element,
                     const std::vector<std::string_view>* omitted_members) {
  using simdjson::dom::element_type;
  switch (element.type()) {
    case element_type::OBJECT:
      jcs_write_object(out, element.get_object().value_unsafe(), omitted_members);
      return;
    case element_type::ARRAY: {
      out.push_back('[');
      bool first = true;
      const simdjson::dom::array items = element.get_array().value_unsafe();
      for (const auto item : items) {
        if (!first) out.push_back(',');
        first = false;
        jcs_write_value(out, item, nullptr);
      }
      out.push_back(']');
      return;
    }
    case element_type::STRING:
      jcs_write_string(out, element.get_string().value_unsafe());
      return;
    case element_type::INT64:
      jcs_write_number(out, static_cast<double>(element.get_int64().value_unsafe()));
      return;
    case element_type::UINT64:
      jcs_write_number(out, static_cast<double>(element.get_uint64().value_unsafe()));
      return;
    case element_type::DOUBLE:
      jcs_write_number(out, element.get_double().value_unsafe());
      return;
    case element_type::BOOL:
      out += element.get_bool().value_unsafe() ? "true" : "false";
      return;
    case element_type::NULL_VALUE:
      out += "null";
      return;
  }
}

}  // namespace

std::string es6_number(double value) {
  if (value == 0) return "0";  // also -0
  std::string sign;
  if (value < 0) {
    sign = "-";
    value = -value;
  }
  // The shortest digits that read back to `value`, as d.ddde±x.
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  if (ec != std::errc{}) return sign + "0";  // unreachable for a finite double
  const std::string_view text(buffer, static_cast<size_t>(end - buffer));
  const size_t e = text.find('e');
  std::string digits;
  for (const char c : text.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int exponent = 0;
  const std::string_view exponent_text = text.substr(e + 1);
  std::from_chars(exponent_text.data() + (exponent_text.front() == '+' ? 1 : 0),
                  exponent_text.data() + exponent_text.size(), exponent);
  // ECMAScript's names: k digits, the decimal point after n of them.
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;
  std::string out = sign;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += (n - 1 < 0) ? '-' : '+';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

fhir::Result<std::string> canonical_json(simdjson::dom::element element,
                                         const std::vector<std::string_view>& omitted_root_members) {
  std::string out;
  try {
    jcs_write_value(out, element, &omitted_root_members);
  } catch (const JcsRefusal& refusal) {
    return fhir::Error::invalid(refusal.what());
  }
  return out;
}

fhir::Result<std::string> canonical_json(std::string_view json,
                                         const std::vector<std::string_view>& omitted_root_members) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (const auto error = parser.parse(json.data(), json.size()).get(root); error != simdjson::SUCCESS) {
    return fhir::Error::invalid(std::string("not JSON: ") + simdjson::error_message(error));
  }
  return canonical_json(root, omitted_root_members);
}

}  // namespace crdex::cdex
