#pragma once
// The server's one route table: every endpoint crdex-server answers is a row
// of method + path pattern + access policy + handler. The front end asks the
// table once per request; 404 (no pattern matches the path) and 405 (the path
// matches, the method does not; with `Allow`) are built here and nowhere else.
//
// Patterns are '/'-separated segments; a segment is a literal ("cds-services",
// "rules:validate") or a parameter in braces ("{id}") that matches one
// non-empty segment. When several patterns match a path, the most specific
// wins: at the first segment where they differ, a literal beats a parameter
// (so POST-only /attachments/claims answers GET with 405, not with the
// /attachments/{id} reader).
//
// Every route declares who may call it (AccessPolicy), and the front end's
// AccessGate (access_gate.hpp) enforces it before the handler runs: no
// credential -> 401, a credential of another kind or without the role or
// scope the route needs -> 403. Handlers that own a token (publisher, launch,
// the legacy admin and CDex tokens) still compare it themselves. A unit test
// walks the table of a configured server and fails for a route without a
// policy; an integration test walks it for 401 and 403 (tests/server).

#include <pistache/http.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api_answer.hpp"

namespace crdex::server {

// Who may call a route.
enum class AccessPolicy {
  undeclared,       // never valid: the table refuses it (a route must say who may call it)
  public_access,    // anyone (discovery, published keys, health)
  cds_client,       // a CDS client's JWT (CDS Hooks §Trusting CDS Clients), checked by the front end
  payer_publisher,  // the payer's publisher token (rules API)
  admin,            // the operator's admin token (--admin-token-file, --cdex-admin-token-file)
  smart_launch,     // the authorization server's launch-API token
  data_consumer,    // a CDex Data Consumer: a SMART Backend Services access token with
                    // system/Task.<r|s|c>, or the static --cdex-client-token-file
  provider_system,  // a provider's system: a SMART Backend Services access token with
                    // system/DocumentReference.<c|r|s> ($submit-attachment, attachment reads)
  operator_attachments,  // an operator (--operators) with role "attachments": outbox, claims
  operator_bulk,         // an operator with role "bulk": Bulk export jobs
  metrics,          // a loopback peer, or the operator's admin token (/metrics; metrics_api.hpp)
};

std::string_view access_policy_name(AccessPolicy policy);

// Who the front end let in, as far as it checked: set before the handler runs.
struct Caller {
  // "operator", "access_token"; "" when the route is public or its handler
  // compares its own token (publisher, launch, legacy admin / CDex tokens).
  std::string kind;
  std::string name;                 // the operator's name, or the token's client_id (else sub, iss)
  std::vector<std::string> payers;  // an operator's payers (admin views); empty: every payer
};

// The values of a pattern's {parameters}, by name, and the caller.
class PathParams {
 public:
  void add(std::string_view name, std::string_view value) { values_.emplace_back(name, value); }
  // The value of {name}; "" when the pattern has no such parameter.
  std::string get(std::string_view name) const;
  const Caller& caller() const { return caller_; }
  void set_caller(Caller caller) { caller_ = std::move(caller); }

 private:
  Caller caller_;
  // Owned: a handler may run on a worker after Pistache reused the request's buffer.
  std::vector<std::pair<std::string, std::string>> values_;
};

using RouteHandler = std::function<ApiAnswer(const Pistache::Http::Request&, const PathParams&)>;

struct Route {
  Pistache::Http::Method method = Pistache::Http::Method::Get;
  std::string pattern;  // "/cds-services/{id}/feedback"
  AccessPolicy policy = AccessPolicy::undeclared;
  RouteHandler handler;
  // True when the handler may block (store writes, outgoing HTTP): the front
  // end runs it on the worker pool rather than on a Pistache event thread.
  bool blocking = false;
  // Set (on a route that is not `blocking`): the handler blocks only for some
  // requests (a hook call that must query the EHR's FHIR server). The front
  // end first runs this on the event thread: it answers without blocking, or
  // gives nullopt, and then the handler runs on the worker pool.
  std::function<std::optional<ApiAnswer>(const Pistache::Http::Request&, const PathParams&)> try_without_blocking;
};

class RouteTable {
 public:
  // Adds a route; false (and nothing added) when it declares no policy, has
  // no handler, or repeats a method + pattern already in the table.
  bool add(Route route);

  struct Match {
    const Route* route = nullptr;  // null: `refusal` is the answer
    PathParams params;
    ApiAnswer refusal;  // 404, or 405 with Allow
  };
  // `path` without a trailing '/' (except "/" itself).
  Match match(Pistache::Http::Method method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// The 405 and 404 answers, for the table (and its tests) only.
ApiAnswer method_not_allowed_answer(const std::string& allowed);
ApiAnswer not_found_answer(std::string_view path);

}  // namespace crdex::server
