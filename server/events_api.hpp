#pragma once
// Provider events over HTTP (CDex P2, provider-initiated push; docs/cdex.md):
//   POST /events                      an event notification from the EHR (an
//                                     encounter discharged, a result final):
//                                     the payer's push rules plan what to send
//                                     (config/push_plan.hpp) and each push is
//                                     queued durably, once per idempotency key;
//                                     202 with what was queued, 200 when nothing
//                                     was asked for. A CDS client's credential.
//   GET  /events/push?state=          the queued, sent and failed pushes (operator, "attachments")
//   GET  /events/push/{id}            one push with every attempt
//   POST /events/push/{id}/retry      a failed push queued again (409 otherwise)
// The sender thread (cdex/push_sender.hpp) does the sending.

#include <functional>
#include <memory>

#include "api_module.hpp"
#include "crdex/cdex/push_sender.hpp"
#include "crdex/config/rule_catalog.hpp"

namespace crdex::server {

class EventsApi : public ApiModule {
 public:
  using Rules = std::function<std::shared_ptr<const config::RuleCatalog>()>;
  EventsApi(Rules rules, std::shared_ptr<cdex::PushSender> sender) : rules_(std::move(rules)), sender_(std::move(sender)) {}

  std::vector<Route> routes() const override;

 private:
  ApiAnswer take_event(const Pistache::Http::Request& request) const;
  ApiAnswer list(const Pistache::Http::Request& request) const;
  ApiAnswer read(const std::string& id) const;
  ApiAnswer retry(const std::string& id) const;

  Rules rules_;
  std::shared_ptr<cdex::PushSender> sender_;
};

}  // namespace crdex::server
