#include "crdex/hooks/prefetch_template.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "fhirpath_subset.hpp"

namespace crdex::hooks {

namespace {

// Values go into a URL: everything but RFC 3986's unreserved characters is
// percent-encoded, so a value can never add a search parameter of its own.
void append_encoded(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
}

// The text of a primitive item; nullopt for objects and arrays.
std::optional<std::string> item_text(const detail::PathItem& item) {
  using Kind = detail::PathItem::Kind;
  if (item.kind == Kind::text) return item.text;
  if (item.kind == Kind::reference) return item.type + "/" + item.text;
  const auto value = item.json;
  if (value.is_string()) return std::string(value.get_string().value_unsafe());
  if (value.is_int64()) return std::to_string(value.get_int64().value_unsafe());
  if (value.is_uint64()) return std::to_string(value.get_uint64().value_unsafe());
  if (value.is_bool()) return value.get_bool().value_unsafe() ? "true" : "false";
  if (value.is_double()) return simdjson::to_string(value);
  return std::nullopt;
}

}  // namespace

fhir::Result<std::optional<std::string>> hydrate_prefetch_template(std::string_view query_template,
                                                                   const PrefetchScope& scope) {
  std::string query;
  size_t pos = 0;
  try {
    for (;;) {
      const auto open = query_template.find("{{", pos);
      if (open == std::string_view::npos) break;
      const auto close = query_template.find("}}", open + 2);
      if (close == std::string_view::npos) throw std::invalid_argument("a token has no closing }}");
      query.append(query_template.substr(pos, open - pos));

      std::vector<std::string> values;
      for (const auto& item : detail::evaluate_fhirpath(query_template.substr(open + 2, close - open - 2), scope)) {
        auto text = item_text(item);
        if (text && !text->empty() && std::find(values.begin(), values.end(), *text) == values.end())
          values.push_back(std::move(*text));
      }
      if (values.empty()) return std::optional<std::string>{};
      for (size_t i = 0; i < values.size(); ++i) {
        if (i) query.push_back(',');
        append_encoded(query, values[i]);
      }
      pos = close + 2;
    }
    if (query_template.find("}}", pos) != std::string_view::npos)
      throw std::invalid_argument("}} without an opening {{");
  } catch (const std::invalid_argument& e) {
    return fhir::Error{500, fhir::IssueType::exception, e.what(), ""};
  }
  query.append(query_template.substr(pos));
  return std::optional<std::string>{std::move(query)};
}

std::vector<std::string> prefetch_template_dependencies(std::string_view query_template) {
  std::vector<std::string> keys;
  for (size_t at = query_template.find('%'); at != std::string_view::npos; at = query_template.find('%', at + 1)) {
    size_t end = at + 1;
    while (end < query_template.size() &&
           (std::isalnum(static_cast<unsigned char>(query_template[end])) || query_template[end] == '_'))
      ++end;
    std::string key(query_template.substr(at + 1, end - at - 1));
    if (!key.empty() && std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace crdex::hooks
