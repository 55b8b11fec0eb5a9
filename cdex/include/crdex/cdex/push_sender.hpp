#pragma once
// The sender of provider-initiated pushes (CDex P2): one thread that takes the
// due items of the PushQueue and POSTs each one's $submit-attachment to its
// destination — where and with which bearer token the face decides (`route`,
// crdex-server: the --destinations entry and its Backend Services or static
// credential, asked for at each attempt). A 2xx answer marks the item sent; a
// transport failure, 408, 425, 429 or 5xx is retried after an exponential
// backoff (initial * 2^(attempt-1), at most `max_backoff`), or after the
// payer's Retry-After when that is longer; another answer, or the last of
// `max_attempts`, marks it failed. Every attempt is recorded in the queue and
// reported. One thread and state committed per attempt: nothing is sent twice
// (a crash in the instant between the payer's answer and the commit aside).
// Replicas sharing one queue each run a sender; each item is leased
// (PushQueue::claim_next) for `claim_lease` before it is sent, so only one
// sends it, and an item whose sender died is sent by another once the lease
// has run out.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "crdex/cdex/attachments.hpp"
#include "crdex/cdex/push_queue.hpp"

namespace crdex::cdex {

struct PushSenderOptions {
  int max_attempts = 8;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{300'000};
  bool allow_plain_http = false;
  std::chrono::milliseconds send_timeout{30'000};
  // How long one attempt may take before another replica may take the item
  // over (longer than asking for a token plus send_timeout).
  std::chrono::milliseconds claim_lease{120'000};
  // The longest the sender sleeps before looking at the queue again, for
  // items other replicas queued (or left, dying) meanwhile.
  std::chrono::milliseconds rescan{10'000};
  // The URL ([base]/$submit-attachment) and token for a destination name; an Error counts as a failed attempt.
  std::function<fhir::Result<OutboxTarget>(std::string_view destination)> route;
  // Each attempt and state change, for the log (error: a failed attempt or item).
  std::function<void(bool error, const std::string& message)> report;
};

class PushSender {
 public:
  PushSender(std::shared_ptr<PushQueue> queue, PushSenderOptions options);
  ~PushSender();
  PushSender(const PushSender&) = delete;
  PushSender& operator=(const PushSender&) = delete;

  // Starts the thread (it first sends what a previous run left queued).
  void start();
  // Something was queued: look again now.
  void wake();
  // Finishes the attempt in progress (committed) and ends the thread.
  void stop();

  // The wait before attempt `attempt` + 1 after `attempt` failed, given the
  // payer's Retry-After (seconds, or nullopt).
  static std::chrono::milliseconds backoff(const PushSenderOptions& options, int attempt,
                                           std::optional<std::chrono::seconds> retry_after);

  const std::shared_ptr<PushQueue>& queue() const { return queue_; }

 private:
  void run();
  void send_one(const PushItem& item);
  void report(bool error, const std::string& message) const;

  std::shared_ptr<PushQueue> queue_;
  PushSenderOptions options_;
  const std::string holder_;  // this sender's name on the leases it takes
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

// Milliseconds since the epoch (the queue's clock, which survives a restart).
int64_t push_clock_ms();

}  // namespace crdex::cdex
