#include "fhir_route.hpp"

#include <algorithm>
#include <cctype>

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

std::vector<std::string_view> fhir_route_segments(std::string_view pattern) {
  std::vector<std::string_view> segments;
  size_t start = pattern.starts_with('/') ? 1 : 0;
  while (start <= pattern.size()) {
    const size_t end = std::min(pattern.find('/', start), pattern.size());
    if (end > start) segments.push_back(pattern.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

// FHIR resource type names are capitalised letters and digits ("Task", "DocumentReference").
bool fhir_names_resource_type(std::string_view segment) {
  return !segment.empty() && std::isupper(static_cast<unsigned char>(segment.front())) &&
         std::all_of(segment.begin(), segment.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

bool fhir_is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

std::string fhir_base_of(const std::vector<std::string_view>& segments, size_t end) {
  std::string base;
  for (size_t i = 0; i < end; ++i) base.append("/").append(segments[i]);
  return base;
}

std::optional<FhirRoute> fhir_operation_route(std::string base, std::string type, std::string_view segment,
                                              Http::Method method) {
  if (method != Http::Method::Post && method != Http::Method::Get) return std::nullopt;
  return FhirRoute{std::move(base), std::move(type), "", std::string(segment.substr(1))};
}

// What a method on [type], [type]/{id} or [type]/{id}/_history/{vid} is.
std::string fhir_type_interaction(Http::Method method, size_t rest, const std::vector<std::string_view>& after) {
  if (rest == 0) return method == Http::Method::Get ? "search-type" : method == Http::Method::Post ? "create" : "";
  if (!fhir_is_parameter(after[0])) return "";
  if (rest == 1) {
    if (method == Http::Method::Get) return "read";
    if (method == Http::Method::Put) return "update";
    if (method == Http::Method::Delete) return "delete";
    if (method == Http::Method::Patch) return "patch";
    return "";
  }
  if (after[1] != "_history" || method != Http::Method::Get) return "";
  if (rest == 2) return "history-instance";
  if (rest == 3 && fhir_is_parameter(after[2])) return "vread";
  return "";
}

}  // namespace

std::optional<FhirRoute> fhir_route_of(Http::Method method, std::string_view pattern) {
  const auto segments = fhir_route_segments(pattern);
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string_view segment = segments[i];
    const bool last = i + 1 == segments.size();
    if (segment.starts_with('$') && segment.size() > 1 && last)
      return fhir_operation_route(fhir_base_of(segments, i), "", segment, method);
    if (segment == "metadata" && last && method == Http::Method::Get)
      return FhirRoute{fhir_base_of(segments, i), "", "capabilities", ""};
    if (!fhir_names_resource_type(segment)) continue;
    const std::vector<std::string_view> after(segments.begin() + static_cast<std::ptrdiff_t>(i) + 1, segments.end());
    if (!after.empty() && after.back().starts_with('$')) {
      // [type]/$op or [type]/{id}/$op
      if (after.size() == 1 || (after.size() == 2 && fhir_is_parameter(after[0])))
        return fhir_operation_route(fhir_base_of(segments, i), std::string(segment), after.back(), method);
      return std::nullopt;
    }
    std::string interaction = fhir_type_interaction(method, after.size(), after);
    if (interaction.empty()) return std::nullopt;
    return FhirRoute{fhir_base_of(segments, i), std::string(segment), std::move(interaction), ""};
  }
  return std::nullopt;
}

std::vector<std::string> fhir_bases(const std::vector<Route>& routes) {
  std::vector<std::string> bases;
  for (const auto& route : routes) {
    const auto fhir = fhir_route_of(route.method, route.pattern);
    if (!fhir || fhir->interaction == "capabilities") continue;
    if (std::find(bases.begin(), bases.end(), fhir->base) == bases.end()) bases.push_back(fhir->base);
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

}  // namespace crdex::server
