#pragma once
// The CDex Data Source (the EHR side of the task-based approach, CDX-04..07):
// accepts data-request Tasks, decides whether a person must approve them
// first, and fulfils them through Direct Query against the EHR's own FHIR
// server, attaching the result Bundle to the Task as its output.
//
//   POSTed Task ── invalid ──> 400 / 422 OperationOutcome, nothing stored
//        │ valid, status requested
//        ├─ cannot be fulfilled here (questionnaire, free text, unmapped code) -> rejected + statusReason
//        ├─ review policy says a person decides -> on-hold ("waiting on internal review")
//        │        approve() -> accepted, reject() -> rejected
//        └─ otherwise -> accepted
//   accepted -> in-progress (worker thread) -> completed (output: #result, a
//               contained searchset Bundle) or failed + statusReason
//
// Every change is stored (TaskStore) before it is visible. Fulfilment is a
// leased step, so that replicas sharing one store fulfil each Task once: the
// worker claims a Task (accepted -> in-progress and a lease of `task_lease`,
// in one statement), a second thread renews the leases it holds every third
// of the lease, and the outcome is stored only while the lease is held.
// Every worker looks in the store for due Tasks (accepted, or in-progress
// whose lease ran out because its worker died) at start, when a Task is
// accepted here, and every third of the lease, so a Task accepted through a
// replica that then dies is fulfilled by another within the lease time plus a
// third, and a restarting replica leaves alone what a live one is fulfilling.
// [thread-safe]

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "crdex/fhir/cdex_task.hpp"
#include "crdex/fhir/result.hpp"
#include "crdex/cdex/task_store.hpp"

namespace crdex::cdex {

enum class ReviewPolicy {
  none,       // every request that can be fulfilled is accepted at once
  all,        // every request waits on-hold for a person
  untrusted,  // requests from requesters not in `trusted_requesters` wait on-hold
};

struct DataSourceOptions {
  // The EHR's FHIR server the data comes from, and the token crdex uses there.
  std::string ehr_base;
  std::string ehr_token;
  // data-code requests: "SYSTEM|CODE" (or "CODE" for any system) -> a search
  // in which "{patient}" stands for the patient's id at the EHR, e.g.
  // "http://loinc.org|11506-3" -> "DocumentReference?patient={patient}&type=http://loinc.org|11506-3".
  std::map<std::string, std::string> code_queries;
  ReviewPolicy review = ReviewPolicy::none;
  std::vector<std::string> trusted_requesters;  // "SYSTEM|VALUE" of Task.requester.identifier
  std::chrono::milliseconds query_timeout{30'000};
  int max_pages = 5;
  bool allow_plain_http = false;
  // How long a worker's claim on a Task lasts without renewal: another
  // replica takes over a Task whose worker died after this long.
  std::chrono::milliseconds task_lease{60'000};
};

class DataSource {
 public:
  // Starts the worker, which claims at once the Tasks due in `store`.
  static fhir::Result<std::unique_ptr<DataSource>> start(std::shared_ptr<TaskStore> store, DataSourceOptions options);
  ~DataSource();  // stop()
  DataSource(const DataSource&) = delete;
  DataSource& operator=(const DataSource&) = delete;

  // Lets the Task being fulfilled finish (its query is bounded by
  // query_timeout), then ends the worker. Unclaimed Tasks stay accepted in
  // the store for any replica's worker.
  void stop();

  // POST [base]/Task: the Task as stored (its id and first status), which the
  // worker may already have moved on.
  struct Submitted {
    std::string id;
    std::string document;
  };
  fhir::Result<Submitted> submit(std::string_view task_json);
  // GET [base]/Task/{id}: the Task as it stands.
  fhir::Result<std::string> read(const std::string& id) const;
  // GET [base]/Task?status=...: a searchset Bundle (status empty: every Task).
  fhir::Result<std::string> search(const std::string& status) const;

  // Human review: an on-hold (or still requested) Task is accepted (the worker is woken),
  // or rejected with `reason` as its statusReason. 404 for an unknown id, 409
  // when the Task is no longer waiting. The plugin's CDex calls wrap these.
  fhir::Result<std::string> approve(const std::string& id, const std::string& note = {});
  fhir::Result<std::string> reject(const std::string& id, const std::string& reason);

 private:
  DataSource(std::shared_ptr<TaskStore> store, DataSourceOptions options);
  void run();
  void renew_leases();
  // Claims and fulfils every Task due now; false when stopping.
  bool fulfil_due();
  void fulfil(const SourceTaskRow& due);
  fhir::Result<std::string> move(const std::string& id, fhir::cdex::TaskStatus to, std::string reason,
                                 std::string business_status, std::vector<std::string> outputs = {},
                                 std::vector<std::string> contained = {});
  void wake_worker();
  bool needs_review(const fhir::cdex::DataRequest& request) const;
  // Why this source cannot fulfil `request` at all, or "" when it can.
  std::string unsupported_because(const fhir::cdex::DataRequest& request) const;

  std::shared_ptr<TaskStore> store_;
  DataSourceOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  const std::string holder_;     // this worker's name in the leases it holds
  std::set<std::string> held_;   // Tasks this worker is fulfilling (leases to renew)
  std::thread worker_;
  std::thread renewer_;
};

}  // namespace crdex::cdex
