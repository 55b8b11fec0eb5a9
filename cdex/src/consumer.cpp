#include "crdex/cdex/consumer.hpp"

#include <simdjson.h>

#include <algorithm>

#include "crdex/fhir/direct_query.hpp"
#include "crdex/cdex/task_posting.hpp"
#include "crdex/fhir/fhir_write.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/instant.hpp"

namespace crdex::cdex {

namespace fc = fhir::cdex;

namespace {

fhir::DirectQueryOptions direct_options(const ConsumerOptions& options) {
  fhir::DirectQueryOptions direct;
  direct.deadline = std::chrono::steady_clock::now() + options.request_timeout;
  direct.max_pages = options.max_pages;
  direct.allow_plain_http = options.allow_plain_http;
  return direct;
}

// The bearer token for a call to `base`: the destination's (token_for), else
// the static source_token.
fhir::Result<std::string> source_token_for(const ConsumerOptions& options, const std::string& base) {
  if (!options.token_for) return options.source_token;
  auto token = options.token_for(base);
  if (token && token->empty()) return options.source_token;
  return token;
}

fhir::QueryAnswer get_from_source(const ConsumerOptions& options, const std::string& base, const std::string& path) {
  auto token = source_token_for(options, base);
  if (!token) {
    fhir::QueryAnswer failed;
    failed.outcome = fhir::QueryAnswer::Outcome::unreachable;
    failed.problem = token.error().message;
    return failed;
  }
  const fhir::FhirServerAccess server{base, *token};
  auto answers = fhir::run_direct_queries(server, std::span<const std::string>(&path, 1), direct_options(options));
  return std::move(answers.front());
}

// The resources a completed Task's outputs point at, as a JSON array: a
// "#id" reference is taken from Task.contained, any other relative one is
// read from the source. Empty with `problem` set when one cannot be had.
std::string fetch_outputs(const ConsumerOptions& options, const std::string& base, const fc::DataRequestTask& task,
                          std::string& problem) {
  simdjson::dom::parser parser;
  std::string array = "[";
  for (const auto& output : task.progress.outputs) {
    simdjson::dom::element entry;
    std::string_view reference;
    if (parser.parse(output).get(entry) != simdjson::SUCCESS ||
        entry["valueReference"]["reference"].get(reference) != simdjson::SUCCESS)
      continue;  // an output by value (valueString, ...) has nothing to fetch
    std::string resource;
    if (reference.starts_with("#")) {
      const auto wanted = reference.substr(1);
      simdjson::dom::parser contained_parser;
      for (const auto& contained : task.progress.contained) {
        simdjson::dom::element element;
        std::string_view id;
        if (contained_parser.parse(contained).get(element) == simdjson::SUCCESS &&
            element["id"].get(id) == simdjson::SUCCESS && id == wanted) {
          resource = contained;
          break;
        }
      }
      if (resource.empty()) {
        problem = "output " + std::string(reference) + " is not among the Task's contained resources";
        return {};
      }
    } else {
      const auto answer = get_from_source(options, base, std::string(reference));
      if (!answer.ok()) {
        problem = "output " + std::string(reference) + " could not be read: " + answer.problem;
        return {};
      }
      resource = answer.body;
    }
    array += (array.size() > 1 ? "," : "") + resource;
  }
  return array + "]";
}

}  // namespace

Consumer::Consumer(std::shared_ptr<TaskStore> store, ConsumerOptions options)
    : store_(std::move(store)), options_(std::move(options)), holder_("consumer " + fhir::random_uuid()) {}

fhir::Result<std::unique_ptr<Consumer>> Consumer::start(std::shared_ptr<TaskStore> store, ConsumerOptions options) {
  std::unique_ptr<Consumer> consumer(new Consumer(std::move(store), std::move(options)));
  auto followed = consumer->store_->followed_requests();  // fails early on a broken store
  if (!followed) return followed.error();
  consumer->scheduler_ = std::thread([raw = consumer.get()] { raw->run(); });
  return consumer;
}

Consumer::~Consumer() { stop(); }

void Consumer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  changed_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
}

void Consumer::changed() {
  {
    std::lock_guard lock(mutex_);
    ++generation_;
  }
  wake_.notify_all();
  changed_.notify_all();
}

void Consumer::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const uint64_t seen = generation_;
    lock.unlock();
    // Claim the soonest due request (no other replica polls it meanwhile).
    auto claimed = store_->claim_due_request(fhir::now_epoch_ms(), holder_, options_.claim_lease.count());
    if (claimed && *claimed) {
      poll(std::move(**claimed));
      lock.lock();
      continue;
    }
    auto next = claimed ? store_->next_claimable_ms() : fhir::Result<std::optional<int64_t>>(claimed.error());
    lock.lock();
    // A store that failed is tried again a little later; otherwise sleep until
    // the next request is claimable, a new one is made here, or `rescan`.
    std::chrono::milliseconds wait = options_.rescan;
    if (!next) wait = std::min<std::chrono::milliseconds>(wait, std::chrono::seconds(1));
    else if (*next) wait = std::clamp<std::chrono::milliseconds>(std::chrono::milliseconds(**next - fhir::now_epoch_ms()),
                                                                 std::chrono::milliseconds(0), options_.rescan);
    if (wait.count() > 0) wake_.wait_for(lock, wait, [&] { return stopping_ || generation_ != seen; });
  }
}

void Consumer::poll(ConsumerRequestRow row) {
  const int64_t offset = fhir::now_epoch_ms() - row.created_ms;
  const auto answer = get_from_source(options_, row.source, "Task/" + row.remote_id);
  row.problem.clear();
  if (!answer.ok()) {
    row.problem = answer.problem;
  } else if (auto task = fc::parse_data_request_task(answer.body); !task) {
    row.problem = "the source's Task is not a CDex data request: " + task.error().message;
  } else {
    row.task = answer.body;
    row.status = fc::task_status_code(task->progress.status);
    row.status_reason = task->progress.status_reason;
    if (task->progress.status == fc::TaskStatus::completed) row.outputs = fetch_outputs(options_, row.source, *task, row.problem);
  }
  row.polls += 1;
  row.last_poll_offset_ms = offset;
  const auto status = fc::parse_task_status(row.status);
  const bool done = status && fc::is_terminal(*status) && row.problem.empty();
  row.next_poll_ms =
      done ? 0
           : row.created_ms + fc::next_poll_offset(options_.cadence, std::chrono::milliseconds(offset), true).count();
  // Stored (and the lease freed) only while this scheduler holds the lease: a
  // replica that took the request over after it expired keeps its own outcome.
  (void)store_->finish_poll(row, holder_);
  changed();
}

fhir::Result<ConsumerRequestRow> Consumer::request(const std::string& source_base, const fc::DataRequest& request) {
  const std::string task = fc::build_data_request_task(request);
  auto token = source_token_for(options_, source_base);
  if (!token) return fhir::Error{502, fhir::IssueType::security, token.error().message, ""};
  const TaskPosting to{source_base, *token, options_.request_timeout, options_.allow_plain_http};
  const auto answer = post_task(to, task);
  if (!answer.ok()) {
    std::string detail;
    simdjson::dom::parser parser;
    simdjson::dom::element outcome;
    std::string_view diagnostics, expression;
    if (parser.parse(answer.body).get(outcome) == simdjson::SUCCESS &&
        outcome["issue"].at(0)["diagnostics"].get(diagnostics) == simdjson::SUCCESS) {
      detail = ": " + std::string(diagnostics);
      if (outcome["issue"].at(0)["expression"].at(0).get(expression) == simdjson::SUCCESS)
        return fhir::Error{502, fhir::IssueType::processing, "the data source refused the Task" + detail,
                           std::string(expression)};
    }
    return fhir::Error{502, fhir::IssueType::processing, answer.problem + detail, ""};
  }
  auto created = fc::parse_data_request_task(answer.body);
  if (!created || created->id.empty())
    return fhir::Error{502, fhir::IssueType::processing,
                       "the data source did not answer with the Task it created" +
                           (created ? std::string() : ": " + created.error().message),
                       ""};
  ConsumerRequestRow row;
  row.id = fhir::random_uuid();
  row.source = source_base;
  row.remote_id = created->id;
  row.status = fc::task_status_code(created->progress.status);
  row.status_reason = created->progress.status_reason;
  row.created_ms = fhir::now_epoch_ms();
  row.task = answer.body;
  row.outputs = "[]";
  // A Task refused at once is already final; anything else is polled.
  row.next_poll_ms = fc::is_terminal(created->progress.status) && created->progress.status != fc::TaskStatus::completed
                         ? 0
                         : row.created_ms + options_.cadence.first.count();
  auto saved = store_->save_request(row);
  if (!saved) return saved.error();
  changed();
  return row;
}

fhir::Result<ConsumerRequestRow> Consumer::follow(const std::string& source_base, const std::string& task_id) {
  if (auto refused = fhir::check_fhir_server_url(source_base, options_.allow_plain_http)) return *refused;
  ConsumerRequestRow row;
  row.id = fhir::random_uuid();
  row.source = source_base;
  row.remote_id = task_id;
  row.status = "requested";  // not known before the first poll
  row.created_ms = fhir::now_epoch_ms();
  row.outputs = "[]";
  row.next_poll_ms = row.created_ms + options_.cadence.first.count();
  auto saved = store_->save_request(row);
  if (!saved) return saved.error();
  changed();
  return row;
}

fhir::Result<std::optional<ConsumerRequestRow>> Consumer::get(const std::string& id) const { return store_->request(id); }

fhir::Result<std::optional<ConsumerRequestRow>> Consumer::wait_until_done(const std::string& id,
                                                                          std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    auto row = store_->request(id);
    if (!row || !*row || (*row)->next_poll_ms == 0 || stopping_) return row;
    if (std::chrono::steady_clock::now() >= deadline) return row;
    // Another replica may be the one that polls it: look again every second too.
    const uint64_t seen = generation_;
    const auto until = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(1));
    changed_.wait_until(lock, until, [&] { return stopping_ || generation_ != seen; });
  }
}

}  // namespace crdex::cdex
