#include "smart/auth_server_process.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

#include "support/http_client.hpp"

extern char** environ;

namespace crdex::test {

namespace {

constexpr auto kSafetyTimeout = std::chrono::seconds(60);

size_t discard(char*, size_t size, size_t count, void*) { return size * count; }

}  // namespace

AuthServerProcess::AuthServerProcess(const std::string& config_json) {
  const auto dir = source_dir() / "tests" / "auth-server";
  if (!std::filesystem::exists(dir / "node_modules" / "oidc-provider"))
    throw std::runtime_error("tests/auth-server/node_modules is missing: run .ci/install-deps");
  const auto config_file = (dir_.path() / "config.json").string();
  std::ofstream(config_file) << config_json;
  std::vector<std::string> args{"node", (dir / "server.mjs").string(), config_file};
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
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("the auth server did not report readiness");
    pollfd fd{stdout_fd_, POLLIN, 0};
    poll(&fd, 1, static_cast<int>(left.count()));
    char buffer[512];
    const ssize_t n = read(stdout_fd_, buffer, sizeof buffer);
    if (n <= 0) throw std::runtime_error("the auth server exited before it was ready");
    out.append(buffer, static_cast<size_t>(n));
  }
  const std::string marker = "listening on ";
  const auto at = out.find(marker);
  if (at == std::string::npos) throw std::runtime_error("unexpected first line: " + out);
  issuer_ = out.substr(at + marker.size(), out.find('\n') - at - marker.size());
}

AuthServerProcess::~AuthServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool exited = false;
    while (!exited && std::chrono::steady_clock::now() < deadline) {
      pollfd fd{stdout_fd_, POLLIN, 0};
      char buffer[256];
      if (poll(&fd, 1, 100) > 0 && read(stdout_fd_, buffer, sizeof buffer) == 0) exited = true;
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
    }
    if (pid_ > 0) {
      if (!exited) kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

std::string AuthServerProcess::errors() const {
  const auto result = http_get(issuer_ + "/$admin/errors");
  if (result.status != 200) throw std::runtime_error("/$admin/errors failed");
  return result.body;
}

std::string follow_to_redirect(const std::string& start, const std::string& redirect_prefix) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), curl_easy_cleanup);
  CURL* h = easy.get();
  curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");  // cookies in memory, like a browser session
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  std::string url = start;
  for (int hop = 0; hop < 12; ++hop) {
    if (url.starts_with(redirect_prefix)) return url;
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    if (curl_easy_perform(h) != CURLE_OK) throw std::runtime_error("GET " + url + " failed");
    long status = 0;
    char* location = nullptr;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);  // resolved against the current URL
    if (status < 300 || status >= 400 || !location)
      throw std::runtime_error("GET " + url + " answered " + std::to_string(status) + " instead of a redirect");
    url = location;
  }
  throw std::runtime_error("too many redirects from " + start);
}

}  // namespace crdex::test
