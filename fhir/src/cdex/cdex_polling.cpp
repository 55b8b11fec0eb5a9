#include "crdex/fhir/cdex_polling.hpp"

namespace crdex::fhir::cdex {

std::chrono::milliseconds next_poll_offset(const PollingCadence& cadence, std::chrono::milliseconds last_poll_offset,
                                           bool polled_before) {
  if (!polled_before) return cadence.first;
  // A poll 5 minutes later is only early-window polling when it still falls
  // inside the window; otherwise the hourly limit already applies to it.
  const auto early = last_poll_offset + cadence.early_interval;
  if (early <= cadence.early_window) return early;
  return last_poll_offset + cadence.late_interval;
}

}  // namespace crdex::fhir::cdex
