#include "crdex/cdex/data_source.hpp"

#include <algorithm>

#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/instant.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "crdex/cdex/fulfilment.hpp"

namespace crdex::cdex {

namespace fc = fhir::cdex;
using fc::TaskStatus;

namespace {

constexpr const char* kWaitingOnReview = "waiting on internal review";

fhir::Error not_found(const std::string& id) {
  return fhir::Error{404, fhir::IssueType::not_found, "no Task " + id + " here", ""};
}

// Task.requester.identifier as "SYSTEM|VALUE", or "" when it has none.
std::string requester_identity(const std::string& requester_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element requester;
  std::string_view system, value;
  if (parser.parse(requester_json).get(requester) != simdjson::SUCCESS ||
      requester["identifier"]["value"].get(value) != simdjson::SUCCESS)
    return {};
  if (requester["identifier"]["system"].get(system) != simdjson::SUCCESS) system = {};
  return std::string(system) + "|" + std::string(value);
}

std::string data_value_output() {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "type");
  w.StartObject();
  fhir::write_key(w, "coding");
  w.StartArray();
  w.StartObject();
  fhir::write_key(w, "system");
  fhir::write_string(w, fc::kHrexTempSystem);
  fhir::write_key(w, "code");
  fhir::write_string(w, "data-value");
  w.EndObject();
  w.EndArray();
  w.EndObject();
  fhir::write_key(w, "valueReference");
  w.StartObject();
  fhir::write_key(w, "reference");
  fhir::write_string(w, "#result");
  w.EndObject();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

DataSource::DataSource(std::shared_ptr<TaskStore> store, DataSourceOptions options)
    : store_(std::move(store)), options_(std::move(options)), holder_("source " + fhir::random_uuid()) {}

fhir::Result<std::unique_ptr<DataSource>> DataSource::start(std::shared_ptr<TaskStore> store,
                                                           DataSourceOptions options) {
  std::unique_ptr<DataSource> source(new DataSource(std::move(store), std::move(options)));
  // The store must answer now; the worker's first look claims what is due
  // (work a previous run left: an interrupted query simply runs again).
  if (auto due = source->store_->due_sources(fhir::now_epoch_ms()); !due) return due.error();
  source->worker_ = std::thread([raw = source.get()] { raw->run(); });
  source->renewer_ = std::thread([raw = source.get()] { raw->renew_leases(); });
  return source;
}

DataSource::~DataSource() { stop(); }

void DataSource::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  if (renewer_.joinable()) renewer_.join();
}

void DataSource::wake_worker() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void DataSource::run() {
  // A third of the lease: a Task whose worker died is taken over at most this
  // long after its lease ran out, and one accepted elsewhere is seen as soon.
  const auto every = std::max<std::chrono::milliseconds>(options_.task_lease / 3, std::chrono::milliseconds(10));
  for (;;) {
    if (!fulfil_due()) return;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, every, [&] { return stopping_ || woken_; });
    if (stopping_) return;
    woken_ = false;
  }
}

bool DataSource::fulfil_due() {
  auto due = store_->due_sources(fhir::now_epoch_ms());
  if (!due) return true;  // the store does not answer: look again at the next round
  for (const auto& row : *due) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return false;
    }
    fulfil(row);
  }
  return true;
}

void DataSource::renew_leases() {
  const auto every = std::max<std::chrono::milliseconds>(options_.task_lease / 3, std::chrono::milliseconds(10));
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, every, [&] { return stopping_; });
    if (stopping_) return;
    const std::set<std::string> held = held_;
    lock.unlock();
    // A renewal refused means the lease went elsewhere; the outcome will be
    // refused too, so nothing more to do here.
    for (const auto& id : held) (void)store_->renew_source(id, holder_, fhir::now_epoch_ms(), options_.task_lease.count());
    lock.lock();
  }
}

bool DataSource::needs_review(const fc::DataRequest& request) const {
  switch (options_.review) {
    case ReviewPolicy::none: return false;
    case ReviewPolicy::all: return true;
    case ReviewPolicy::untrusted: {
      const auto identity = requester_identity(request.requester);
      return std::find(options_.trusted_requesters.begin(), options_.trusted_requesters.end(), identity) ==
             options_.trusted_requesters.end();
    }
  }
  return true;
}

std::string DataSource::unsupported_because(const fc::DataRequest& request) const {
  switch (request.kind) {
    case fc::RequestKind::query: return {};
    case fc::RequestKind::questionnaire:
      return "questionnaire requests (DTR) are not answered by this data source";
    case fc::RequestKind::code:
      if (request.code.free_text()) return "free-text requests are not answered by this data source";
      if (mapped_query(options_, request.code).empty())
        return "no search is configured for code " + request.code.system + "|" + request.code.code;
      return {};
  }
  return {};
}

fhir::Result<DataSource::Submitted> DataSource::submit(std::string_view task_json) {
  auto parsed = fc::parse_data_request_task(task_json);
  if (!parsed) return parsed.error();
  fc::DataRequestTask task = std::move(parsed).value();
  if (task.progress.status != TaskStatus::requested)
    return fhir::Error{422, fhir::IssueType::business_rule,
                       std::string("a new Task must have status requested, not ") +
                           fc::task_status_code(task.progress.status),
                       "Task.status"};
  task.id = fhir::random_uuid();
  task.progress = {};
  if (auto why = unsupported_because(task.request); !why.empty()) {
    task.progress.status = TaskStatus::rejected;
    task.progress.status_reason = std::move(why);
  } else if (needs_review(task.request)) {
    task.progress.status = TaskStatus::on_hold;
    task.progress.business_status = kWaitingOnReview;
  } else {
    task.progress.status = TaskStatus::accepted;
  }
  const std::string document = fc::write_task_progress(task_json, task.id, task.progress, fhir::now_instant());
  auto stored = store_->insert_source({task.id, fc::task_status_code(task.progress.status), document});
  if (!stored) return stored.error();
  if (task.progress.status == TaskStatus::accepted) wake_worker();
  return Submitted{task.id, document};
}

fhir::Result<std::string> DataSource::read(const std::string& id) const {
  auto row = store_->source(id);
  if (!row) return row.error();
  if (!*row) return not_found(id);
  return (*row)->document;
}

fhir::Result<std::string> DataSource::search(const std::string& status) const {
  if (!status.empty() && !fc::parse_task_status(status))
    return fhir::Error{400, fhir::IssueType::value, "status must be a HRex Task status, not " + status, "status"};
  auto rows = store_->sources(status);
  if (!rows) return rows.error();
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "resourceType");
  fhir::write_string(w, "Bundle");
  fhir::write_key(w, "type");
  fhir::write_string(w, "searchset");
  fhir::write_key(w, "total");
  w.Uint64(rows->size());
  fhir::write_key(w, "entry");
  w.StartArray();
  for (const auto& row : *rows) {
    w.StartObject();
    fhir::write_key(w, "resource");
    w.RawValue(row.document.data(), row.document.size(), rapidjson::kObjectType);
    fhir::write_key(w, "search");
    w.StartObject();
    fhir::write_key(w, "mode");
    fhir::write_string(w, "match");
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

fhir::Result<std::string> DataSource::move(const std::string& id, TaskStatus to, std::string reason,
                                           std::string business_status, std::vector<std::string> outputs,
                                           std::vector<std::string> contained) {
  auto row = store_->source(id);
  if (!row) return row.error();
  if (!*row) return not_found(id);
  const auto from = fc::parse_task_status((*row)->status).value_or(TaskStatus::requested);
  if (auto refused = fc::check_transition(from, to)) return *refused;
  fc::TaskProgress progress{to, std::move(reason), std::move(business_status), std::move(outputs), std::move(contained)};
  const std::string document = fc::write_task_progress((*row)->document, id, progress, fhir::now_instant());
  auto updated = store_->update_source({id, fc::task_status_code(to), document}, (*row)->status);
  if (!updated) return updated.error();
  if (!*updated)
    return fhir::Error{409, fhir::IssueType::business_rule, "Task " + id + " changed meanwhile; read it again",
                       "Task.status"};
  return document;
}

fhir::Result<std::string> DataSource::approve(const std::string& id, const std::string& note) {
  auto moved = move(id, TaskStatus::accepted, {}, note);
  if (moved) wake_worker();
  return moved;
}

fhir::Result<std::string> DataSource::reject(const std::string& id, const std::string& reason) {
  if (reason.empty())
    return fhir::Error{400, fhir::IssueType::required, "a rejection needs a reason (Task.statusReason)", "reason"};
  return move(id, TaskStatus::rejected, reason, {});
}

void DataSource::fulfil(const SourceTaskRow& due) {
  const int64_t lease_ms = options_.task_lease.count();
  auto task = fc::parse_data_request_task(due.document);
  if (!task) {
    // Claimed straight into its outcome: no worker will ever do better.
    fc::TaskProgress failed{TaskStatus::failed, "the stored Task cannot be read: " + task.error().message, {}, {}, {}};
    const std::string document = fc::write_task_progress(due.document, due.id, failed, fhir::now_instant());
    (void)store_->claim_source({due.id, "failed", document}, due.status, holder_, fhir::now_epoch_ms(), lease_ms);
    return;
  }
  // The reviewer's note (businessStatus) stays with the Task to the end.
  const std::string note = task->progress.business_status;
  fc::TaskProgress progress{TaskStatus::in_progress, {}, note, {}, {}};
  const std::string working = fc::write_task_progress(due.document, due.id, progress, fhir::now_instant());
  auto claimed = store_->claim_source({due.id, "in-progress", working}, due.status, holder_, fhir::now_epoch_ms(), lease_ms);
  if (!claimed || !*claimed) return;  // another worker has it, or a reviewer moved it
  {
    std::lock_guard lock(mutex_);
    held_.insert(due.id);
  }
  const auto done = fulfil_request(options_, task->request);
  if (done.ok)
    progress = {TaskStatus::completed, {}, note, {data_value_output()}, {done.result}};
  else
    progress = {TaskStatus::failed, done.problem, note, {}, {}};
  const std::string document = fc::write_task_progress(working, due.id, progress, fhir::now_instant());
  // Refused when the lease went to another worker: its outcome stands.
  (void)store_->finish_source({due.id, fc::task_status_code(progress.status), document}, holder_);
  std::lock_guard lock(mutex_);
  held_.erase(due.id);
}

}  // namespace crdex::cdex
