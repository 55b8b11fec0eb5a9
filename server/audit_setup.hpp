#pragma once
// The audit log as the command line configures it (--audit-queue,
// --audit-high-water, --audit-retention-days, --audit-max-bytes): audit.sqlite
// beside the rule store, or the PostgreSQL database replicas share, its
// writer reporting to the server's log. Refusals are logged; null means the
// server must not start.

#include <memory>

#include "crdex/fhir/store_location.hpp"
#include "crdex/hooks/audit_log.hpp"
#include "server_options.hpp"

namespace crdex::server {

std::shared_ptr<hooks::AuditLog> open_configured_audit_log(const ServerOptions& options,
                                                           const fhir::StoreLocation& store_location);

}  // namespace crdex::server
