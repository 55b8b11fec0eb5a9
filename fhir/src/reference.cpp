#include "crdex/fhir/reference.hpp"

#include <cctype>

namespace crdex::fhir {

namespace {
bool looks_like_resource_type(std::string_view s) {
  if (s.empty() || !std::isupper(static_cast<unsigned char>(s.front()))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  return true;
}
}  // namespace

ReferenceParts parse_reference(std::string_view reference) {
  if (reference.empty() || reference.front() == '#' || reference.starts_with("urn:")) return {};
  // Drop a version suffix: .../Type/id/_history/3
  if (auto history = reference.find("/_history/"); history != std::string_view::npos)
    reference = reference.substr(0, history);
  while (!reference.empty() && reference.back() == '/') reference.remove_suffix(1);

  const auto last_slash = reference.rfind('/');
  if (last_slash == std::string_view::npos || last_slash == 0) return {};
  const auto id = reference.substr(last_slash + 1);
  const auto before = reference.substr(0, last_slash);
  const auto type_start = before.rfind('/');
  const auto type = type_start == std::string_view::npos ? before : before.substr(type_start + 1);
  if (!looks_like_resource_type(type) || id.empty()) return {};
  return {type, id};
}

std::string relative_reference(std::string_view type, std::string_view id) {
  std::string out;
  out.reserve(type.size() + id.size() + 1);
  out.append(type).push_back('/');
  out.append(id);
  return out;
}

}  // namespace crdex::fhir
