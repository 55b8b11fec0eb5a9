#include "host_binding.hpp"

#include <cstddef>
#include <string>

namespace crdex::plugin {

namespace {

// Version 1 ends after fhir_transport; later versions append after it, so a
// version-1 host struct is exactly this long however the header grows.
constexpr size_t kHostVersion1Size = offsetof(crdex_host, fhir_transport) + sizeof(crdex_fhir_transport_fn);

fhir::Error bad_struct(std::string message) {
  return {400, fhir::IssueType::invalid, std::move(message), "crdex_host"};
}

}  // namespace

fhir::Result<HostBinding> HostBinding::from(const crdex_host* host) {
  if (!host) return HostBinding{};
  if (host->struct_version == 0 || host->struct_version > CRDEX_HOST_VERSION)
    return bad_struct("crdex_host.struct_version is " + std::to_string(host->struct_version) +
                      "; this libcrdex reads versions 1 to " + std::to_string(CRDEX_HOST_VERSION));
  if (host->struct_size < kHostVersion1Size)
    return bad_struct("crdex_host.struct_size is " + std::to_string(host->struct_size) + "; version " +
                      std::to_string(host->struct_version) + " needs at least " + std::to_string(kHostVersion1Size) +
                      " bytes (set it to sizeof(crdex_host))");
  HostBinding binding;
  binding.user_data_ = host->user_data;
  binding.log_ = host->log;
  binding.fhir_transport_ = host->fhir_transport;
  return binding;
}

void HostBinding::log(crdex_log_level level, std::string_view message) const noexcept {
  if (!log_) return;
  try {
    const std::string line(message);  // the callback gets a NUL-terminated copy
    log_(user_data_, level, line.c_str(), line.size());
  } catch (...) {
    // Logging must never turn a call into a failure.
  }
}

}  // namespace crdex::plugin
