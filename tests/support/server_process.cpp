#include "support/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "support/fixtures.hpp"

extern char** environ;

namespace crdex::test {

namespace {

constexpr auto kServerSafetyTimeout = std::chrono::seconds(60);

// Reads what is available on fd (non-blocking) into out; false at EOF.
bool drain_fd(int fd, std::string& out) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EINTR;
  }
}

ExitStatus decode(int status) {
  if (WIFEXITED(status)) return {true, WEXITSTATUS(status)};
  return {false, WIFSIGNALED(status) ? WTERMSIG(status) : -1};
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> extra_args, std::string rules_dir, bool expect_ready,
                             std::string data_dir, bool client_auth) {
  if (data_dir.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "crdex-server-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    data_dir_ = pattern;
    data_arg_ = data_dir_ + "/data";
  } else {
    data_arg_ = data_dir;
  }
  if (rules_dir.empty()) rules_dir = example_rules_dir().string();

  std::vector<std::string> args{server_executable().string(), "--rules", rules_dir, "--data", data_arg_,
                                "--threads", "2"};
  if (std::find(extra_args.begin(), extra_args.end(), "--listen") == extra_args.end())
    args.insert(args.begin() + 1, {"--listen", "127.0.0.1:0"});
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  if (!client_auth && std::find(extra_args.begin(), extra_args.end(), "--clients") == extra_args.end())
    args.emplace_back("--insecure-no-client-auth");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  stdout_fd_ = out_pipe[0];
  stderr_fd_ = err_pipe[0];
  fcntl(stdout_fd_, F_SETFL, O_NONBLOCK);
  fcntl(stderr_fd_, F_SETFL, O_NONBLOCK);
  if (spawned != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + args[0]);
  }
  if (!expect_ready) {
    start_draining();
    return;
  }

  // Wait for the one stdout line that says the server is ready.
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + kServerSafetyTimeout;
  while (out.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      give_up();
      throw std::runtime_error("crdex-server did not report readiness: " + stderr_);
    }
    pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
    poll(fds, 2, static_cast<int>(left.count()));
    drain_fd(stderr_fd_, stderr_);
    if (!drain_fd(stdout_fd_, out) && out.find('\n') == std::string::npos) {
      give_up();
      throw std::runtime_error("crdex-server exited before it was ready: " + stderr_);
    }
  }
  first_line_ = out.substr(0, out.find('\n'));
  stdout_ = out.substr(first_line_.size() + 1);
  const std::string marker = "listening on ";
  const auto at = first_line_.find(marker);
  if (at == std::string::npos) {
    give_up();
    throw std::runtime_error("unexpected first line: " + first_line_);
  }
  base_url_ = first_line_.substr(at + marker.size());
  start_draining();
}

void ServerProcess::start_draining() { drainer_ = std::thread([this] { drain_until_closed(); }); }

void ServerProcess::drain_until_closed() {
  for (;;) {
    int out_fd, err_fd;
    {
      std::lock_guard lock(output_mutex_);
      if ((!stdout_open_ && !stderr_open_) || stop_draining_) break;
      out_fd = stdout_open_ ? stdout_fd_ : -1;
      err_fd = stderr_open_ ? stderr_fd_ : -1;
    }
    // The time-out only lets the thread notice stop_draining_; data and EOF wake it at once.
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    poll(fds, 2, 200);
    std::lock_guard lock(output_mutex_);
    read_available();
  }
  std::lock_guard lock(output_mutex_);
  output_open_ = false;
  output_closed_.notify_all();
}

void ServerProcess::read_available() {
  if (stdout_open_) stdout_open_ = drain_fd(stdout_fd_, stdout_);
  if (stderr_open_) stderr_open_ = drain_fd(stderr_fd_, stderr_);
}

void ServerProcess::stop_draining() {
  stop_draining_ = true;
  if (drainer_.joinable()) drainer_.join();
}

ExitStatus ServerProcess::wait_for_exit(std::chrono::seconds timeout) {
  if (pid_ <= 0) return {};
  // The child closes its pipes when it exits; the drainer says when both are closed.
  {
    std::unique_lock lock(output_mutex_);
    if (!output_closed_.wait_for(lock, timeout, [this] { return !output_open_; })) return {};
  }
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) return {};
  pid_ = -1;
  return decode(status);
}

ExitStatus ServerProcess::stop(int signal) {
  if (pid_ <= 0) return {};
  kill(pid_, signal);
  return wait_for_exit(kServerSafetyTimeout);
}

void ServerProcess::send_signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

std::string ServerProcess::stderr_text() {
  std::lock_guard lock(output_mutex_);
  read_available();  // what the child wrote up to now, not only what the drainer has read
  return stderr_;
}

std::string ServerProcess::stdout_text() {
  std::lock_guard lock(output_mutex_);
  read_available();
  return stdout_;
}

void ServerProcess::give_up() {
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  drain_fd(stderr_fd_, stderr_);
  close(stdout_fd_);
  close(stderr_fd_);
  stdout_fd_ = stderr_fd_ = -1;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    if (wait_for_exit(kServerSafetyTimeout).code == -1 && pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  stop_draining();
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (stderr_fd_ >= 0) close(stderr_fd_);
  std::error_code ignored;
  if (!data_dir_.empty()) std::filesystem::remove_all(data_dir_, ignored);
}

}  // namespace crdex::test
