#include "crdex/hooks/audit_log.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "crdex/hooks/timestamps.hpp"

namespace crdex::hooks {

fhir::Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::filesystem::path& file, AuditOptions options) {
  auto writer = AuditStore::open(file);
  if (!writer) return writer.error();
  auto reader = AuditStore::open(file);
  if (!reader) return reader.error();
  return open(std::move(writer).value(), std::move(reader).value(), std::move(options));
}

std::unique_ptr<AuditLog> AuditLog::open(std::unique_ptr<AuditStore> writer, std::unique_ptr<AuditStore> reader,
                                         AuditOptions options) {
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(writer), std::move(reader), std::move(options)));
}

fhir::Result<std::unique_ptr<AuditLog>> open_audit_log(const fhir::StoreLocation& location, AuditOptions options) {
  auto writer = open_audit_store(location);
  if (!writer) return writer.error();
  auto reader = open_audit_store(location);
  if (!reader) return reader.error();
  return AuditLog::open(std::move(writer).value(), std::move(reader).value(), std::move(options));
}

AuditLog::AuditLog(std::unique_ptr<AuditStore> writer, std::unique_ptr<AuditStore> reader, AuditOptions options)
    : writer_store_(std::move(writer)), reader_(std::move(reader)), options_(std::move(options)) {
  high_water_ = options_.high_water > 0 ? options_.high_water : options_.queue_capacity / 5 * 4;
  writer_ = std::thread([this] { run(); });
}

AuditLog::~AuditLog() { close(); }

bool AuditLog::record(AuditRecord record) noexcept {
  bool wake = false;
  try {
    std::lock_guard lock(mutex_);
    const size_t bytes = record.request_body.size() + record.response_body.size();
    if (closing_ || queue_.size() >= options_.queue_capacity || queued_bytes_ + bytes > options_.queue_max_bytes) {
      // Logged every 1000th drop so a full queue does not flood the log too.
      if (stats_.dropped++ % 1000 == 0)
        report(true, std::string("audit log: ") + (closing_ ? "closed" : "queue full, the disk is behind") + " (" +
                         std::to_string(queue_.size()) + " of " + std::to_string(options_.queue_capacity) +
                         "): a hook call was not recorded (" + std::to_string(stats_.dropped) + " dropped so far)");
      return false;
    }
    queue_.push_back(std::move(record));
    queued_bytes_ += bytes;
    depth_.store(queue_.size(), std::memory_order_relaxed);
    depth_bytes_.store(queued_bytes_, std::memory_order_relaxed);
    // The writer waits for the first record, then for a full batch (or its
    // delay): only those two wake it, so most calls make no system call here.
    wake = queue_.size() == 1 || queue_.size() == options_.batch_size;
  } catch (...) {
    return false;  // out of memory: the call itself must still be answered
  }
  if (wake) wake_.notify_one();
  return true;
}

bool AuditLog::admit() noexcept {
  if (depth_.load(std::memory_order_relaxed) < high_water_ &&
      depth_bytes_.load(std::memory_order_relaxed) < options_.queue_max_bytes / 2)
    return true;
  busy_refusals_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void AuditLog::close() {
  {
    std::lock_guard lock(mutex_);
    if (closing_ && !writer_.joinable()) return;
    closing_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
}

AuditStats AuditLog::stats() const {
  std::lock_guard lock(mutex_);
  AuditStats out = stats_;
  out.queued = queue_.size() + writing_;
  out.busy_refusals = busy_refusals_.load(std::memory_order_relaxed);
  return out;
}

void AuditLog::purge_if_due(std::chrono::steady_clock::time_point& next_purge) {
  if (std::chrono::steady_clock::now() < next_purge) return;
  next_purge = std::chrono::steady_clock::now() + std::chrono::hours(1);
  if (options_.retention.count() <= 0) return;
  const int64_t cutoff =
      now_epoch_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(options_.retention).count();
  auto purged = writer_store_->purge_before(cutoff);
  if (!purged)
    report(true, "audit log: purge failed: " + purged.error().message);
  else if (*purged > 0)
    report(false, "audit log: purged " + std::to_string(*purged) + " call(s) older than the retention period");
}

void AuditLog::purge_if_too_large() {
  if (options_.max_bytes == 0) return;
  // A few rounds at most: pages of the indexes may stay partly used after a purge.
  for (int round = 0; round < 5; ++round) {
    auto used = writer_store_->used_bytes();  // three pragmas: cheap enough for every batch
    if (!used) {
      report(true, "audit log: cannot read its size: " + used.error().message);
      return;
    }
    if (*used <= options_.max_bytes) return;
    auto calls = writer_store_->call_count();
    if (!calls) {
      report(true, "audit log: cannot count its calls: " + calls.error().message);
      return;
    }
    if (*calls == 0) return;
    // The share of calls to remove so that what is left takes about 90 % of
    // the bound (calls are of similar size).
    const double target = 0.9 * static_cast<double>(options_.max_bytes);
    const double share = (static_cast<double>(*used) - target) / static_cast<double>(*used);
    const auto count = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(share * static_cast<double>(*calls))));
    auto purged = writer_store_->purge_oldest(count);
    if (!purged) {
      report(true, "audit log: purge for size failed: " + purged.error().message);
      return;
    }
    {
      std::lock_guard lock(mutex_);
      stats_.purged_for_size += static_cast<uint64_t>(*purged);
    }
    report(false, "audit log: purged the oldest " + std::to_string(*purged) + " call(s): the log took " +
                      std::to_string(*used) + " bytes, more than its bound of " + std::to_string(options_.max_bytes));
  }
}

void AuditLog::report(bool error, const std::string& message) const {
  if (options_.report) options_.report(error, message);
}

void AuditLog::run() {
  auto next_purge = std::chrono::steady_clock::now();
  std::vector<AuditRecord> batch;
  for (;;) {
    purge_if_due(next_purge);
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_purge, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) {
        if (closing_) return;
        continue;  // time to purge
      }
      // Gathers a batch: one commit for many calls under load, a few ms of
      // delay for a lone call.
      const auto batch_due = std::chrono::steady_clock::now() + options_.batch_delay;
      wake_.wait_until(lock, batch_due, [this] { return closing_ || queue_.size() >= options_.batch_size; });
      // Up to 1000 at a time keeps one transaction short.
      const size_t take = std::min<size_t>(queue_.size(), 1000);
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + take));
      for (const auto& record : batch) queued_bytes_ -= record.request_body.size() + record.response_body.size();
      queue_.erase(queue_.begin(), queue_.begin() + take);
      writing_ = take;
      depth_.store(queue_.size(), std::memory_order_relaxed);
      depth_bytes_.store(queued_bytes_, std::memory_order_relaxed);
    }
    if (options_.before_batch) options_.before_batch();
    auto written = writer_store_->write(batch);
    std::unique_lock lock(mutex_);
    writing_ = 0;
    if (written) {
      stats_.written += batch.size();
      ++stats_.batches;
    } else {
      stats_.failed += batch.size();
      report(true, "audit log: " + std::to_string(batch.size()) + " call(s) could not be recorded: " +
                       written.error().message);
    }
    batch.clear();
    lock.unlock();
    purge_if_too_large();
  }
}

}  // namespace crdex::hooks
