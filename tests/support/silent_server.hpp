#pragma once
// A server on 127.0.0.1 that never answers: connections complete in its
// listen backlog and wait there, so a call to it (a prefetch query, a CDex
// fulfilment's query) stays in flight until the caller's own time-out. Tests
// use it to hold work in progress at a replica, deterministically.

#include <cstdint>
#include <string>

namespace crdex::test {

class SilentServer {
 public:
  SilentServer();  // throws when it cannot listen
  ~SilentServer();
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;

  uint16_t port() const { return port_; }
  // Its (never answering) FHIR base: http://127.0.0.1:PORT/fhir.
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/fhir"; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace crdex::test
