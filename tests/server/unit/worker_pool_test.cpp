// The query worker pool: runs tasks off the caller's thread, refuses beyond
// its bound instead of queueing without limit, and runs what is queued before
// it stops.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "worker_pool.hpp"

using crdex::server::WorkerPool;

namespace {

// A gate the test opens: tasks wait on it, so "busy" is a state, not a timing.
struct PoolGate {
  std::mutex mutex;
  std::condition_variable changed;
  bool open = false;
  int waiting = 0;

  void pass() {
    std::unique_lock lock(mutex);
    ++waiting;
    changed.notify_all();
    changed.wait(lock, [this] { return open; });
  }
  void wait_for_waiting(int n) {
    std::unique_lock lock(mutex);
    BOOST_REQUIRE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return waiting >= n; }));
  }
  void release() {
    std::lock_guard lock(mutex);
    open = true;
    changed.notify_all();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(server_worker_pool)

BOOST_AUTO_TEST_CASE(tasks_run_and_stop_runs_the_queued_ones_first) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2, 16);
    for (int i = 0; i < 10; ++i) BOOST_TEST((pool.submit([&] { ++ran; }) == WorkerPool::Submitted::accepted));
    pool.stop();
    BOOST_TEST(ran == 10);
    BOOST_TEST((pool.submit([&] { ++ran; }) == WorkerPool::Submitted::stopping));
    pool.stop();  // idempotent
  }
  BOOST_TEST(ran == 10);
}

BOOST_AUTO_TEST_CASE(a_busy_pool_with_a_full_queue_refuses) {
  PoolGate gate;
  std::atomic<int> ran{0};
  WorkerPool pool(1, 1);
  BOOST_TEST((pool.submit([&] { gate.pass(); ++ran; }) == WorkerPool::Submitted::accepted));
  gate.wait_for_waiting(1);  // the one thread is busy
  BOOST_TEST((pool.submit([&] { ++ran; }) == WorkerPool::Submitted::accepted));  // queued
  BOOST_TEST((pool.submit([&] { ++ran; }) == WorkerPool::Submitted::full));
  gate.release();
  pool.stop();
  BOOST_TEST(ran == 2);
}

BOOST_AUTO_TEST_SUITE_END()
