#pragma once
// HostBinding: the engine's copy of the host's crdex_host, read according to
// the struct_size / struct_version the host declared (append-only structs:
// a field is read only when the host's struct is long enough to have it).

#include <string_view>

#include "crdex/crdex.h"
#include "crdex/fhir/result.hpp"

namespace crdex::plugin {

class HostBinding {
 public:
  // No host: no callbacks.
  HostBinding() = default;

  // Checks and copies `host`; an Error names the bad size or version.
  static fhir::Result<HostBinding> from(const crdex_host* host);

  // Sends one line to the host's log callback, if it gave one.
  void log(crdex_log_level level, std::string_view message) const noexcept;

  // Stored for Direct Query; ABI 1.0 never calls it (see crdex.h).
  crdex_fhir_transport_fn fhir_transport() const { return fhir_transport_; }
  void* user_data() const { return user_data_; }

 private:
  void* user_data_ = nullptr;
  crdex_log_fn log_ = nullptr;
  crdex_fhir_transport_fn fhir_transport_ = nullptr;
};

}  // namespace crdex::plugin
