#pragma once
// A FHIR Bulk Data Access 2.0 client (export.md) on the FHIR asynchronous
// request pattern: kick-off (`Prefer: respond-async`, 202 + Content-Location),
// status polls (202 with Retry-After / X-Progress, then 200 with the
// manifest), the manifest, NDJSON files streamed to disk, and DELETE to
// cancel. Each call is one HTTP exchange and returns what happened; the
// schedule (when to poll again, what to persist) is the caller's, so a job
// can be resumed after a restart from its status URL alone.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"

namespace crdex::fhir {

struct BulkServer {
  std::string base_url;      // the FHIR server's base, e.g. https://payer.example.org/fhir
  std::string access_token;  // "" when the server needs none
  bool allow_plain_http = false;  // http:// only to loopback unless set
  std::chrono::milliseconds timeout{30'000};  // per exchange (a file download: per file)
};

struct BulkExportRequest {
  std::string group_id;            // Group/[id]/$export; "" = system-level [base]/$export
  std::vector<std::string> types;  // _type; empty = all the server offers
  std::string since;               // _since (FHIR instant); "" = everything
  // "" = Bulk Data's $export; otherwise the Da Vinci operation
  // Group/[id]/$davinci-data-export with this exportType (davinci_data_export.hpp).
  std::string export_type{};
};

// What a kick-off or a status poll answered.
struct BulkStep {
  enum class Kind {
    accepted,     // kick-off: 202, status_url set
    in_progress,  // poll: 202 (retry_after, progress)
    complete,     // poll: 200, manifest_json set
    retry_later,  // 429 (or 503 with Retry-After): ask again after retry_after
    failed,       // 4xx/5xx with its OperationOutcome, or no answer
  };
  Kind kind = Kind::failed;
  std::string status_url;
  std::optional<std::chrono::seconds> retry_after;
  std::string progress;       // X-Progress
  std::string manifest_json;  // the 200 body
  Error error;                // when failed; error.message carries the server's diagnostics
};

// The kick-off URL for `request` (query escaped), e.g. base/Group/g1/$export?_type=Patient,Coverage,
// or base/Group/g1/$davinci-data-export?exportType=hl7.fhir.us.davinci-atr&_type=...
std::string bulk_kick_off_url(const BulkServer& server, const BulkExportRequest& request);

// A request check_davinci_export refuses fails here without a call.
BulkStep bulk_kick_off(const BulkServer& server, const BulkExportRequest& request);
BulkStep bulk_poll(const BulkServer& server, const std::string& status_url);
// DELETE on the status URL: 202 (or 404, already gone) is success.
Result<bool> bulk_cancel(const BulkServer& server, const std::string& status_url);

struct BulkFileRef {
  std::string type;
  std::string url;
  std::optional<int64_t> count;
};

struct BulkManifest {
  std::string transaction_time;
  std::string request;
  bool requires_access_token = false;
  std::vector<BulkFileRef> output;
  std::vector<BulkFileRef> error;  // NDJSON of OperationOutcomes
  std::vector<BulkFileRef> deleted;
};

// Checks the fields export.md requires (transactionTime, request,
// requiresAccessToken, output[].type/url, error) and reads them.
Result<BulkManifest> parse_bulk_manifest(std::string_view json);

struct DownloadedFile {
  std::filesystem::path path;
  int64_t resources = 0;  // lines holding a resource
  int64_t bytes = 0;
};

// Streams `file.url` into `path` (never holding the file in memory), checking
// each line as it arrives: one JSON resource per line, all of `file.type`.
// The token goes along only when the manifest requires it. On any failure
// the partial file is removed.
Result<DownloadedFile> bulk_download(const BulkServer& server, const BulkFileRef& file, bool send_token,
                                     const std::filesystem::path& path);

}  // namespace crdex::fhir
