#pragma once
// RuleSync: keeps a replica's live rules in step with the shared rule store.
// One thread waits for the store's change announcements (PostgreSQL
// LISTEN/NOTIFY, through RuleStore::change_feed) and, as a safety net for a
// missed one or a back end without announcements (SQLite files shared by
// two processes), checks the store's change generation every
// `check_interval`; on a change it has the RulePublisher reload and swap
// the catalog. Calls in flight finish on the snapshot they started with.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "crdex/hooks/rule_publisher.hpp"

namespace crdex::hooks {

struct RuleSyncOptions {
  std::chrono::milliseconds check_interval{500};
  // Errors (store unreachable) and swaps, for the server's log.
  std::function<void(bool error, const std::string& message)> report;
};

class RuleSync {
 public:
  RuleSync(std::shared_ptr<RulePublisher> publisher, RuleSyncOptions options);
  ~RuleSync();  // stops the thread
  RuleSync(const RuleSync&) = delete;
  RuleSync& operator=(const RuleSync&) = delete;

  void stop();

 private:
  void run();
  // Waits up to the check interval for an announcement or stop().
  void wait_for_change(config::RuleChangeFeed* feed);
  std::shared_ptr<RulePublisher> publisher_;
  RuleSyncOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace crdex::hooks
