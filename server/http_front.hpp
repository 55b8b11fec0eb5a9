#pragma once
// The Pistache front end: routes HTTP requests to the engine and writes its
// answers. It owns no CDS logic; it checks method, path, media type and size,
// and counts calls in flight so that shutdown can drain them.

#include <pistache/http.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api_module.hpp"
#include "route_table.hpp"
#include "access_gate.hpp"
#include "rate_limiter.hpp"
#include "crdex/hooks/audit_log.hpp"
#include "called_url.hpp"
#include "client_auth.hpp"
#include "crdex/hooks/engine.hpp"
#include "metrics.hpp"
#include "worker_pool.hpp"

namespace crdex::server {

// Shared by every copy of the handler (Pistache clones it per worker thread).
struct FrontState {
  std::shared_ptr<hooks::Engine> engine;
  // Endpoints beside /cds-services (rules API, ...); their routes go into
  // `routes` with the services' own.
  std::vector<std::shared_ptr<const ApiModule>> modules;
  // Every endpoint: filled once by build_routes(), read-only while serving.
  RouteTable routes;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 32 << 10;  // request line and headers, on top of the body
  // Hook calls that may query the EHR's FHIR server run here, off the event
  // threads; nullptr runs every call inline.
  std::shared_ptr<WorkerPool> query_workers;
  // Every service call and its answer is queued here (nullptr: no audit log).
  std::shared_ptr<hooks::AuditLog> audit;
  // --audit-bodies: keep request and response bodies (PHI) in the audit log;
  // otherwise each call is a compact record (fields, card origins, hashes).
  bool audit_bodies = false;
  // Calls in flight (inline and queued) beyond which new ones get 503 with
  // Retry-After rather than waiting without bound.
  int max_in_flight = 256;
  // Browser origins allowed to call crdex (CORS); exact matches of the
  // Origin header, e.g. "https://ehr.example.org". Empty: no CORS headers.
  std::vector<std::string> cors_origins;
  std::atomic<bool> draining{false};
  // CDS client authentication of service calls; null only when switched off
  // with --insecure-no-client-auth. `called_url` gives the expected `aud`.
  std::shared_ptr<const ClientAuthenticator> client_auth;
  CalledUrlPolicy called_url;
  // Every other policy (operators, access tokens, the modules' own tokens
  // recognised for 403): checked before the handler. Null: handlers only.
  std::shared_ptr<const AccessGate> gate;
  // Calls per minute per identified caller (--rate-limit); null: no limit.
  std::shared_ptr<RateLimiter> rate_limiter;
  // Answers, hook calls and refused credentials are counted here (nullptr: no metrics).
  std::shared_ptr<Metrics> metrics;

  // Puts the CDS services' routes (discovery, calls) and every module's into
  // `routes`. False when a route declares no policy or repeats another.
  bool build_routes();

  // Counts a call in; returns how many are in flight, this one included.
  int started();
  void finished();
  int in_flight();
  // From now on new calls get 503; waits until no call is in flight (its
  // answer written) or `timeout` passes. Returns true when all finished.
  bool drain(std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  int in_flight_ = 0;
};

class HttpFront : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(HttpFront)

  explicit HttpFront(std::shared_ptr<FrontState> state) : state_(std::move(state)) {}

  void onRequest(const Pistache::Http::Request& request, Pistache::Http::ResponseWriter response) override;

 private:
  // Every connection parses with crdex's size limits (request_size_gate.hpp).
  void onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;

  std::shared_ptr<FrontState> state_;
};

}  // namespace crdex::server
