#include "crdex/smart/scopes.hpp"

#include <cctype>

namespace crdex::smart {

namespace {

fhir::Error bad_scope(std::string_view scope, std::string_view why) {
  return fhir::Error{400, fhir::IssueType::invalid, "scope \"" + std::string(scope) + "\": " + std::string(why),
                     "scope"};
}

bool is_resource_type(std::string_view type) {
  if (type == "*") return true;
  if (type.empty() || !std::isupper(static_cast<unsigned char>(type.front()))) return false;
  for (char c : type)
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  return true;
}

// "cruds" letters, each at most once and in that order.
bool is_v2_permission(std::string_view permissions) {
  static constexpr std::string_view kOrder = "cruds";
  size_t next = 0;
  for (char c : permissions) {
    const auto at = kOrder.find(c, next);
    if (at == std::string_view::npos) return false;
    next = at + 1;
  }
  return !permissions.empty();
}

}  // namespace

fhir::Result<std::string> normalize_scope(std::string_view scope) {
  if (scope == "launch" || scope == "openid" || scope == "fhirUser" || scope == "profile" ||
      scope == "offline_access" || scope == "online_access")
    return std::string(scope);
  if (scope.starts_with("launch/")) {
    const auto type = scope.substr(7, scope.find('?') == std::string_view::npos ? std::string_view::npos
                                                                              : scope.find('?') - 7);
    if (type.empty()) return bad_scope(scope, "launch/ needs a lower-case resource type");
    for (char c : type)
      if (!std::islower(static_cast<unsigned char>(c))) return bad_scope(scope, "launch/<type> is lower case");
    return std::string(scope);
  }
  const auto slash = scope.find('/');
  if (slash == std::string_view::npos) return bad_scope(scope, "not a SMART scope");
  const auto context = scope.substr(0, slash);
  if (context != "patient" && context != "user" && context != "system")
    return bad_scope(scope, "the context must be patient, user or system");
  std::string_view rest = scope.substr(slash + 1);
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q);
    rest = rest.substr(0, q);
  }
  const auto dot = rest.find('.');
  if (dot == std::string_view::npos) return bad_scope(scope, "expected <Type>.<permissions>");
  const auto type = rest.substr(0, dot);
  const auto permissions = rest.substr(dot + 1);
  if (!is_resource_type(type)) return bad_scope(scope, "not a resource type or *");
  std::string v2;
  if (permissions == "read") v2 = "rs";
  else if (permissions == "write") v2 = "cud";
  else if (permissions == "*") v2 = "cruds";
  else if (is_v2_permission(permissions)) v2 = permissions;
  else return bad_scope(scope, "permissions are a subset of c, r, u, d, s in that order (or v1 read, write, *)");
  if (!query.empty() && v2 != permissions) return bad_scope(scope, "query parameters need v2 permissions");
  return std::string(context) + "/" + std::string(type) + "." + v2 + std::string(query);
}

fhir::Result<std::string> normalize_scopes(std::string_view scopes) {
  std::string out;
  size_t start = 0;
  while (start < scopes.size()) {
    const auto end = std::min(scopes.find(' ', start), scopes.size());
    if (end > start) {
      auto one = normalize_scope(scopes.substr(start, end - start));
      if (!one) return one.error();
      if (!out.empty()) out += ' ';
      out += *one;
    }
    start = end + 1;
  }
  if (out.empty()) return fhir::Error{400, fhir::IssueType::required, "no scope requested", "scope"};
  return out;
}

}  // namespace crdex::smart
