#include "route_table.hpp"

#include "api_helpers.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

std::vector<std::string_view> route_segments(std::string_view path) {
  std::vector<std::string_view> segments;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) return segments;
  size_t start = 0;
  while (true) {
    const auto slash = path.find('/', start);
    segments.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Fills `params` when `pattern` matches `path` segment by segment.
bool pattern_matches(const std::vector<std::string_view>& pattern, const std::vector<std::string_view>& path,
                     PathParams& params) {
  if (pattern.size() != path.size()) return false;
  PathParams found;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (is_parameter(pattern[i])) {
      if (path[i].empty()) return false;
      found.add(pattern[i].substr(1, pattern[i].size() - 2), path[i]);
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

// True when `a` is more specific than `b` (both match the same path): at the
// first segment where one is a literal and the other a parameter, the literal.
bool more_specific(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const bool a_param = is_parameter(a[i]), b_param = is_parameter(b[i]);
    if (a_param != b_param) return !a_param;
  }
  return false;
}

}  // namespace

std::string_view access_policy_name(AccessPolicy policy) {
  switch (policy) {
    case AccessPolicy::undeclared: return "undeclared";
    case AccessPolicy::public_access: return "public";
    case AccessPolicy::cds_client: return "CDS client JWT";
    case AccessPolicy::payer_publisher: return "payer publisher token";
    case AccessPolicy::admin: return "admin token";
    case AccessPolicy::smart_launch: return "SMART launch token";
    case AccessPolicy::data_consumer: return "data consumer token";
    case AccessPolicy::provider_system: return "provider system access token";
    case AccessPolicy::operator_attachments: return "operator (attachments)";
    case AccessPolicy::operator_bulk: return "operator (bulk)";
    case AccessPolicy::metrics: return "loopback or admin token";
  }
  return "undeclared";
}

std::string PathParams::get(std::string_view name) const {
  for (const auto& [key, value] : values_)
    if (key == name) return std::string(value);
  return {};
}

bool RouteTable::add(Route route) {
  if (route.policy == AccessPolicy::undeclared || !route.handler || route.pattern.empty() ||
      route.pattern.front() != '/')
    return false;
  for (const auto& existing : routes_)
    if (existing.method == route.method && existing.pattern == route.pattern) return false;
  routes_.push_back(std::move(route));
  return true;
}

RouteTable::Match RouteTable::match(Http::Method method, std::string_view path) const {
  const auto wanted = route_segments(path);
  // The most specific pattern that matches the path, then the method among
  // the routes with exactly that pattern.
  const Route* best = nullptr;
  std::vector<std::string_view> best_segments;
  for (const auto& route : routes_) {
    const auto segments = route_segments(route.pattern);
    PathParams ignored;
    if (!pattern_matches(segments, wanted, ignored)) continue;
    if (!best || more_specific(segments, best_segments)) {
      best = &route;
      best_segments = segments;
    }
  }
  Match found;
  if (!best) {
    found.refusal = not_found_answer(path);
    return found;
  }
  std::string allowed;
  for (const auto& route : routes_) {
    if (route.pattern != best->pattern) continue;
    if (route.method == method) {
      found.route = &route;
      pattern_matches(best_segments, wanted, found.params);
      return found;
    }
    if (!allowed.empty()) allowed += ", ";
    allowed += Http::methodString(route.method);
  }
  found.refusal = method_not_allowed_answer(allowed);
  return found;
}

ApiAnswer method_not_allowed_answer(const std::string& allowed) {
  ApiAnswer answer = problem_answer(405, fhir::IssueType::not_supported, "this resource only accepts " + allowed);
  answer.headers.emplace_back("Allow", allowed);
  return answer;
}

ApiAnswer not_found_answer(std::string_view path) {
  return problem_answer(404, fhir::IssueType::not_found, "no such resource: " + std::string(path));
}

}  // namespace crdex::server
