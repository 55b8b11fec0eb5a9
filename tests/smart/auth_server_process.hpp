#pragma once
// The tests' SMART authorization server (tests/auth-server: oidc-provider
// under Node) on 127.0.0.1:0, and a cookie-keeping user agent that walks its
// authorize -> interaction -> redirect chain the way a browser would.

#include <string>

#include "support/fixtures.hpp"
#include "support/node_process.hpp"

namespace crdex::test {

class AuthServerProcess {
 public:
  // `config_json`: see tests/auth-server/server.mjs.
  explicit AuthServerProcess(const std::string& config_json);

  const std::string& issuer() const { return node_.url(); }  // http://127.0.0.1:PORT
  std::string fhir_base() const { return issuer() + "/fhir"; }
  std::string token_url() const { return issuer() + "/token"; }
  // The OAuth errors raised so far with their internal detail (JSON text).
  std::string errors() const;

 private:
  TempDir dir_;  // the config file; outlives the server (declared first)
  NodeProcess node_;
};

// GETs `url` and follows redirects (cookies kept) until one points at
// `redirect_prefix`; returns that URL. Throws when the chain ends elsewhere.
std::string follow_to_redirect(const std::string& url, const std::string& redirect_prefix);

}  // namespace crdex::test
