#pragma once
// RuleChangeFeed: announcements that another connection (another replica, or
// crdex-rules) changed the rule store. An announcement is a hint to compare
// RuleStore::generation() now rather than at the next periodic check; a
// missed one costs at most that check's interval, never correctness.

#include <chrono>

namespace crdex::config {

class RuleChangeFeed {
 public:
  virtual ~RuleChangeFeed() = default;
  // Blocks up to `timeout`; true when a change was announced meanwhile.
  virtual bool wait(std::chrono::milliseconds timeout) = 0;
};

}  // namespace crdex::config
