#pragma once
// A small pool of threads for hook calls that wait on the network (Direct
// Query to the EHR's FHIR server). Pistache's event threads must never block:
// one blocked handler stalls every connection on its loop (stack.md).

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace crdex::server {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();  // stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `task` on a pool thread. Tasks must not throw. Returns false (and
  // drops the task) once the pool is stopping.
  bool submit(std::function<void()> task);

  // Runs every task already queued, then joins the threads. Idempotent.
  void stop();

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace crdex::server
