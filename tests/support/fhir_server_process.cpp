#include "support/fhir_server_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"

extern char** environ;

namespace crdex::test {

namespace {

// Start-up indexes the FHIR definitions (a few seconds); this only guards a hang.
constexpr auto kSafetyTimeout = std::chrono::seconds(60);

// Waits until the child ends: it closes its stdout (our pipe) when it exits.
bool wait_exit(pid_t pid, int stdout_fd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[512];
  for (;;) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fd{stdout_fd, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(std::min<long>(left.count(), 100))) > 0 && read(stdout_fd, buffer, sizeof buffer) == 0)
      return waitpid(pid, nullptr, 0) == pid;
  }
}

}  // namespace

FhirServerProcess::FhirServerProcess() {
  const auto script = (source_dir() / "tests" / "fhir-server" / "server.mjs").string();
  if (!std::filesystem::exists(source_dir() / "tests" / "fhir-server" / "node_modules"))
    throw std::runtime_error("tests/fhir-server/node_modules is missing: run .ci/install-deps");
  std::vector<std::string> args{"node", script};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
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
    throw std::runtime_error("cannot start node (is Node.js installed?)");
  }

  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + kSafetyTimeout;
  while (out.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("the FHIR server did not report readiness");
    pollfd fd{stdout_fd_, POLLIN, 0};
    poll(&fd, 1, static_cast<int>(left.count()));
    char buffer[512];
    const ssize_t n = read(stdout_fd_, buffer, sizeof buffer);
    if (n <= 0) throw std::runtime_error("the FHIR server exited before it was ready");
    out.append(buffer, static_cast<size_t>(n));
  }
  const std::string marker = "listening on ";
  const auto at = out.find(marker);
  if (at == std::string::npos) throw std::runtime_error("unexpected first line: " + out);
  base_url_ = out.substr(at + marker.size(), out.find('\n') - at - marker.size());
}

FhirServerProcess::~FhirServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    if (!wait_exit(pid_, stdout_fd_, std::chrono::seconds(10))) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

void FhirServerProcess::admin(const std::string& path, const std::string& body) const {
  const auto result = http_post(base_url_ + path, body);
  if (result.status != 200) throw std::runtime_error(path + " failed: " + result.body);
}

void FhirServerProcess::seed(const std::string& resource_or_bundle) const { admin("/$admin/seed", resource_or_bundle); }

void FhirServerProcess::set_page_size(int page_size) const {
  admin("/$admin/config", R"({"pageSize":)" + std::to_string(page_size) + "}");
}

void FhirServerProcess::admin_config(const std::string& config_json) const { admin("/$admin/config", config_json); }

void FhirServerProcess::set_fault(const std::string& fault_json) const { admin("/$admin/fault", fault_json); }

std::string FhirServerProcess::request_log() const {
  const auto result = http_get(base_url_ + "/$admin/log");
  if (result.status != 200) throw std::runtime_error("/$admin/log failed: " + result.body);
  return result.body;
}

int dead_local_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("cannot pick a free port");
  close(fd);  // bound but never listening: connections to it are refused
  return ntohs(address.sin_port);
}

}  // namespace crdex::test
