#include "support/node_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "support/fixtures.hpp"

extern char** environ;

namespace crdex::test {

namespace {

// Start-up may index definitions for a few seconds; this only guards a hang.
constexpr auto kReadyTimeout = std::chrono::seconds(60);
constexpr auto kStopTimeout = std::chrono::seconds(10);

std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
}

// Waits until the child ends: it closes its stdout (our pipe) when it exits.
bool wait_exit(pid_t pid, int stdout_fd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[512];
  for (;;) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return true;
    const auto left = time_left(deadline);
    if (left.count() <= 0) return false;
    pollfd fd{stdout_fd, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(std::min<long>(left.count(), 100))) > 0 &&
        read(stdout_fd, buffer, sizeof buffer) == 0)
      return waitpid(pid, nullptr, 0) == pid;
  }
}

}  // namespace

NodeProcess::NodeProcess(const std::string& partner, const std::vector<std::string>& args, std::string label)
    : label_(std::move(label)) {
  const auto dir = source_dir() / "tests" / partner;
  if (!std::filesystem::exists(dir / "node_modules"))
    throw std::runtime_error("tests/" + partner + "/node_modules is missing: run .ci/install-deps");
  std::vector<std::string> command{"node", (dir / "server.mjs").string()};
  command.insert(command.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : command) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  const int spawned = posix_spawnp(&pid_, "node", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  stdout_fd_ = out_pipe[0];
  if (spawned != 0) {
    pid_ = -1;
    close(stdout_fd_);
    throw std::runtime_error("cannot start node (is Node.js installed?)");
  }
  try {
    const std::string line = read_ready_line();
    const std::string marker = "listening on ";
    const auto at = line.find(marker);
    if (at == std::string::npos) throw std::runtime_error(label_ + ": unexpected first line: " + line);
    url_ = line.substr(at + marker.size(), line.find('\n') - at - marker.size());
  } catch (...) {
    stop();  // a constructor that throws gets no destructor call
    throw;
  }
}

NodeProcess::~NodeProcess() { stop(); }

std::string NodeProcess::read_ready_line() {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  while (out.find('\n') == std::string::npos) {
    const auto left = time_left(deadline);
    if (left.count() <= 0) throw std::runtime_error(label_ + " did not report readiness");
    pollfd fd{stdout_fd_, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[512];
    const ssize_t n = read(stdout_fd_, buffer, sizeof buffer);
    if (n <= 0) throw std::runtime_error(label_ + " exited before it was ready");
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

void NodeProcess::stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    if (!wait_exit(pid_, stdout_fd_, kStopTimeout)) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
}

}  // namespace crdex::test
