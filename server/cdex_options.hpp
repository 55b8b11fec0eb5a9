#pragma once
// crdex-server's CDex options (task-based approach, both roles): what turns
// the Data Source on, its review policy and code map, the consumer's polling
// cadence, and the tokens of the CDex endpoints.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace crdex::server {

struct CdexOptions {
  // Data Source: on when ehr_fhir is set.
  std::string ehr_fhir;         // the EHR's FHIR base the requested data comes from
  std::string ehr_token_file;   // crdex's access token at that server
  std::string code_map_file;    // JSON {"SYSTEM|CODE": "Type?patient={patient}&...", ...}
  std::string review = "none";  // none | all | untrusted
  std::vector<std::string> trusted_requesters;  // SYSTEM|VALUE, for review "untrusted"
  int task_lease_seconds = 60;  // a worker's claim on a Task it fulfils, without renewal
  std::string client_token_file;  // bearer token Data Consumers must send to [base]/Task (none: open)
  // Both roles: the review and consumer endpoints under /cdex/ need this token.
  std::string admin_token_file;
  // Data Consumer.
  std::string consumer_token_file;  // bearer token sent to Data Sources
  int poll_first_ms = 60'000;
  int poll_early_ms = 300'000;
  int poll_early_window_ms = 1'800'000;
  int poll_late_ms = 3'600'000;
  int query_timeout_ms = 30'000;
  // Payer: which providers must sign their attachments, and the trust anchors
  // (JSON, crdex/cdex/signature_agreements.hpp); none: no signature checked.
  std::string signature_agreements_file;
  // Data Source: which Data Consumers' reads must be signed, and the key to
  // sign them with (JSON, crdex/cdex/signed_reads.hpp); none: nothing signed.
  std::string source_signature_agreements_file;
};

void add_cdex_options(CLI::App& app, CdexOptions& options);

}  // namespace crdex::server
