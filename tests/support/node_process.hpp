#pragma once
// A Node.js test partner (tests/<partner>/server.mjs) as a child process: the
// constructor starts it and returns once its first stdout line says
// "listening on <url>" (it picks its own port on 127.0.0.1); the destructor
// stops it (SIGTERM, SIGKILL if it lingers) and reaps it. The time-outs only
// guard against a hang, they never pace a test.

#include <sys/types.h>

#include <string>
#include <vector>

namespace crdex::test {

class NodeProcess {
 public:
  // Runs `node tests/<partner>/server.mjs <args...>`; `label` names the
  // partner in errors ("the FHIR server"). Throws when node_modules is
  // missing, node cannot start, or the partner exits or hangs before it is
  // ready (and then leaves no child behind).
  NodeProcess(const std::string& partner, const std::vector<std::string>& args, std::string label);
  ~NodeProcess();
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  // What followed "listening on ", e.g. http://127.0.0.1:PORT.
  const std::string& url() const { return url_; }

 private:
  std::string read_ready_line();
  void stop();

  std::string label_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string url_;
};

}  // namespace crdex::test
