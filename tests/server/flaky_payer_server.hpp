#pragma once
// A payer's $submit-attachment endpoint for the push tests: a Pistache
// endpoint on 127.0.0.1:0 that answers its first `failures` POSTs with 503
// and Retry-After, then 200 with an informational OperationOutcome; it keeps
// each request's time, Authorization header and body. Stops on destruction.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace Pistache::Http {
class Endpoint;
}

namespace crdex::test {

class FlakyPayerServer {
 public:
  FlakyPayerServer(int failures, int retry_after_seconds);
  ~FlakyPayerServer();
  FlakyPayerServer(const FlakyPayerServer&) = delete;
  FlakyPayerServer& operator=(const FlakyPayerServer&) = delete;

  std::string base_url() const { return base_ + "/payer"; }  // the destination's base URL

  struct Received {
    std::chrono::steady_clock::time_point at;
    std::string path;
    std::string authorization;
    std::string body;
    int answered = 0;
  };
  std::vector<Received> received() const;
  // From now on every POST fails (n < 0) or `n` more fail.
  void set_failures(int n);

  struct State {
    mutable std::mutex mutex;
    int failures = 0;
    int retry_after = 0;
    std::vector<Received> received;
  };

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
  std::string base_;
};

}  // namespace crdex::test
