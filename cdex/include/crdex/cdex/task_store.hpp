#pragma once
// The durable home of CDex Tasks: `--data DIR/cdex.sqlite` (SQLite, WAL).
// Both roles keep their Tasks here, and every change is committed before it
// is reported, so a restart (or SIGTERM) loses nothing: the Data Source picks
// up accepted and in-progress Tasks again, the Data Consumer its polling.
//
//   source_tasks       Tasks received as Data Source: id, status, the Task as shown
//   consumer_requests  requests made as Data Consumer: where, the remote Task id,
//                      status, polling schedule, the latest Task and its outputs
//
// [thread-safe]: one connection behind a mutex; Tasks are few and small.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/sqlite_database.hpp"

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
  static fhir::Result<std::shared_ptr<TaskStore>> open(const std::filesystem::path& file);
  ~TaskStore();
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;

  // Data Source side.
  fhir::Result<bool> insert_source(const SourceTaskRow& row);
  // Replaces the Task only when its stored status is still `expected_status`
  // (two reviewers, or a reviewer and the worker, cannot both move it).
  // Returns false when the status had changed.
  fhir::Result<bool> update_source(const SourceTaskRow& row, const std::string& expected_status);
  fhir::Result<std::optional<SourceTaskRow>> source(const std::string& id);
  // Every Task, or those with `status`, oldest first.
  fhir::Result<std::vector<SourceTaskRow>> sources(const std::string& status = {});

  // Data Consumer side.
  fhir::Result<bool> save_request(const ConsumerRequestRow& row);  // insert or replace
  fhir::Result<std::optional<ConsumerRequestRow>> request(const std::string& id);
  // Requests still being followed (next_poll_ms > 0), soonest first.
  fhir::Result<std::vector<ConsumerRequestRow>> followed_requests();

 private:
  explicit TaskStore(std::unique_ptr<fhir::SqliteDatabase> db) : db_(std::move(db)) {}

  std::unique_ptr<fhir::SqliteDatabase> db_;
  mutable std::mutex mutex_;
};

}  // namespace crdex::cdex
