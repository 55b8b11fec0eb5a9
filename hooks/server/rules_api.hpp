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

#include "rule_publisher.hpp"

namespace crdex::server {

struct ApiAnswer {
  int status = 200;
  std::string body;
  bool fhir_json = false;  // OperationOutcome bodies
  std::vector<std::pair<std::string, std::string>> headers;
};

class RulesApi {
 public:
  static constexpr std::string_view kPrefix = "/payers/";

  explicit RulesApi(std::shared_ptr<RulePublisher> publisher) : publisher_(std::move(publisher)) {}

  // `path` is the request path without a trailing slash.
  ApiAnswer handle(const Pistache::Http::Request& request, std::string_view path) const;

 private:
  std::shared_ptr<RulePublisher> publisher_;
};

}  // namespace crdex::server
