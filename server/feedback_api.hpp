#pragma once
// POST /cds-services/{id}/feedback (CDS Hooks 2.0 feedback): checked by
// hooks::read_feedback, stored durably before the 200 (FeedbackStore), and
// summarised per payer rule through the admin API.

#include <pistache/http.h>

#include <memory>
#include <string_view>

#include "api_module.hpp"
#include "crdex/hooks/feedback_store.hpp"

namespace crdex::server {

class FeedbackApi final : public ApiModule {
 public:
  explicit FeedbackApi(std::shared_ptr<hooks::FeedbackStore> store) : store_(std::move(store)) {}

  // POST /cds-services/{id}/feedback, from the CDS clients that call the
  // services (their JWT). Writes the store (a committed transaction before
  // answering): on a worker.
  std::vector<Route> routes() const override;

 private:
  ApiAnswer receive(const Pistache::Http::Request& request, const std::string& service_id) const;

  std::shared_ptr<hooks::FeedbackStore> store_;
};

}  // namespace crdex::server
