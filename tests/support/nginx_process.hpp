#pragma once
// A real nginx for the tests that put crdex-server behind the shipped
// configuration (examples/deploy/nginx/): a listening socket on 127.0.0.1:0
// made first (so the port is known before the upstreams start and no other
// process can take it), a test CA and server certificate, and the nginx
// master process run as the test's user in a temporary prefix. The
// destructor stops nginx (SIGTERM, SIGKILL only after a safety time-out).

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace crdex::test {

// Replaces the first `from` in `text`; throws naming `from` when absent (the
// shipped file changed under the test).
void replace_once(std::string& text, const std::string& from, const std::string& to);

// A test CA (dir/ca.pem) and a certificate for 127.0.0.1 and localhost it
// signed (dir/server.pem, dir/server.key), made with the openssl command.
void make_test_certificates(const std::filesystem::path& dir);

// examples/deploy/nginx/crdex.conf listening on 127.0.0.1:`port` (TLS with
// the certificates in `dir`, or plain HTTP when `tls` is false), its upstream
// still the shipped one.
std::string shipped_nginx_site(const std::filesystem::path& dir, uint16_t port, bool tls);

class NginxProcess {
 public:
  NginxProcess();  // the listening socket only; start() runs nginx on it
  ~NginxProcess();
  NginxProcess(const NginxProcess&) = delete;
  NginxProcess& operator=(const NginxProcess&) = delete;

  uint16_t port() const { return port_; }
  // Runs nginx with `site` (http-context directives) in the prefix `dir`.
  // Connections made before nginx is ready wait in the socket's backlog.
  void start(const std::filesystem::path& dir, const std::string& site);
  // What nginx wrote to its error log so far.
  std::string error_log() const;

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::filesystem::path dir_;
};

}  // namespace crdex::test
