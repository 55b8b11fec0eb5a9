#pragma once
// How crdex's SMART clients talk to an authorization server: a time-out for
// each exchange and whether plain http is allowed beyond loopback. TLS
// certificates are always verified; redirects are never followed (a token
// endpoint that redirects is a misconfiguration, and following it could send
// a client assertion or a code somewhere else).

#include <chrono>

namespace crdex::smart {

struct HttpOptions {
  std::chrono::milliseconds timeout{5'000};
  // Plain http is accepted for 127.0.0.1 / localhost / [::1] only, unless this
  // is set (tests against a remote plain-http server; never in production).
  bool allow_plain_http = false;
};

}  // namespace crdex::smart
