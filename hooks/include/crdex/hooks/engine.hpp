#pragma once
// Engine: the one entry point both faces use. crdex-server turns HTTP into
// these calls; the plugin (libcrdex.so) turns C calls into them. Neither face
// holds CDS logic of its own.

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/hooks/prefetch_fill.hpp"
#include "crdex/hooks/smart_link_launcher.hpp"

namespace crdex::hooks {

// What a service call answers: an HTTP-style status (200, or the 4xx the CDS
// Hooks and CRD specifications name) and a JSON body — the CDS Hooks response
// on 200, a FHIR OperationOutcome otherwise.
struct ServiceResponse {
  int status = 200;
  std::string body;
};

class Engine {
 public:
  // `fill` governs how prefetch keys the EHR did not send are fetched from
  // its FHIR server (Direct Query).
  explicit Engine(std::shared_ptr<const config::RuleCatalog> rules, PrefetchFillOptions fill = {});

  // GET /cds-services.
  std::string discovery() const;

  // POST /cds-services/{id} with `body`. Never throws: internal failures
  // become a 500 OperationOutcome whose text reveals nothing internal.
  ServiceResponse call_service(std::string_view service_id, std::string_view body) const noexcept;

  // Publishes a new rule catalog; calls already running finish on the old one.
  void replace_rules(std::shared_ptr<const config::RuleCatalog> rules);
  std::shared_ptr<const config::RuleCatalog> rules() const { return rules_.load(); }

  // Lets requests ask for the rule evaluation trace (off unless configured).
  void allow_rule_trace(bool allowed) { trace_allowed_ = allowed; }

  // Lets requests ask for their cards' SMART links as launch URLs
  // ("crdex-smart-launch"); set once before serving.
  void set_smart_link_launcher(std::shared_ptr<const SmartLinkLauncher> launcher) {
    smart_links_ = std::move(launcher);
  }

 private:
  ServiceResponse evaluate(std::string_view service_id, std::string_view body) const;

  std::atomic<std::shared_ptr<const config::RuleCatalog>> rules_;
  PrefetchFillOptions fill_;
  std::atomic<bool> trace_allowed_{false};
  std::shared_ptr<const SmartLinkLauncher> smart_links_;
};

}  // namespace crdex::hooks
