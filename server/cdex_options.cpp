#include "cdex_options.hpp"

namespace crdex::server {

void add_cdex_options(CLI::App& app, CdexOptions& o) {
  const auto* group = "CDex (task-based data requests, docs/cdex.md)";
  app.add_option("--cdex-ehr-fhir", o.ehr_fhir,
                 "act as a CDex Data Source answering from this FHIR server (the EHR's)")
      ->group(group);
  app.add_option("--cdex-ehr-token-file", o.ehr_token_file, "file holding crdex's access token at --cdex-ehr-fhir")
      ->group(group)
      ->check(CLI::ExistingFile);
  app.add_option("--cdex-code-map", o.code_map_file,
                 "JSON file mapping data-code requests (\"SYSTEM|CODE\" or \"CODE\") to searches with {patient}")
      ->group(group)
      ->check(CLI::ExistingFile);
  app.add_option("--cdex-review", o.review, "which requests wait on-hold for a person: none, all, untrusted")
      ->group(group)
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "all", "untrusted"}));
  app.add_option("--cdex-trusted-requester", o.trusted_requesters,
                 "SYSTEM|VALUE of a requester whose requests skip review under --cdex-review untrusted; repeatable")
      ->group(group);
  app.add_option("--cdex-task-lease-seconds", o.task_lease_seconds,
                 "how long a replica's claim on a Task it fulfils lasts without renewal; with replicas on one "
                 "--store PostgreSQL, another fulfils the Task of one that died after it")
      ->group(group)
      ->capture_default_str()
      ->check(CLI::Range(1, 86'400));
  app.add_option("--cdex-client-token-file", o.client_token_file,
                 "file holding the bearer token Data Consumers must send to /fhir/Task (default: none needed)")
      ->group(group)
      ->check(CLI::ExistingFile);
  app.add_option("--cdex-admin-token-file", o.admin_token_file,
                 "file holding the bearer token of the /cdex/ endpoints (review, consumer requests); "
                 "without it they answer 403")
      ->group(group)
      ->check(CLI::ExistingFile);
  app.add_option("--cdex-consumer-token-file", o.consumer_token_file,
                 "file holding the bearer token crdex sends to Data Sources")
      ->group(group)
      ->check(CLI::ExistingFile);
  app.add_option("--cdex-poll-first-ms", o.poll_first_ms, "first poll of a Task, after its creation")
      ->group(group)
      ->capture_default_str()
      ->check(CLI::Range(1, 86'400'000));
  app.add_option("--cdex-poll-early-ms", o.poll_early_ms, "poll interval during the early window")
      ->group(group)
      ->capture_default_str()
      ->check(CLI::Range(1, 86'400'000));
  app.add_option("--cdex-poll-early-window-ms", o.poll_early_window_ms, "how long the early interval applies")
      ->group(group)
      ->capture_default_str()
      ->check(CLI::Range(0, 86'400'000));
  app.add_option("--cdex-poll-late-ms", o.poll_late_ms, "poll interval after the early window")
      ->group(group)
      ->capture_default_str()
      ->check(CLI::Range(1, 86'400'000));
  app.add_option("--cdex-signature-agreements", o.signature_agreements_file,
                 "JSON file naming the providers whose $submit-attachment content must be a signed Bundle, "
                 "and the PEM trust anchors their x5c chains must reach (docs/cdex.md, Signatures)")
      ->group(group)
      ->check(CLI::ExistingFile);
  app.add_option("--cdex-source-signature-agreements", o.source_signature_agreements_file,
                 "JSON file naming the Data Consumers whose /fhir/Task reads must be signed, and the key that signs "
                 "them; a read crdex cannot sign is refused with 400 business-rule (docs/cdex.md, Signed reads)")
      ->group(group)
      ->check(CLI::ExistingFile);
  app.add_option("--cdex-query-timeout-ms", o.query_timeout_ms,
                 "how long one CDex request to a FHIR server (EHR or Data Source) may take")
      ->group(group)
      ->capture_default_str()
      ->check(CLI::Range(1, 600'000));
}

}  // namespace crdex::server
