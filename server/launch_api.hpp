#pragma once
// The SMART launch helper's endpoints (docs/smart.md), for the EHR and its
// authorization server:
//
//   POST /smart/launches          a launch context in, {launch, url, expiresAt} out (201)
//   POST /smart/launches:resolve  {"launch": id[, "clientId": c]} -> the context, once (then 404)
//
// Both need the authorization server's bearer token (--smart-launch-token);
// crdex keeps only its SHA-256 and compares in constant time. Contexts live
// in --data DIR/launches.sqlite, or with --store postgresql://... in the
// database replicas share (smart::LaunchStore).

#include <pistache/http.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "api_module.hpp"
#include "http_front.hpp"
#include "server_options.hpp"
#include "crdex/hooks/smart_link_launcher.hpp"
#include "crdex/smart/launch_store.hpp"

namespace crdex::server {

class LaunchApi final : public ApiModule {
 public:
  LaunchApi(std::shared_ptr<smart::LaunchStore> store, std::string_view token, std::chrono::seconds lifetime);

  // POST /smart/launches and /smart/launches:resolve, with the
  // authorization server's token; they write the launch store (on a worker).
  std::vector<Route> routes() const override;

 private:
  ApiAnswer create(const Pistache::Http::Request& request) const;
  ApiAnswer resolve(const Pistache::Http::Request& request) const;
  bool authorized(const Pistache::Http::Request& request) const;

  std::shared_ptr<smart::LaunchStore> store_;
  std::string token_hash_;
  std::chrono::seconds lifetime_;
};

// Turns the engine's SMART links into launches in the same store, when a
// request asks for it ("crdex-smart-launch": true in davinci-crd.configuration).
class StoreSmartLinkLauncher final : public hooks::SmartLinkLauncher {
 public:
  StoreSmartLinkLauncher(std::shared_ptr<smart::LaunchStore> store, std::chrono::seconds lifetime)
      : store_(std::move(store)), lifetime_(lifetime) {}
  fhir::Result<std::string> launch_url(const hooks::SmartLinkContext& context) const override;

 private:
  std::shared_ptr<smart::LaunchStore> store_;
  std::chrono::seconds lifetime_;
};

// With --smart-launch-token: opens --data DIR/launches.sqlite, registers the
// launch API and gives the engine its SMART link launcher. False (logged)
// when the token file or the store cannot be used.
bool configure_smart_launch(const ServerOptions& options, FrontState& state);

}  // namespace crdex::server
