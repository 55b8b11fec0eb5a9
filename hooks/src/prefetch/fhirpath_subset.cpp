#include "fhirpath_subset.hpp"

#include <cctype>
#include <stdexcept>

#include "crdex/fhir/reference.hpp"

namespace crdex::hooks::detail {

namespace {

using simdjson::dom::element;
using Collection = std::vector<PathItem>;

PathItem json_item(element value) { return {PathItem::Kind::json, value, {}, {}}; }
PathItem text_item(std::string text) { return {PathItem::Kind::text, {}, {}, std::move(text)}; }

// Adds `value` to `out`, flattening arrays and dropping nulls (FHIRPath
// collections have no nested lists and no empty items).
void add_value(element value, Collection& out) {
  if (value.is_null()) return;
  if (value.is_array()) {
    for (element item : value.get_array()) add_value(item, out);
    return;
  }
  out.push_back(json_item(value));
}

// CDS Hooks user tokens: the id part of context.userId when it names that type.
std::optional<std::string_view> user_token_type(std::string_view name) {
  if (name == "userPractitionerId") return "Practitioner";
  if (name == "userPractitionerRoleId") return "PractitionerRole";
  if (name == "userPatientId") return "Patient";
  if (name == "userRelatedPersonId") return "RelatedPerson";
  return std::nullopt;
}

// A FHIR choice element `name[x]` appears as name + a capitalised type.
bool is_choice_of(std::string_view key, std::string_view name) {
  return key.size() > name.size() && key.starts_with(name) && std::isupper(static_cast<unsigned char>(key[name.size()]));
}

class Evaluator {
 public:
  Evaluator(std::string_view text, const PrefetchScope& scope) : text_(text), scope_(scope) {}

  Collection evaluate() {
    Collection result = union_expression(nullptr);
    skip_spaces();
    if (pos_ != text_.size()) fail("unexpected \"" + std::string(text_.substr(pos_)) + "\"");
    return result;
  }

 private:
  // focus == nullptr: at the root, where names are `context` or user tokens.
  Collection union_expression(const Collection* focus) {
    Collection result = path(focus);
    while (accept('|')) {
      for (auto& item : path(focus)) result.push_back(std::move(item));
    }
    return result;
  }

  Collection path(const Collection* focus) {
    Collection current = term(focus);
    while (accept('.')) current = step(current);
    return current;
  }

  Collection term(const Collection* focus) {
    skip_spaces();
    if (accept('%')) {
      const auto key = name();
      Collection out;
      if (auto value = scope_.prefetch(key)) add_value(*value, out);
      return out;
    }
    if (accept('(')) {
      Collection inner = union_expression(focus);
      expect(')');
      return inner;
    }
    const auto member_name = name();
    if (focus) return member(*focus, member_name);
    if (member_name == "context") return {json_item(scope_.context)};
    if (auto type = user_token_type(member_name)) return user_id(*type);
    fail("unknown name \"" + std::string(member_name) + "\" (tokens start with context, %key or a user token)");
  }

  Collection step(const Collection& current) {
    skip_spaces();
    if (accept('(')) {
      Collection inner = union_expression(&current);
      expect(')');
      return inner;
    }
    const auto step_name = name();
    if (!accept('(')) return member(current, step_name);
    if (step_name == "resolve") {
      expect(')');
      return resolve(current);
    }
    if (step_name == "ofType") {
      const auto type = name();
      expect(')');
      return of_type(current, type);
    }
    if (step_name == "extension") {
      const auto url = quoted();
      expect(')');
      return extension(current, url);
    }
    fail("unsupported function " + std::string(step_name) + "()");
  }

  Collection user_id(std::string_view type) const {
    std::string_view user;
    if (scope_.context["userId"].get(user) != simdjson::SUCCESS) return {};
    const auto parts = fhir::parse_reference(user);
    if (parts.type != type || parts.id.empty()) return {};
    return {text_item(std::string(parts.id))};
  }

  static Collection member(const Collection& items, std::string_view name) {
    Collection out;
    for (const auto& item : items) {
      if (item.kind == PathItem::Kind::reference) {
        if (name == "id") out.push_back(text_item(item.text));
        continue;
      }
      if (item.kind != PathItem::Kind::json || !item.json.is_object()) continue;
      for (auto field : item.json.get_object()) {
        if (field.key == name || is_choice_of(field.key, name)) add_value(field.value, out);
      }
    }
    return out;
  }

  // A Reference (or a reference string, as in order-dispatch's
  // dispatchedOrders) becomes its target's type and id. Contained (#id) and
  // urn: references have no id on the FHIR server and resolve to nothing.
  static Collection resolve(const Collection& items) {
    Collection out;
    for (const auto& item : items) {
      std::string_view reference;
      if (item.kind == PathItem::Kind::text) {
        reference = item.text;
      } else if (item.kind == PathItem::Kind::json) {
        if (item.json.is_string()) {
          reference = item.json.get_string().value_unsafe();
        } else if (item.json.is_object() && item.json["reference"].get(reference) != simdjson::SUCCESS) {
          continue;
        }
      } else {
        out.push_back(item);
        continue;
      }
      const auto parts = fhir::parse_reference(reference);
      if (parts.valid()) out.push_back({PathItem::Kind::reference, {}, std::string(parts.type), std::string(parts.id)});
    }
    return out;
  }

  static Collection of_type(const Collection& items, std::string_view type) {
    Collection out;
    for (const auto& item : items) {
      std::string_view item_type;
      if (item.kind == PathItem::Kind::reference) item_type = item.type;
      if (item.kind == PathItem::Kind::json && item.json.is_object()) fhir_resource_type(item.json, item_type);
      if (item_type == type) out.push_back(item);
    }
    return out;
  }

  static void fhir_resource_type(element value, std::string_view& type) {
    if (value["resourceType"].get(type) != simdjson::SUCCESS) type = {};
  }

  static Collection extension(const Collection& items, std::string_view url) {
    Collection out;
    for (const auto& item : items) {
      simdjson::dom::array extensions;
      if (item.kind != PathItem::Kind::json || !item.json.is_object() ||
          item.json["extension"].get(extensions) != simdjson::SUCCESS)
        continue;
      for (element candidate : extensions) {
        std::string_view candidate_url;
        if (candidate["url"].get(candidate_url) == simdjson::SUCCESS && candidate_url == url)
          out.push_back(json_item(candidate));
      }
    }
    return out;
  }

  std::string_view name() {
    skip_spaces();
    const auto start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    if (pos_ == start) fail("a name is missing at \"" + std::string(text_.substr(start)) + "\"");
    return text_.substr(start, pos_ - start);
  }

  std::string_view quoted() {
    skip_spaces();
    expect('\'');
    const auto end = text_.find('\'', pos_);
    if (end == std::string_view::npos) fail("an unterminated string");
    const auto value = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return value;
  }

  bool accept(char c) {
    skip_spaces();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void expect(char c) {
    if (!accept(c)) fail(std::string("\"") + c + "\" expected");
  }

  void skip_spaces() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  [[noreturn]] void fail(const std::string& why) const {
    throw std::invalid_argument("prefetch token \"" + std::string(text_) + "\": " + why);
  }

  std::string_view text_;
  const PrefetchScope& scope_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<PathItem> evaluate_fhirpath(std::string_view expression, const PrefetchScope& scope) {
  return Evaluator(expression, scope).evaluate();
}

}  // namespace crdex::hooks::detail
