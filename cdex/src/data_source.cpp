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
    : store_(std::move(store)), options_(std::move(options)) {}

fhir::Result<std::unique_ptr<DataSource>> DataSource::start(std::shared_ptr<TaskStore> store,
                                                           DataSourceOptions options) {
  std::unique_ptr<DataSource> source(new DataSource(std::move(store), std::move(options)));
  // Work a previous run accepted but did not finish: in-progress ones were
  // interrupted mid-query and simply run again.
  for (const char* status : {"in-progress", "accepted"}) {
    auto pending = source->store_->sources(status);
    if (!pending) return pending.error();
    for (const auto& row : *pending) source->queue_.push_back(row.id);
  }
  source->worker_ = std::thread([raw = source.get()] { raw->run(); });
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
}

void DataSource::enqueue(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(id);
  }
  wake_.notify_one();
}

void DataSource::run() {
  for (;;) {
    std::string id;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      id = std::move(queue_.front());
      queue_.pop_front();
    }
    fulfil(id);
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
  if (task.progress.status == TaskStatus::accepted) enqueue(task.id);
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
  if (moved) enqueue(id);
  return moved;
}

fhir::Result<std::string> DataSource::reject(const std::string& id, const std::string& reason) {
  if (reason.empty())
    return fhir::Error{400, fhir::IssueType::required, "a rejection needs a reason (Task.statusReason)", "reason"};
  return move(id, TaskStatus::rejected, reason, {});
}

void DataSource::fulfil(const std::string& id) {
  auto row = store_->source(id);
  if (!row || !*row) return;
  if ((*row)->status != "accepted" && (*row)->status != "in-progress") return;
  auto task = fc::parse_data_request_task((*row)->document);
  if (!task) {
    (void)move(id, TaskStatus::failed, "the stored Task cannot be read: " + task.error().message, {});
    return;
  }
  // The reviewer's note (businessStatus) stays with the Task to the end.
  const std::string note = task->progress.business_status;
  if ((*row)->status == "accepted" && !move(id, TaskStatus::in_progress, {}, note)) return;
  const auto done = fulfil_request(options_, task->request);
  if (done.ok)
    (void)move(id, TaskStatus::completed, {}, note, {data_value_output()}, {done.result});
  else
    (void)move(id, TaskStatus::failed, done.problem, note);
}

}  // namespace crdex::cdex
