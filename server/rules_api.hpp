#pragma once
// The payer rule publishing API (docs/api.md): /payers/{payer}/rules and its
// versions, rollback, :validate and :dry-run. Every call needs the payer's
// publisher token (Authorization: Bearer); every error is an OperationOutcome.

#include <pistache/http.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api_module.hpp"
#include "crdex/hooks/audit_log.hpp"
#include "crdex/hooks/rule_publisher.hpp"

namespace crdex::server {

class RulesApi final : public ApiModule {
 public:
  // `recorded`: the audit log, for dry runs against the last N recorded calls (may be null).
  explicit RulesApi(std::shared_ptr<hooks::RulePublisher> publisher, std::shared_ptr<hooks::AuditLog> recorded = nullptr)
      : publisher_(std::move(publisher)), recorded_(std::move(recorded)) {}

  // Every route needs the payer's publisher token. Publishing writes the
  // store and compiles the rules: every route runs on a worker.
  std::vector<Route> routes() const override;

 private:
  struct Caller {
    std::string payer;   // {payer} of the path, whose token was presented
    std::string author;  // recorded with a change
  };
  using Request = Pistache::Http::Request;
  ApiAnswer current(const Request& request, const Caller& caller, const PathParams& params) const;
  ApiAnswer publish(const Request& request, const Caller& caller, const PathParams& params) const;
  ApiAnswer versions(const Request& request, const Caller& caller, const PathParams& params) const;
  ApiAnswer version(const Request& request, const Caller& caller, const PathParams& params) const;
  ApiAnswer rollback(const Request& request, const Caller& caller, const PathParams& params) const;
  ApiAnswer validate(const Request& request, const Caller& caller, const PathParams& params) const;
  ApiAnswer dry_run(const Request& request, const Caller& caller, const PathParams& params) const;

  std::shared_ptr<hooks::RulePublisher> publisher_;
  std::shared_ptr<hooks::AuditLog> recorded_;
};

}  // namespace crdex::server
