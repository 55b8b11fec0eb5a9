#pragma once
// A real FHIR R4 server for the tests (tests/fhir-server: Medplum's FHIR router
// over its in-memory repository, under Node) on 127.0.0.1:0. The constructor
// returns once it listens; the destructor stops it. Its /$admin routes seed
// data, set the page size, inject faults and show the requests it received.

#include <string>

#include "support/node_process.hpp"

namespace crdex::test {

class FhirServerProcess {
 public:
  FhirServerProcess();

  const std::string& base_url() const { return node_.url(); }  // http://127.0.0.1:PORT
  std::string fhir_url() const { return base_url() + "/fhir"; }

  // Stores every resource of a Bundle (or one resource) with its id.
  void seed(const std::string& resource_or_bundle) const;
  // Searches without _count answer `page_size` entries per page (0: all).
  void set_page_size(int page_size) const;
  // Any /$admin/config body, e.g. {"cacheReads":true} (see server.mjs).
  void admin_config(const std::string& config_json) const;
  // {"delayMs":N,"status":500,"reset":true,"match":"Medication?"}; "{}" clears.
  void set_fault(const std::string& fault_json) const;
  // Every FHIR request so far: [{"method","url","authorization","requestId"}] as JSON text.
  std::string request_log() const;

 private:
  void admin(const std::string& path, const std::string& body) const;

  NodeProcess node_;
};

// A TCP port on 127.0.0.1 where nothing listens (bound, then closed).
int dead_local_port();

}  // namespace crdex::test
