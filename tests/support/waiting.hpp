#pragma once
// Waiting for what another process does (a replica's lease, a job's state, a
// server's log), bounded: the condition is checked every 10 ms until it holds
// or the time limit passes, and then the test fails naming what it waited
// for. The limit is a safety net, never the synchronisation itself. Also
// what such tests read from answers and logs.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <thread>

namespace crdex::test {

template <class Ready>
void wait_until(Ready ready, const char* what, std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) BOOST_FAIL(std::string("timed out waiting for ") + what);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // paces the checks
  }
}

// How often `what` stands in `text` (a partner's request log, say).
inline size_t count_occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The value of the first "id" in a JSON answer (a created resource's id).
inline std::string first_id_in(const std::string& body) {
  const std::string key = "\"id\":\"";
  const auto at = body.find(key);
  if (at == std::string::npos) return {};
  const auto start = at + key.size();
  return body.substr(start, body.find('"', start) - start);
}

}  // namespace crdex::test
