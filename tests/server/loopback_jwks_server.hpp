#pragma once
// A tiny JWK Set publisher for the client-authentication tests: a Pistache
// endpoint on 127.0.0.1:0 that serves the key sets the test sets, counts
// every request per path (keeping the last X-Request-Id), and stops on destruction.

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace Pistache::Http {
class Endpoint;
}

namespace crdex::test {

class LoopbackJwksServer {
 public:
  LoopbackJwksServer();
  ~LoopbackJwksServer();
  LoopbackJwksServer(const LoopbackJwksServer&) = delete;
  LoopbackJwksServer& operator=(const LoopbackJwksServer&) = delete;

  // http://127.0.0.1:PORT + path
  std::string url(const std::string& path) const;
  // Serves `json` at `path` from now on (404 for paths never set).
  void publish(const std::string& path, std::string json);
  // Requests seen for `path` so far.
  int requests(const std::string& path) const;
  // The X-Request-Id of the last request for `path` ("" without one).
  std::string last_request_id(const std::string& path) const;
  // Requests seen for any path so far.
  int total_requests() const;

  struct State {
    mutable std::mutex mutex;
    std::map<std::string, std::string> bodies;
    std::map<std::string, int> counts;
    std::map<std::string, std::string> request_ids;
  };

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
  std::string base_;
};

}  // namespace crdex::test
