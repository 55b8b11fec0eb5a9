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
// Every change is stored (TaskStore) before it is visible; start() queues the
// Tasks a previous run left accepted or in-progress. [thread-safe]

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
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
};

class DataSource {
 public:
  // Starts the worker and queues the Tasks left pending in `store`.
  static fhir::Result<std::unique_ptr<DataSource>> start(std::shared_ptr<TaskStore> store, DataSourceOptions options);
  ~DataSource();  // stop()
  DataSource(const DataSource&) = delete;
  DataSource& operator=(const DataSource&) = delete;

  // Lets the Task being fulfilled finish (its query is bounded by
  // query_timeout), then ends the worker. Queued Tasks stay accepted in the
  // store for the next start.
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

  // Human review: an on-hold (or still requested) Task is accepted and queued,
  // or rejected with `reason` as its statusReason. 404 for an unknown id, 409
  // when the Task is no longer waiting. The plugin's CDex calls wrap these.
  fhir::Result<std::string> approve(const std::string& id, const std::string& note = {});
  fhir::Result<std::string> reject(const std::string& id, const std::string& reason);

 private:
  DataSource(std::shared_ptr<TaskStore> store, DataSourceOptions options);
  void run();
  void fulfil(const std::string& id);
  fhir::Result<std::string> move(const std::string& id, fhir::cdex::TaskStatus to, std::string reason,
                                 std::string business_status, std::vector<std::string> outputs = {},
                                 std::vector<std::string> contained = {});
  void enqueue(const std::string& id);
  bool needs_review(const fhir::cdex::DataRequest& request) const;
  // Why this source cannot fulfil `request` at all, or "" when it can.
  std::string unsupported_because(const fhir::cdex::DataRequest& request) const;

  std::shared_ptr<TaskStore> store_;
  DataSourceOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace crdex::cdex
