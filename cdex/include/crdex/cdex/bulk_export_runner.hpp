#pragma once
// Runs Bulk Data exports in the background, one thread for all jobs: kick-off,
// status polls on the server's cadence (Retry-After, clamped to
// [min_poll, max_poll]; exponential backoff from min_poll when the server
// gives none; the same for 429), then the files streamed to
// --data/exports/<job>/. Each step's outcome is committed to the job store
// before the next, so start() after a restart resumes every unfinished job.
//
// Replicas sharing one job store (PostgreSQL): a runner claims a job's lease
// (bulk_job_store.hpp) before each step and writes the step's outcome only
// while it holds it, so exactly one replica runs each job and no step runs
// on two replicas at once. A second thread renews the leases of the jobs this
// runner holds every third of the lease time (also while a long download is
// under way) and adopts unfinished jobs whose lease expired: a replica killed
// mid-job is replaced within the lease time plus a third. stop() releases its
// leases, so another replica (or the next start) takes over at once. A step
// must end within the lease time (polls do; downloads renew between files).
// A cancelled job is final: no claim revives it.
//
// With replicas, --data/exports/ must be shared storage mounted at the same
// path on every replica: a job's files are recorded with their paths, and
// any replica may serve them or finish the job.
//
// Access tokens are held in memory only (like Direct Query's): a job that
// needed one and outlived the process fails on resume with that reason.

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "crdex/cdex/bulk_job_store.hpp"
#include "crdex/cdex/outbound_token.hpp"
#include "crdex/fhir/bulk_export.hpp"

namespace crdex::cdex {

enum class BulkReportLevel { info, warning, error };

struct BulkExportOptions {
  std::chrono::milliseconds min_poll{1000};
  std::chrono::milliseconds max_poll{std::chrono::minutes(5)};
  bool allow_plain_http = false;
  int max_transient_failures = 5;  // polls in a row that got no answer (or a transient error)
  // Where the runner says what happened to a job (the face's log); may be empty.
  std::function<void(BulkReportLevel, const std::string&)> report;
  // When set, the token for each call to a job's server (configured per
  // destination, fetched when needed, so a resumed job gets a fresh one). A
  // job's own access_token, when given, is used instead.
  TokenFor token_for;
  // How long a claimed job is this runner's without renewal (crdex-server's
  // --job-lease-seconds); adoption is checked every third of it.
  std::chrono::milliseconds lease{std::chrono::seconds(30)};
  // Who holds the leases, for the store and the logs; empty: a random id
  // (one per runner, so a restarted process is a new holder).
  std::string holder{};
};

struct BulkExportStart {
  std::string fhir_server;
  std::string group_id;
  std::vector<std::string> types;
  std::string since;
  std::string access_token;
  // "" for $export; hl7.fhir.us.davinci-atr for an ATR member attribution
  // list ($davinci-data-export; _type must include Group, Patient, Coverage).
  std::string export_type{};
};

class BulkExportRunner {
 public:
  BulkExportRunner(std::shared_ptr<BulkJobStore> store, std::filesystem::path files_dir, BulkExportOptions options);
  ~BulkExportRunner();
  BulkExportRunner(const BulkExportRunner&) = delete;
  BulkExportRunner& operator=(const BulkExportRunner&) = delete;

  // Schedules every unfinished job no other replica holds and starts the
  // threads; returns how many were scheduled.
  fhir::Result<int> start();
  // Lets the step in progress finish, ends the threads and releases this
  // runner's leases (jobs stay as stored).
  void stop();
  const std::string& holder() const { return holder_; }

  // A refused request (fhir::check_davinci_export, the server URL) is an Error, nothing stored.
  fhir::Result<BulkJob> submit(const BulkExportStart& request);
  // Marks the job cancelled, tells the server (DELETE) and removes its files.
  fhir::Result<bool> cancel(const std::string& id);
  const std::shared_ptr<BulkJobStore>& store() const { return store_; }

 private:
  void run();
  // The lease keeper: renews what this runner holds, adopts expired jobs.
  void keep_leases();
  // Claims (or renews) the job's lease; false when another replica has it.
  bool claim(const std::string& id);
  void report(BulkReportLevel level, const std::string& message) const {
    if (options_.report) options_.report(level, message);
  }
  void schedule(const std::string& id, std::chrono::steady_clock::time_point when);
  // One step of one job; returns when to run the next one (nullopt: finished).
  std::optional<std::chrono::milliseconds> step(const std::string& id);
  std::optional<std::chrono::milliseconds> download(BulkJob& job, const fhir::BulkServer& server);
  std::chrono::milliseconds wait_for(const std::optional<std::chrono::seconds>& retry_after, int64_t attempt) const;
  // The job's server with its token; an Error when the destination's token cannot be had.
  fhir::Result<fhir::BulkServer> server_for(const BulkJob& job);

  std::shared_ptr<BulkJobStore> store_;
  std::filesystem::path files_dir_;
  BulkExportOptions options_;
  std::string holder_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, std::chrono::steady_clock::time_point> due_;
  std::map<std::string, std::string> tokens_;
  std::map<std::string, int> transient_failures_;
  std::string running_;  // the job whose step is under way ("" between steps)
  bool stopping_ = false;
  std::condition_variable keeper_wake_;
  std::thread thread_;
  std::thread keeper_;
};

}  // namespace crdex::cdex
