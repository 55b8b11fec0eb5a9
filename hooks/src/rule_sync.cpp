#include "crdex/hooks/rule_sync.hpp"

#include <algorithm>

namespace crdex::hooks {

namespace {
// How long one wait on the change feed may block before stop() is looked at.
constexpr std::chrono::milliseconds kFeedSlice{100};
}  // namespace

RuleSync::RuleSync(std::shared_ptr<RulePublisher> publisher, RuleSyncOptions options)
    : publisher_(std::move(publisher)), options_(std::move(options)) {
  thread_ = std::thread([this] { run(); });
}

RuleSync::~RuleSync() { stop(); }

void RuleSync::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RuleSync::wait_for_change(config::RuleChangeFeed* feed) {
  const auto until = std::chrono::steady_clock::now() + options_.check_interval;
  if (!feed) {
    std::unique_lock lock(mutex_);
    wake_.wait_until(lock, until, [this] { return stopping_; });
    return;
  }
  while (std::chrono::steady_clock::now() < until) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (feed->wait(std::clamp(left, std::chrono::milliseconds(1), kFeedSlice))) return;
  }
}

void RuleSync::run() {
  std::unique_ptr<config::RuleChangeFeed> feed;
  bool feed_opened = false;
  bool feed_reported = false;
  bool failing = false;
  auto report = [this](bool error, const std::string& message) {
    if (options_.report) options_.report(error, message);
  };
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    if (!feed_opened) {
      auto opened = publisher_->store().change_feed();
      if (opened) {
        feed = std::move(opened).value();
        feed_opened = true;
      } else if (!feed_reported) {
        report(true, "rule sync: " + opened.error().message + " (checking the store every interval instead)");
        feed_reported = true;
      }
    }
    auto refreshed = publisher_->refresh_if_changed();
    if (!refreshed) {
      if (!failing) report(true, "rule sync: " + refreshed.error().message);
      failing = true;
    } else {
      if (failing) report(false, "rule sync: the rule store answers again");
      failing = false;
      if (*refreshed) report(false, "rule sync: loaded the rule store's current versions");
    }
    wait_for_change(feed.get());
  }
}

}  // namespace crdex::hooks
