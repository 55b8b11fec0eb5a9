#pragma once
// The durable home of CDex Tasks: `--data DIR/cdex.sqlite` (SQLite, WAL), or
// the PostgreSQL database that replicas share (`--store postgresql://...`).
// Both roles keep their Tasks here, and every change is committed before it
// is reported, so a restart (or SIGTERM) loses nothing: the Data Source's
// workers claim accepted Tasks (and in-progress ones whose worker died), the
// Data Consumer resumes its polling.
//
//   source_tasks       Tasks received as Data Source: id, status, the Task as shown,
//                      and which worker is fulfilling it now (a lease)
//   consumer_requests  requests made as Data Consumer: where, the remote Task id,
//                      status, polling schedule, the latest Task and its outputs,
//                      and who is polling it now (a lease)
//
// Work that must happen once across replicas is claimed in the store, in one
// statement: a Data Source Task moves only from the status it was read with
// (update_source) and is fulfilled by the one worker that claimed it
// (claim_source), a due request is polled by the one replica that leased it
// (claim_due_request); a replica killed mid-fulfilment or mid-poll loses its
// lease when the lease time passes, and another takes the Task over.
//
// A back end only stores and reads rows (task_store_sqlite.cpp,
// task_store_postgres.cpp). [thread-safe]: each holds one connection behind a
// mutex; Tasks are few and small.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/store_location.hpp"

namespace crdex::cdex {

struct SourceTaskRow {
  std::string id;
  std::string status;    // HRex Task status code
  std::string document;  // the Task as GET [base]/Task/{id} shows it
};

struct ConsumerRequestRow {
  std::string id;         // crdex's own id for the request
  std::string source;     // the Data Source's FHIR base
  std::string remote_id;  // Task.id at the Data Source
  std::string status;     // latest Task.status seen
  std::string status_reason;
  int64_t created_ms = 0;        // when the Task was created (ms since the epoch)
  int64_t last_poll_offset_ms = -1;  // latest poll, ms after creation; -1 before the first
  int64_t next_poll_ms = 0;      // when the next poll is due (ms since the epoch); 0 when done
  int polls = 0;
  std::string task;     // the latest Task as the source showed it
  std::string outputs;  // JSON array of the output resources fetched on completion
  std::string problem;  // why the latest poll did not succeed, if it did not
};

class TaskStore {
 public:
  // The SQLite store in `file` (created, or migrated in place, when needed).
  static fhir::Result<std::shared_ptr<TaskStore>> open(const std::filesystem::path& file);
  virtual ~TaskStore();
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;

  // Data Source side.
  virtual fhir::Result<bool> insert_source(const SourceTaskRow& row) = 0;
  // Replaces the Task only when its stored status is still `expected_status`
  // (two reviewers, a reviewer and the worker, or two replicas cannot both
  // move it). Returns false when the status had changed.
  virtual fhir::Result<bool> update_source(const SourceTaskRow& row, const std::string& expected_status) = 0;
  virtual fhir::Result<std::optional<SourceTaskRow>> source(const std::string& id) = 0;
  // Every Task, or those with `status`, oldest first.
  virtual fhir::Result<std::vector<SourceTaskRow>> sources(const std::string& status = {}) = 0;

  // Fulfilment, leased so that one worker across replicas does it.
  // Tasks due at `now_ms`, oldest first: accepted or in-progress, and no lease
  // running (never leased, released, or expired: its worker died).
  virtual fhir::Result<std::vector<SourceTaskRow>> due_sources(int64_t now_ms) = 0;
  // Replaces the Task with `row` (accepted -> in-progress) and leases it to
  // `holder` until now_ms + lease_ms, in one statement, only when its status
  // is still `expected_status` and no lease runs at now_ms. false: another
  // worker claimed it, or a reviewer moved it.
  virtual fhir::Result<bool> claim_source(const SourceTaskRow& row, const std::string& expected_status,
                                          const std::string& holder, int64_t now_ms, int64_t lease_ms) = 0;
  // Extends `holder`'s lease on an in-progress Task to now_ms + lease_ms.
  // false: the lease went to another worker (or the Task is no longer in progress).
  virtual fhir::Result<bool> renew_source(const std::string& id, const std::string& holder, int64_t now_ms,
                                          int64_t lease_ms) = 0;
  // Stores the outcome of an in-progress Task (completed or failed) and frees
  // the lease, only while `holder` still holds it. false: the lease went to
  // another worker; nothing is stored.
  virtual fhir::Result<bool> finish_source(const SourceTaskRow& row, const std::string& holder) = 0;

  // Data Consumer side.
  // Inserts, or replaces the request's fields (not who holds its lease).
  virtual fhir::Result<bool> save_request(const ConsumerRequestRow& row) = 0;
  virtual fhir::Result<std::optional<ConsumerRequestRow>> request(const std::string& id) = 0;
  // Requests still being followed (next_poll_ms > 0), soonest first.
  virtual fhir::Result<std::vector<ConsumerRequestRow>> followed_requests() = 0;

  // Leases the soonest request due at `now_ms` (0 < next_poll_ms <= now_ms)
  // whose lease is free or expired to `holder` until now_ms + lease_ms, in
  // one statement: two replicas never get the same request. nullopt when
  // none is due and free.
  virtual fhir::Result<std::optional<ConsumerRequestRow>> claim_due_request(int64_t now_ms, const std::string& holder,
                                                                            int64_t lease_ms) = 0;
  // Stores the outcome of a poll and frees the lease, only while `holder`
  // still holds it (false: the lease expired and another replica took over;
  // nothing is stored).
  virtual fhir::Result<bool> finish_poll(const ConsumerRequestRow& row, const std::string& holder) = 0;
  // When a followed request next becomes claimable (its poll due and its
  // lease free); nullopt when none is followed.
  virtual fhir::Result<std::optional<int64_t>> next_claimable_ms() = 0;

 protected:
  TaskStore() = default;
};

// The task store `--store` names: cdex.sqlite under the SQLite directory, or
// the PostgreSQL database (tables cdex_source_tasks, cdex_consumer_requests).
fhir::Result<std::shared_ptr<TaskStore>> open_task_store(const fhir::StoreLocation& location);

}  // namespace crdex::cdex
