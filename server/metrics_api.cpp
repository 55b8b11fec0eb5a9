#include "metrics_api.hpp"

#include "api_helpers.hpp"
#include "bearer_token.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

bool is_loopback_peer(const std::string& host) {
  return host.starts_with("127.") || host == "::1" || host.starts_with("::ffff:127.");
}

std::vector<Route> MetricsApi::routes() const {
  return {Route{Http::Method::Get, "/metrics", AccessPolicy::metrics,
                [this](const Http::Request& request, const PathParams&) {
                  const bool admin = admin_token_ && admin_token_->matches(bearer_token_of(request));
                  if (!admin && !is_loopback_peer(request.address().host())) {
                    ApiAnswer refused = problem_answer(
                        403, fhir::IssueType::security,
                        "metrics are served to loopback peers, or with the admin token from elsewhere");
                    refused.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"crdex-admin\"");
                    return refused;
                  }
                  return ApiAnswer{200, metrics_->scrape(), false,
                                   {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"},
                                    {"Cache-Control", "no-store"}}};
                },
                false, {}}};
}

}  // namespace crdex::server
