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
  static constexpr std::string_view kPrefix = "/payers/";

  // `recorded`: the audit log, for dry runs against the last N recorded calls (may be null).
  explicit RulesApi(std::shared_ptr<RulePublisher> publisher, std::shared_ptr<hooks::AuditLog> recorded = nullptr)
      : publisher_(std::move(publisher)), recorded_(std::move(recorded)) {}

  bool serves(std::string_view path) const override { return path.starts_with(kPrefix); }
  ApiAnswer handle(const Pistache::Http::Request& request, std::string_view path) const override;
  // Publishing writes the store and compiles the rules: not on an event thread.
  bool blocking() const override { return true; }

 private:
  std::shared_ptr<RulePublisher> publisher_;
  std::shared_ptr<hooks::AuditLog> recorded_;
};

}  // namespace crdex::server
