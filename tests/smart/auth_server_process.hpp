#pragma once
// The tests' SMART authorization server (tests/auth-server: oidc-provider
// under Node) on 127.0.0.1:0, and a cookie-keeping user agent that walks its
// authorize -> interaction -> redirect chain the way a browser would.

#include <sys/types.h>

#include <string>

#include "support/fixtures.hpp"

namespace crdex::test {

class AuthServerProcess {
 public:
  // `config_json`: see tests/auth-server/server.mjs.
  explicit AuthServerProcess(const std::string& config_json);
  ~AuthServerProcess();
  AuthServerProcess(const AuthServerProcess&) = delete;
  AuthServerProcess& operator=(const AuthServerProcess&) = delete;

  const std::string& issuer() const { return issuer_; }  // http://127.0.0.1:PORT
  std::string fhir_base() const { return issuer_ + "/fhir"; }
  std::string token_url() const { return issuer_ + "/token"; }
  // The OAuth errors raised so far with their internal detail (JSON text).
  std::string errors() const;

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string issuer_;
};

// GETs `url` and follows redirects (cookies kept) until one points at
// `redirect_prefix`; returns that URL. Throws when the chain ends elsewhere.
std::string follow_to_redirect(const std::string& url, const std::string& redirect_prefix);

}  // namespace crdex::test
