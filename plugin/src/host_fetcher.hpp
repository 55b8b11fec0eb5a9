#pragma once
// Direct Query through the host: a fhir::FhirFetcher that hands each GET (and each
// CDex POST) to
// the host's crdex_fhir_transport_fn, so the EHR's own session, proxy and
// credentials carry it. The host function is called on the thread that called
// into the library, one request at a time.

#include "crdex/crdex.h"
#include "crdex/fhir/direct_query.hpp"

namespace crdex::plugin {

class HostFetcher final : public fhir::FhirFetcher {
 public:
  HostFetcher(crdex_fhir_transport_fn transport, void* user_data) : transport_(transport), user_data_(user_data) {}

  fhir::FetchReply get(std::string_view url, std::string_view access_token,
                       std::chrono::steady_clock::time_point deadline) const noexcept override;

  // CDex: POSTs `body` (a FHIR resource) to `url` through the host; the
  // reply's body is the server's answer (the created resource, or an
  // OperationOutcome).
  fhir::FetchReply post(std::string_view url, std::string_view access_token, std::string_view body) const noexcept;

 private:
  fhir::FetchReply perform(const char* method, std::string_view url, std::string_view access_token,
                           std::string_view body) const noexcept;

  crdex_fhir_transport_fn transport_;
  void* user_data_;
};

}  // namespace crdex::plugin
