#pragma once
// When a CDex Data Consumer polls a Task (CDex task-based approach, Polling;
// CDX-08): the first time one minute after it was created, then no more often
// than every 5 minutes during the first 30 minutes, then no more often than
// hourly. Every figure is configurable so that tests run in milliseconds.

#include <chrono>

namespace crdex::fhir::cdex {

struct PollingCadence {
  std::chrono::milliseconds first{std::chrono::minutes(1)};
  std::chrono::milliseconds early_interval{std::chrono::minutes(5)};
  std::chrono::milliseconds early_window{std::chrono::minutes(30)};
  std::chrono::milliseconds late_interval{std::chrono::hours(1)};
};

// How long after the Task's creation the next poll is due, given that the
// latest poll (if any) happened `last_poll` after creation. Pure: the caller
// owns the clock.
std::chrono::milliseconds next_poll_offset(const PollingCadence& cadence,
                                           std::chrono::milliseconds last_poll_offset, bool polled_before);

}  // namespace crdex::fhir::cdex
