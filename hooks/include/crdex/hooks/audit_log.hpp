#pragma once
// AuditLog: hook calls are queued by the request thread and written by one
// background thread, so a call never waits on the disk. The queue, the
// writer and back-pressure are the same on both back ends (AuditStore): in
// SQLite a batch is one transaction on audit.sqlite; in PostgreSQL one
// transaction of a few multi-row INSERTs, and every replica runs its own
// writer into the shared tables.
//
// The queue is bounded, by count and by bytes. When the disk is slower than
// the traffic for long enough to fill it (`queue_capacity` records or
// `queue_max_bytes` of bodies), further records are dropped,
// not waited for: each drop is counted (stats().dropped, GET
// /admin/audit/stats) and logged at error level. The writer takes everything
// queued in one transaction, so a slow disk costs one sync per batch, not per
// call, and the queue drains in few commits once the disk catches up. Under
// steady traffic it waits up to `batch_delay` for `batch_size` records before
// it writes, so a busy server commits a few hundred times a second at most
// instead of once per call; a request thread wakes the writer only when the
// queue was empty or a batch is full.
//
// Retention: calls older than `retention` are purged, and when the database's
// pages in use exceed `max_bytes` the oldest calls are purged until they are
// under 90 % of it (checked after each batch). SQLite reuses the freed pages,
// so the file stays near its high-water mark instead of growing; PostgreSQL
// measures the rows (AuditStore::used_bytes). With replicas, each one's
// writer purges the shared tables, oldest first.
//
// close() (SIGTERM, after the calls in flight finished) writes every queued
// record before it returns: a clean shutdown loses none.
//
// Back-pressure: admit() is asked before a hook call is taken. Above the
// high-water mark (`high_water` records, or half of `queue_max_bytes`) it
// says no and counts a busy refusal; crdex-server then answers 503 with
// Retry-After before doing any work, so a call it answers is a call it can
// audit. The mark sits below the queue's capacity by more than the calls
// that can be in flight, so the calls admitted before it was reached still
// find room: nothing is dropped while the front asks admit().

#include <chrono>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "crdex/hooks/audit_store.hpp"

namespace crdex::hooks {

struct AuditOptions {
  size_t queue_capacity = 10'000;
  size_t queue_max_bytes = size_t{256} << 20;  // request + response bodies waiting
  // admit() says no from this many records waiting (0: 80 % of queue_capacity).
  size_t high_water = 0;
  // Calls older than this are purged (at start and then hourly); zero keeps everything.
  std::chrono::hours retention{24 * 365};
  // The database's pages in use above this: the oldest calls are purged; zero: no bound.
  uint64_t max_bytes = 0;
  // A batch is written when it holds batch_size records or its first waited this long.
  size_t batch_size = 512;
  std::chrono::milliseconds batch_delay{5};
  // Runs on the writer thread before each batch; tests hold the writer with it.
  std::function<void()> before_batch;
  // Where drops, failed writes and purges are reported (crdex-server: its
  // log). `error` false is informational.
  std::function<void(bool error, const std::string& message)> report;
};

struct AuditStats {
  uint64_t queued = 0;   // waiting now, the batch being written included
  uint64_t written = 0;  // since start
  uint64_t dropped = 0;  // queue full or log closed
  uint64_t failed = 0;   // lost to a failed write (disk full, ...)
  uint64_t batches = 0;  // transactions that wrote them
  uint64_t purged_for_size = 0;  // calls removed to stay under max_bytes
  uint64_t busy_refusals = 0;    // admit() said no: the queue was at its high-water mark
};

class AuditLog {
 public:
  // The SQLite log in `file`.
  static fhir::Result<std::unique_ptr<AuditLog>> open(const std::filesystem::path& file, AuditOptions options = {});
  // A log over two connections to one store: the writer thread's and the readers'.
  static std::unique_ptr<AuditLog> open(std::unique_ptr<AuditStore> writer, std::unique_ptr<AuditStore> reader,
                                        AuditOptions options = {});
  ~AuditLog();  // close()
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Queues a record. Never touches the disk; false when it was dropped.
  bool record(AuditRecord record) noexcept;

  // Whether a new call may be taken (see Back-pressure above); a no is
  // counted in stats().busy_refusals. Lock-free: two atomic loads.
  bool admit() noexcept;

  // The high-water mark in records (after the 0 default is resolved).
  size_t high_water() const { return high_water_; }

  // Writes what is queued, then stops the writer. Later records are dropped.
  void close();

  AuditStats stats() const;

  // For reads (admin API, recorded dry run) and purges.
  AuditStore& store() { return *reader_; }

 private:
  AuditLog(std::unique_ptr<AuditStore> writer, std::unique_ptr<AuditStore> reader, AuditOptions options);
  void run();
  void purge_if_due(std::chrono::steady_clock::time_point& next_purge);
  void purge_if_too_large();
  void report(bool error, const std::string& message) const;

  std::unique_ptr<AuditStore> writer_store_;  // the writer thread's connection
  std::unique_ptr<AuditStore> reader_;
  AuditOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<AuditRecord> queue_;
  size_t queued_bytes_ = 0;
  size_t writing_ = 0;  // records taken by the writer and not yet written
  size_t high_water_ = 0;
  // Copies of queue_.size() and queued_bytes_ for admit(), set under mutex_.
  std::atomic<size_t> depth_{0};
  std::atomic<size_t> depth_bytes_{0};
  std::atomic<uint64_t> busy_refusals_{0};
  bool closing_ = false;
  AuditStats stats_;
  std::thread writer_;
};

// The audit log `--store` names: audit.sqlite under the SQLite directory, or
// the PostgreSQL database (open_audit_store).
fhir::Result<std::unique_ptr<AuditLog>> open_audit_log(const fhir::StoreLocation& location, AuditOptions options = {});

}  // namespace crdex::hooks
