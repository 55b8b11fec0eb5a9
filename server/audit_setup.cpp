#include "audit_setup.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

namespace crdex::server {

std::shared_ptr<hooks::AuditLog> open_configured_audit_log(const ServerOptions& options,
                                                           const fhir::StoreLocation& store_location) {
  if (options.audit_high_water >= options.audit_queue) {
    spdlog::critical("--audit-high-water ({}) must be below --audit-queue ({})", options.audit_high_water,
                     options.audit_queue);
    return nullptr;
  }
  hooks::AuditOptions audit_options;
  audit_options.queue_capacity = options.audit_queue;
  audit_options.high_water = options.audit_high_water;
  audit_options.retention = std::chrono::hours(24 * options.audit_retention_days);
  audit_options.max_bytes = options.audit_max_bytes;
  audit_options.report = [](bool error, const std::string& message) {
    if (error) spdlog::error("{}", message);
    else spdlog::info("{}", message);
  };
  auto opened = hooks::open_audit_log(store_location, audit_options);
  if (!opened) {
    spdlog::critical("{}", opened.error().message);
    return nullptr;
  }
  return std::move(opened).value();
}

}  // namespace crdex::server
