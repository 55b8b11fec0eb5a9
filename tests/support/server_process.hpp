#pragma once
// A real crdex-server child process on 127.0.0.1:0 (or on the --listen that
// `extra_args` give). The constructor returns
// once the server has printed its "listening on" line; the destructor stops it
// with SIGTERM (SIGKILL only if it does not exit within the safety time-out).
// A thread reads the child's stdout and stderr as it writes them: a server
// that logs a line per call would otherwise fill the pipe (64 KiB) and block
// in write(2) after a few hundred calls, hanging every request.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
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
  // What the process wrote to stdout after its first line so far (e.g.
  // --version's text once it has exited).
  std::string stdout_text();
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
  // Reads both pipes into stdout_/stderr_ until the child closes them.
  void drain_until_closed();
  void start_draining();
  void stop_draining();
  // Appends what the pipes hold now; under output_mutex_.
  void read_available();
  // Before the drainer runs: the child did not come up; kill it, keep its stderr.
  void give_up();

  std::mutex output_mutex_;
  std::condition_variable output_closed_;
  bool output_open_ = true;  // under output_mutex_; false once the drainer has ended
  bool stdout_open_ = true;  // under output_mutex_
  bool stderr_open_ = true;  // under output_mutex_
  std::string stderr_;       // under output_mutex_
  std::string stdout_;       // under output_mutex_
  std::atomic<bool> stop_draining_{false};
  std::thread drainer_;
};

}  // namespace crdex::test
