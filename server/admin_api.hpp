#pragma once
// The administrators' API (docs/api.md): the audit log of hook calls
// (GET /admin/audit by hookInstance, patient, payer and time range, paged;
// GET /admin/audit/stats) and the feedback summary per payer rule
// (GET /admin/feedback). Every call needs the admin token (Authorization:
// Bearer; without --admin-token-file the API answers 403) or an operator with
// the "admin" role (--operators). An operator limited to some payers sees
// only their audit and feedback: ?payer= must name one of them (it may be
// left out when there is only one), and the all-payer stats are refused.

#include <pistache/http.h>

#include <memory>
#include <optional>
#include <string_view>

#include "admin_token.hpp"
#include "api_module.hpp"
#include "crdex/hooks/audit_log.hpp"
#include "crdex/hooks/feedback_store.hpp"

namespace crdex::server {

class AdminApi final : public ApiModule {
 public:
  AdminApi(std::optional<AdminToken> token, std::shared_ptr<hooks::AuditLog> audit,
           std::shared_ptr<hooks::FeedbackStore> feedback)
      : token_(std::move(token)), audit_(std::move(audit)), feedback_(std::move(feedback)) {}

  // GET /admin/audit, /admin/audit/stats, /admin/feedback: the admin token.
  // They read SQLite, which may wait on the writer: not on an event thread.
  std::vector<Route> routes() const override;

 private:
  // The refusal when the request does not carry the admin token.
  std::optional<ApiAnswer> refuse_unless_admin(const Pistache::Http::Request& request) const;
  // `payer`: the payer an operator limited to payers chose ("" for the rest).
  ApiAnswer audit_search(const Pistache::Http::Request& request, const std::string& payer) const;
  ApiAnswer audit_stats() const;
  ApiAnswer feedback_summary(const Pistache::Http::Request& request, const std::string& payer) const;

  std::optional<AdminToken> token_;
  std::shared_ptr<hooks::AuditLog> audit_;
  std::shared_ptr<hooks::FeedbackStore> feedback_;
};


}  // namespace crdex::server
