#pragma once
// The CDex Data Consumer (payer, or a provider asking another provider):
// builds a cdex-task-data-request Task, POSTs it to the Data Source's FHIR
// base, then follows it by polling GET [base]/Task/{id} on the CDex cadence
// (fhir::cdex::PollingCadence, CDX-08) until it is completed, rejected or
// failed. On completion it fetches every output (contained "#id" or a
// reference read from the source); rejected / failed keep the statusReason.
//
// The schedule is stored with each request (TaskStore), so a restart resumes
// polling where it stopped: a poll overdue while crdex was down runs at once.
// One scheduler thread does the polling; callers never wait for a poll unless
// they ask to (wait_until_done). Replicas sharing one store poll each due
// request once: the scheduler leases it (TaskStore::claim_due_request) for
// `claim_lease` before polling and stores the outcome only while it still
// holds the lease, so a replica killed mid-poll hands the request to another
// once the lease runs out. [thread-safe]

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "crdex/fhir/cdex_polling.hpp"
#include "crdex/fhir/cdex_task.hpp"
#include "crdex/fhir/result.hpp"
#include "crdex/cdex/outbound_token.hpp"
#include "crdex/cdex/task_store.hpp"

namespace crdex::cdex {

struct ConsumerOptions {
  fhir::cdex::PollingCadence cadence;
  // Bearer token for the Data Sources (CDex: issued to the consumer by the
  // source, e.g. SMART Backend Services); empty sends none.
  std::string source_token;
  // When set, the token for each call to a source (configured per
  // destination); source_token is then used only where it answers "".
  TokenFor token_for;
  std::chrono::milliseconds request_timeout{30'000};
  int max_pages = 5;
  bool allow_plain_http = false;
  // How long a poll may take before another replica may take the request
  // over (longer than the Task read plus its outputs' reads).
  std::chrono::milliseconds claim_lease{300'000};
  // The longest the scheduler sleeps before looking at the store again, for
  // requests other replicas started (or left, dying) meanwhile.
  std::chrono::milliseconds rescan{10'000};
};

class Consumer {
 public:
  // Starts the scheduler; requests a previous run still followed are polled again.
  static fhir::Result<std::unique_ptr<Consumer>> start(std::shared_ptr<TaskStore> store, ConsumerOptions options);
  ~Consumer();  // stop()
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Ends the scheduler after the poll in progress, if any. The schedule stays stored.
  void stop();

  // Builds the Task, POSTs it to `source_base` and starts following it. The
  // source's refusal (4xx with its OperationOutcome text) comes back as an
  // Error with status 502 naming the source's status.
  fhir::Result<ConsumerRequestRow> request(const std::string& source_base, const fhir::cdex::DataRequest& request);

  // Follows a Task that already exists at `source_base` (created by another
  // system, or before the source moved): polled like one crdex created, the
  // first poll after cadence.first.
  fhir::Result<ConsumerRequestRow> follow(const std::string& source_base, const std::string& task_id);

  fhir::Result<std::optional<ConsumerRequestRow>> get(const std::string& id) const;

  // Waits until request `id` is no longer followed (completed, rejected,
  // failed) or `timeout` passes, then returns it as it stands.
  fhir::Result<std::optional<ConsumerRequestRow>> wait_until_done(const std::string& id,
                                                                  std::chrono::milliseconds timeout) const;

 private:
  Consumer(std::shared_ptr<TaskStore> store, ConsumerOptions options);
  void run();
  void poll(ConsumerRequestRow row);
  void changed();

  std::shared_ptr<TaskStore> store_;
  ConsumerOptions options_;
  const std::string holder_;  // this scheduler's name on the leases it takes
  mutable std::mutex mutex_;
  mutable std::condition_variable wake_;     // the scheduler: new request or stop
  mutable std::condition_variable changed_;  // waiters: a request was polled
  bool stopping_ = false;
  uint64_t generation_ = 0;  // bumps on every stored change, for waiters
  std::thread scheduler_;
};

}  // namespace crdex::cdex
