#pragma once
// A real crdex-server child process on 127.0.0.1:0 (or on the --listen that
// `extra_args` give). The constructor returns
// once the server has printed its "listening on" line; the destructor stops it
// with SIGTERM (SIGKILL only if it does not exit within the safety time-out).

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace crdex::test {

struct ExitStatus {
  bool exited = false;  // false: killed by a signal or still running
  int code = -1;
};

class ServerProcess {
 public:
  // `extra_args` are appended to --listen/--rules/--data. When `expect_ready`
  // is false the process is expected to exit on its own (bad options). A
  // given `data_dir` is used as --data and kept (restart tests); otherwise a
  // fresh one is made and removed. CDS client authentication is switched
  // off (--insecure-no-client-auth) unless `extra_args` give --clients or
  // `client_auth` is true (the server's own default: every call refused).
  explicit ServerProcess(std::vector<std::string> extra_args = {}, std::string rules_dir = {},
                         bool expect_ready = true, std::string data_dir = {}, bool client_auth = false);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& base_url() const { return base_url_; }  // http://127.0.0.1:PORT
  const std::string& first_stdout_line() const { return first_line_; }

  // Sends `signal` and waits (bounded) for the exit.
  ExitStatus stop(int signal);
  // Sends `signal` and returns at once (the process goes on draining).
  void send_signal(int signal);
  // Waits (bounded) for the process to end by itself.
  ExitStatus wait_for_exit(std::chrono::seconds timeout = std::chrono::seconds(60));
  // Everything the process wrote to stderr so far (after it ended: all of it).
  std::string stderr_text();
  // What the process wrote to stdout after its first line (collected while
  // waiting for its exit; e.g. --version's text).
  const std::string& stdout_text() const { return stdout_; }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string data_dir_;  // removed on destruction when we made it
  std::string data_arg_;
  std::string base_url_;
  std::string first_line_;
  std::string stderr_;
  std::string stdout_;
};

}  // namespace crdex::test
