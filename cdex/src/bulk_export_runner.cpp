#include "crdex/cdex/bulk_export_runner.hpp"

#include <algorithm>

#include "crdex/fhir/davinci_data_export.hpp"
#include "crdex/fhir/direct_query.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/instant.hpp"

namespace crdex::cdex {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {
// What a download that lost its lease stops with (nothing is written then).
constexpr const char* kLeaseLost = "lease lost";
}  // namespace

BulkExportRunner::BulkExportRunner(std::shared_ptr<BulkJobStore> store, std::filesystem::path files_dir,
                                   BulkExportOptions options)
    : store_(std::move(store)),
      files_dir_(std::move(files_dir)),
      options_(options),
      holder_(options_.holder.empty() ? fhir::random_uuid() : options_.holder) {
  options_.lease = std::max(options_.lease, milliseconds(100));
}

BulkExportRunner::~BulkExportRunner() { stop(); }

fhir::Result<int> BulkExportRunner::start() {
  auto ids = store_->claimable_ids(holder_);
  if (!ids) return ids.error();
  for (const auto& id : *ids) schedule(id, Clock::now());
  thread_ = std::thread([this] { run(); });
  keeper_ = std::thread([this] { keep_leases(); });
  return static_cast<int>(ids->size());
}

void BulkExportRunner::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  keeper_wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (keeper_.joinable()) keeper_.join();
  // Another replica (or the next start) need not wait for the leases to expire.
  if (auto released = store_->release(holder_); !released)
    report(BulkReportLevel::warning, "export jobs: the leases were not released: " + released.error().message);
}

bool BulkExportRunner::claim(const std::string& id) {
  auto claimed = store_->claim(id, holder_, options_.lease);
  if (!claimed) {
    report(BulkReportLevel::warning, "export " + id + ": cannot claim its lease: " + claimed.error().message);
    return false;
  }
  return *claimed;
}

void BulkExportRunner::keep_leases() {
  const auto tick = options_.lease / 3;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    keeper_wake_.wait_for(lock, tick);
    if (stopping_) break;
    std::vector<std::string> held;
    for (const auto& [id, when] : due_) held.push_back(id);
    if (!running_.empty()) held.push_back(running_);
    lock.unlock();
    std::vector<std::string> lost;
    for (const auto& id : held) {
      auto renewed = store_->claim(id, holder_, options_.lease);
      if (renewed && !*renewed) lost.push_back(id);  // finished, or taken after this replica stalled
    }
    auto claimable = store_->claimable_ids(holder_);
    lock.lock();
    for (const auto& id : lost) due_.erase(id);
    if (!claimable) {
      report(BulkReportLevel::warning, "export jobs: cannot look for jobs to adopt: " + claimable.error().message);
      continue;
    }
    bool adopted = false;
    for (const auto& id : *claimable) {
      if (due_.count(id) != 0 || id == running_) continue;
      due_[id] = Clock::now();
      adopted = true;
      report(BulkReportLevel::info, "export " + id + ": adopted (its lease was free or expired)");
    }
    if (adopted) wake_.notify_all();
  }
}

void BulkExportRunner::schedule(const std::string& id, Clock::time_point when) {
  {
    std::lock_guard lock(mutex_);
    due_[id] = when;
  }
  wake_.notify_all();
}

fhir::Result<BulkJob> BulkExportRunner::submit(const BulkExportStart& request) {
  if (auto refused = fhir::check_fhir_server_url(request.fhir_server, options_.allow_plain_http)) return *refused;
  if (auto checked = fhir::check_davinci_export({request.group_id, request.types, request.since, request.export_type});
      !checked)
    return checked.error();
  BulkJob job;
  job.id = fhir::random_uuid();
  job.created_at = fhir::now_instant();
  job.updated_at = job.created_at;
  job.fhir_server = request.fhir_server;
  job.group_id = request.group_id;
  job.types = request.types;
  job.since = request.since;
  job.export_type = request.export_type;
  job.state = "kick-off";
  job.needs_token = !request.access_token.empty();
  if (auto inserted = store_->insert(job, holder_, options_.lease); !inserted) return inserted.error();
  if (job.needs_token) {
    std::lock_guard lock(mutex_);
    tokens_[job.id] = request.access_token;
  }
  schedule(job.id, Clock::now());
  return job;
}

fhir::Result<bool> BulkExportRunner::cancel(const std::string& id) {
  auto job = store_->get(id);
  if (!job) return job.error();
  if (!*job) return fhir::Error{404, fhir::IssueType::not_found, "no export job " + id, ""};
  auto cancelled = store_->cancel(id);
  if (!cancelled) return cancelled.error();
  if (!*cancelled)
    return fhir::Error{409, fhir::IssueType::business_rule, "export job " + id + " has already " + (*job)->state, ""};
  fhir::BulkServer server;
  {
    std::lock_guard lock(mutex_);
    due_.erase(id);
  }
  auto with_token = server_for(**job);
  if (with_token) server = std::move(with_token).value();
  // The server may keep working on a job nobody will fetch: tell it.
  if (with_token && !(*job)->status_url.empty())
    if (auto told = fhir::bulk_cancel(server, (*job)->status_url); !told)
      report(BulkReportLevel::warning,
             "export " + id + ": the server was not told of the cancel: " + told.error().message);
  std::error_code ignored;
  std::filesystem::remove_all(files_dir_ / id, ignored);
  {
    std::lock_guard lock(mutex_);
    tokens_.erase(id);
  }
  return true;
}

fhir::Result<fhir::BulkServer> BulkExportRunner::server_for(const BulkJob& job) {
  fhir::BulkServer server;
  server.base_url = job.fhir_server;
  server.allow_plain_http = options_.allow_plain_http;
  {
    std::lock_guard lock(mutex_);
    if (auto it = tokens_.find(job.id); it != tokens_.end()) server.access_token = it->second;
  }
  if (!server.access_token.empty() || !options_.token_for) return server;
  auto token = options_.token_for(job.fhir_server);  // outside the lock: it may ask a token endpoint
  if (!token) return token.error();
  server.access_token = std::move(token).value();
  return server;
}

milliseconds BulkExportRunner::wait_for(const std::optional<std::chrono::seconds>& retry_after, int64_t attempt) const {
  milliseconds wait = options_.min_poll;
  if (retry_after) {
    wait = std::chrono::duration_cast<milliseconds>(*retry_after);
  } else {
    // Exponential backoff from min_poll, as export.md advises.
    for (int64_t i = 0; i < std::min<int64_t>(attempt, 20) && wait < options_.max_poll; ++i) wait *= 2;
  }
  return std::clamp(wait, options_.min_poll, options_.max_poll);
}

void BulkExportRunner::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto next = std::min_element(due_.begin(), due_.end(), [](auto& a, auto& b) { return a.second < b.second; });
    if (next == due_.end()) {
      wake_.wait(lock);
      continue;
    }
    if (next->second > Clock::now()) {
      // A copy: cancel() may erase the entry while this thread waits.
      const auto when = next->second;
      wake_.wait_until(lock, when);
      continue;
    }
    const std::string id = next->first;
    due_.erase(next);
    running_ = id;
    lock.unlock();
    std::optional<milliseconds> again;
    try {
      again = step(id);
    } catch (const std::exception& e) {
      report(BulkReportLevel::error, "export " + id + ": " + e.what());
      again = options_.max_poll;
    }
    lock.lock();
    running_.clear();
    if (again && !stopping_) due_[id] = Clock::now() + *again;
  }
}

std::optional<milliseconds> BulkExportRunner::step(const std::string& id) {
  // Held by another replica, finished or cancelled: not this runner's to run.
  if (!claim(id)) return std::nullopt;
  auto loaded = store_->get(id);
  if (!loaded || !*loaded) return std::nullopt;
  BulkJob job = std::move(**loaded);
  if (job.finished()) return std::nullopt;
  auto with_token = server_for(job);
  auto fail = [&](const std::string& why) -> std::optional<milliseconds> {
    report(BulkReportLevel::warning, "export " + id + " failed: " + why);
    job.state = "failed";
    job.error = why;
    (void)store_->update(job, holder_);
    std::lock_guard lock(mutex_);
    tokens_.erase(id);
    return std::nullopt;
  };
  if (!with_token) return fail("no access token for " + job.fhir_server + ": " + with_token.error().message);
  const fhir::BulkServer server = std::move(with_token).value();
  if (job.needs_token && server.access_token.empty())
    return fail("the access token is kept in memory only and was lost when crdex restarted; start the export again");

  if (job.state == "kick-off") {
    const auto answer = fhir::bulk_kick_off(server, {job.group_id, job.types, job.since, job.export_type});
    if (answer.kind == fhir::BulkStep::Kind::retry_later) return wait_for(answer.retry_after, 0);
    if (answer.kind != fhir::BulkStep::Kind::accepted) {
      // A server that is down for a moment (say, while both restart) is tried again.
      if (answer.error.type == fhir::IssueType::transient &&
          ++transient_failures_[id] <= options_.max_transient_failures)
        return wait_for(std::nullopt, transient_failures_[id]);
      transient_failures_.erase(id);
      return fail(answer.error.message);
    }
    transient_failures_.erase(id);
    job.state = "in-progress";
    job.status_url = answer.status_url;
    if (auto updated = store_->update(job, holder_); !updated || !*updated) {
      // Cancelled while the kick-off was under way: the server must not go on alone.
      if (updated) (void)fhir::bulk_cancel(server, job.status_url);
      return std::nullopt;
    }
    report(BulkReportLevel::info, "export " + id + ": accepted, status at " + job.status_url);
    return options_.min_poll;
  }
  if (job.state == "in-progress") {
    const auto answer = fhir::bulk_poll(server, job.status_url);
    ++job.polls;
    switch (answer.kind) {
      case fhir::BulkStep::Kind::in_progress:
      case fhir::BulkStep::Kind::retry_later: {
        transient_failures_.erase(id);
        if (!answer.progress.empty()) job.progress = answer.progress;
        if (auto updated = store_->update(job, holder_); !updated || !*updated) return std::nullopt;
        return wait_for(answer.retry_after, job.polls);
      }
      case fhir::BulkStep::Kind::complete: {
        auto manifest = fhir::parse_bulk_manifest(answer.manifest_json);
        if (!manifest) return fail(manifest.error().message);
        job.state = "downloading";
        job.manifest = answer.manifest_json;
        job.transaction_time = manifest->transaction_time;
        job.progress.clear();
        if (auto updated = store_->update(job, holder_); !updated || !*updated) return std::nullopt;
        return milliseconds(0);
      }
      default:
        if (answer.error.type == fhir::IssueType::transient &&
            ++transient_failures_[id] <= options_.max_transient_failures)
          return wait_for(std::nullopt, transient_failures_[id]);
        transient_failures_.erase(id);
        return fail(answer.error.message);
    }
  }
  if (job.state == "downloading") return download(job, server);
  return fail("unknown job state '" + job.state + "'");
}

std::optional<milliseconds> BulkExportRunner::download(BulkJob& job, const fhir::BulkServer& server) {
  auto manifest = fhir::parse_bulk_manifest(job.manifest);
  if (!manifest) {
    job.state = "failed";
    job.error = manifest.error().message;
    (void)store_->update(job, holder_);
    return std::nullopt;
  }
  const auto dir = files_dir_ / job.id;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::vector<BulkJobFile> files;
  auto fetch = [&](const fhir::BulkFileRef& ref, const std::string& kind) -> std::optional<std::string> {
    // Renewed before each file, besides the keeper's renewals; a lost lease ends the step.
    if (!claim(job.id)) return std::string(kLeaseLost);
    BulkJobFile file;
    file.sequence = static_cast<int>(files.size()) + 1;
    file.kind = kind;
    file.type = ref.type;
    file.url = ref.url;
    const auto path = dir / (std::to_string(file.sequence) + "-" + ref.type + ".ndjson");
    auto got = fhir::bulk_download(server, ref, manifest->requires_access_token, path);
    if (!got) return got.error().message;
    file.path = path.string();
    file.resources = got->resources;
    file.bytes = got->bytes;
    files.push_back(std::move(file));
    return std::nullopt;
  };
  for (const auto& ref : manifest->output)
    if (auto problem = fetch(ref, "output")) {
      if (*problem == kLeaseLost) return std::nullopt;
      job.state = "failed";
      job.error = *problem;
      (void)store_->update(job, holder_);
      return std::nullopt;
    }
  for (const auto& ref : manifest->error)
    if (auto problem = fetch(ref, "error")) {
      if (*problem == kLeaseLost) return std::nullopt;
      job.state = "failed";
      job.error = *problem;
      (void)store_->update(job, holder_);
      return std::nullopt;
    }
  if (auto completed = store_->complete(job.id, files, holder_); !completed || !*completed) return std::nullopt;
  report(BulkReportLevel::info, "export " + job.id + ": completed, " + std::to_string(files.size()) + " file(s)");
  std::lock_guard lock(mutex_);
  tokens_.erase(job.id);
  return std::nullopt;
}

}  // namespace crdex::cdex
