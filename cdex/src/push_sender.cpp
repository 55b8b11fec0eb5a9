#include "crdex/cdex/push_sender.hpp"

#include <algorithm>

#include "crdex/fhir/http_client.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/instant.hpp"
#include "crdex/fhir/submit_attachment.hpp"

namespace crdex::cdex {

namespace {

bool push_retryable(long status) { return status == 0 || status == 408 || status == 425 || status == 429 || status >= 500; }

// The payer's answer, shortened for the record (its OperationOutcome's first words).
std::string push_answer_excerpt(const std::string& body) {
  std::string text = body.substr(0, 300);
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return text;
}

}  // namespace

int64_t push_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

PushSender::PushSender(std::shared_ptr<PushQueue> queue, PushSenderOptions options)
    : queue_(std::move(queue)), options_(std::move(options)), holder_("push sender " + fhir::random_uuid()) {}

PushSender::~PushSender() { stop(); }

void PushSender::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void PushSender::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void PushSender::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::chrono::milliseconds PushSender::backoff(const PushSenderOptions& options, int attempt,
                                              std::optional<std::chrono::seconds> retry_after) {
  auto wait = options.initial_backoff;
  for (int i = 1; i < attempt && wait < options.max_backoff; ++i) wait *= 2;
  wait = std::min(wait, options.max_backoff);
  if (retry_after) wait = std::max<std::chrono::milliseconds>(wait, *retry_after);
  return wait;
}

void PushSender::report(bool error, const std::string& message) const {
  if (options_.report) options_.report(error, message);
}

void PushSender::run() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      woken_ = false;
    }
    // Send what is due, one claimed item at a time (no other replica sends it meanwhile).
    fhir::Result<std::optional<PushItem>> claimed = std::optional<PushItem>();
    for (;;) {
      claimed = queue_->claim_next(push_clock_ms(), holder_, options_.claim_lease.count());
      if (!claimed || !*claimed) break;
      send_one(**claimed);
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    if (!claimed) report(true, "push queue: " + claimed.error().message);
    // Sleep until the next item can be claimed, something is queued here,
    // `rescan` passes (other replicas queue too), or stop.
    std::chrono::milliseconds wait = std::min<std::chrono::milliseconds>(options_.rescan, std::chrono::seconds(1));
    if (claimed) {
      auto next = queue_->next_due_ms();
      wait = options_.rescan;
      if (!next) wait = std::min<std::chrono::milliseconds>(wait, std::chrono::seconds(1));
      else if (*next)
        wait = std::clamp<std::chrono::milliseconds>(std::chrono::milliseconds(**next - push_clock_ms()),
                                                     std::chrono::milliseconds(0), options_.rescan);
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, wait, [this] { return stopping_ || woken_; });
  }
}

void PushSender::send_one(const PushItem& item) {
  PushAttempt attempt;
  attempt.attempt = item.attempts + 1;
  std::optional<std::chrono::seconds> retry_after;
  bool permanent = false;  // no use trying again (a destination not configured)
  const std::string what = "push " + std::to_string(item.id) + " (" + item.what + " of " + item.subject + " to " +
                           item.destination + ", attempt " + std::to_string(attempt.attempt) + ")";
  auto target = options_.route ? options_.route(item.destination)
                               : fhir::Result<OutboxTarget>(fhir::Error{500, fhir::IssueType::exception,
                                                                        "no outbound destinations are set up", ""});
  if (!target) {
    attempt.error = target.error().message;
    permanent = target.error().http_status == 400;
  } else {
    auto receipt = fhir::send_submit_attachment(target->url, item.parameters, target->token, options_.allow_plain_http,
                                                options_.send_timeout);
    if (!receipt) {
      attempt.error = receipt.error().message;
    } else {
      attempt.status = receipt->http_status;
      if (attempt.status < 200 || attempt.status >= 300)
        attempt.error = "the payer answered " + std::to_string(attempt.status) + ": " +
                        push_answer_excerpt(receipt->body);
      if (!receipt->retry_after.empty())
        retry_after = fhir::retry_after_seconds(receipt->retry_after, std::chrono::seconds(0));
    }
  }
  attempt.at = fhir::now_instant();
  std::string state = "sent";
  int64_t next_ms = 0;
  if (!attempt.error.empty()) {
    const bool again = !permanent && push_retryable(attempt.status) && attempt.attempt < options_.max_attempts;
    state = again ? "queued" : "failed";
    if (again) next_ms = push_clock_ms() + backoff(options_, attempt.attempt, retry_after).count();
  }
  auto recorded = queue_->record_attempt(item.id, attempt, state, next_ms, holder_);
  if (!recorded) {
    report(true, what + ": the outcome could not be recorded: " + recorded.error().message);
    return;
  }
  if (!*recorded) {
    report(true, what + ": the outcome was not recorded: the item's lease ran out and another sender took it");
    return;
  }
  if (state == "sent") report(false, what + ": accepted by the payer (" + std::to_string(attempt.status) + ")");
  else if (state == "queued")
    report(true, what + " failed: " + attempt.error + "; next attempt in " +
                     std::to_string((next_ms - push_clock_ms() + 999) / 1000) + " s");
  else report(true, what + " failed for good (" + item.key + "): " + attempt.error);
}

}  // namespace crdex::cdex
