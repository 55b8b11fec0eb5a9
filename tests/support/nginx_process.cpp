#include "support/nginx_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "support/fixtures.hpp"

namespace fs = std::filesystem;

namespace crdex::test {

namespace {

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

void run_quietly(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("failed: " + command);
}

fs::path nginx_binary() {
  for (const char* candidate : {"/usr/sbin/nginx", "/usr/bin/nginx"})
    if (access(candidate, X_OK) == 0) return candidate;
  throw std::runtime_error("nginx is not installed (.ci/install-deps installs it)");
}

}  // namespace

void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("the nginx configuration no longer contains: " + from);
  text.replace(at, from.size(), to);
}

void make_test_certificates(const fs::path& dir) {
  const std::string d = dir.string();
  write_text(dir / "san.cnf", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  run_quietly("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=crdex-test-ca"
              " -keyout '" + d + "/ca.key' -out '" + d + "/ca.pem'");
  run_quietly("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost"
              " -keyout '" + d + "/server.key' -out '" + d + "/server.csr'");
  run_quietly("openssl x509 -req -days 2 -in '" + d + "/server.csr' -CA '" + d + "/ca.pem' -CAkey '" + d +
              "/ca.key'" + " -CAcreateserial -extfile '" + d + "/san.cnf' -out '" + d + "/server.pem'");
}

std::string shipped_nginx_site(const fs::path& dir, uint16_t port, bool tls) {
  std::string site = read_file(source_dir() / "examples/deploy/nginx/crdex.conf");
  replace_once(site, "listen 443 ssl http2;",
               "listen 127.0.0.1:" + std::to_string(port) + (tls ? " ssl http2;" : ";"));
  replace_once(site, "/etc/ssl/crdex/fullchain.pem", (dir / "server.pem").string());
  replace_once(site, "/etc/ssl/crdex/privkey.pem", (dir / "server.key").string());
  return site;
}

NginxProcess::NginxProcess() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 || ::listen(fd_, 1024) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("cannot listen on 127.0.0.1:0");
  }
  port_ = ntohs(address.sin_port);
}

void NginxProcess::start(const fs::path& dir, const std::string& site) {
  if (pid_ > 0) throw std::runtime_error("nginx already started");
  dir_ = dir;
  write_text(dir / "crdex.conf", site);
  const std::string d = dir.string();
  write_text(dir / "nginx.conf",
             "daemon off;\nmaster_process on;\nworker_processes 1;\n" +
                 std::string(geteuid() == 0 ? "user root;\n" : "") + "pid " + d + "/nginx.pid;\n" +
                 "events { worker_connections 4096; }\n"
                 "http {\n  access_log " + d + "/access.log;\n"
                 "  client_body_temp_path " + d + "/body;\n  proxy_temp_path " + d + "/proxy;\n"
                 "  fastcgi_temp_path " + d + "/fastcgi;\n  uwsgi_temp_path " + d + "/uwsgi;\n"
                 "  scgi_temp_path " + d + "/scgi;\n  include " + d + "/crdex.conf;\n}\n");
  const std::string binary = nginx_binary().string(), conf = d + "/nginx.conf", log = d + "/error.log";
  // nginx takes the socket over from the NGINX environment variable.
  const std::string inherit = "NGINX=" + std::to_string(fd_) + ";";
  pid_ = fork();
  if (pid_ == 0) {
    fcntl(fd_, F_SETFD, 0);  // handed to nginx across exec
    const int null = open("/dev/null", O_RDWR);
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    const char* env[] = {inherit.c_str(), nullptr};
    execle(binary.c_str(), "nginx", "-p", d.c_str(), "-c", conf.c_str(), "-e", log.c_str(), nullptr, env);
    _exit(127);
  }
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

std::string NginxProcess::error_log() const {
  std::ifstream in(dir_ / "error.log");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

NginxProcess::~NginxProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);  // fast shutdown; the master stops its worker
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        break;
      }
      poll(nullptr, 0, 10);  // the exit has no event to wait on; bounded by the deadline
    }
  }
  ::close(fd_);
}

}  // namespace crdex::test
