#pragma once
// A small pool of threads for hook calls that wait on the network (Direct
// Query to the EHR's FHIR server). Pistache's event threads must never block:
// one blocked handler stalls every connection on its loop (stack.md).
// The queue is bounded: when every thread is busy and `max_queued` tasks
// wait, submit() refuses, so an overloaded server answers 503 at once
// instead of piling up work (and memory) that would time out anyway.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace crdex::server {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool();  // stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  enum class Submitted { accepted, full, stopping };

  // Runs `task` on a pool thread. Tasks must not throw. Unless accepted the
  // task is dropped: the queue is full, or the pool is stopping.
  Submitted submit(std::function<void()> task);

  // Runs every task already queued, then joins the threads. Idempotent.
  void stop();

  // Now: tasks waiting for a thread, and threads running one (metrics).
  size_t queued();
  size_t busy();

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  size_t max_queued_;
  size_t busy_ = 0;  // threads running a task
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace crdex::server
