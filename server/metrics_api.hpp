#pragma once
// GET /metrics: the Prometheus text exposition of metrics.hpp. Access policy
// `metrics`: a loopback peer (a Prometheus or node agent on the same host) or
// the operator's admin token (--admin-token-file) from anywhere. Behind a
// reverse proxy every peer is loopback, so the shipped nginx configuration
// does not forward /metrics (examples/deploy/nginx).

#include <memory>
#include <optional>

#include "admin_token.hpp"
#include "api_module.hpp"
#include "metrics.hpp"

namespace crdex::server {

// True for 127.0.0.0/8, ::1 and IPv4-mapped 127.x peers.
bool is_loopback_peer(const std::string& host);

class MetricsApi : public ApiModule {
 public:
  MetricsApi(std::shared_ptr<Metrics> metrics, std::optional<AdminToken> admin_token)
      : metrics_(std::move(metrics)), admin_token_(std::move(admin_token)) {}
  std::vector<Route> routes() const override;

 private:
  std::shared_ptr<Metrics> metrics_;
  std::optional<AdminToken> admin_token_;
};

}  // namespace crdex::server
