#include "worker_pool.hpp"

namespace crdex::server {

WorkerPool::WorkerPool(int threads, size_t max_queued) : max_queued_(max_queued) {
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() { stop(); }

size_t WorkerPool::queued() {
  std::lock_guard lock(mutex_);
  return tasks_.size();
}

size_t WorkerPool::busy() {
  std::lock_guard lock(mutex_);
  return busy_;
}

WorkerPool::Submitted WorkerPool::submit(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return Submitted::stopping;
    // Room for one task per idle thread plus `max_queued_` waiting ones.
    if (tasks_.size() + busy_ >= threads_.size() + max_queued_) return Submitted::full;
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
  return Submitted::accepted;
}

void WorkerPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
}

void WorkerPool::work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, and nothing left to run
      task = std::move(tasks_.front());
      tasks_.pop_front();
      ++busy_;
    }
    task();
    std::lock_guard lock(mutex_);
    --busy_;
  }
}

}  // namespace crdex::server
