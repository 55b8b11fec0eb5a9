#pragma once
// The URL a client called, as the client sees it: the `aud` a CDS client puts
// in its JWT. crdex sits behind nginx, so the URL on the wire
// (http://127.0.0.1:8080/...) is not the one the EHR used
// (https://crd.payer.example/...). In order of trust:
//   1. --public-url BASE: BASE + the request path, whatever the headers say;
//   2. a peer listed by --trusted-proxy: X-Forwarded-Proto :// X-Forwarded-Host
//      + path (the last value of each, the one that proxy set);
//   3. otherwise http:// + Host + path (a direct, plain-HTTP caller).
// Forwarded headers from any other peer are ignored: a client must not be able
// to choose the audience it is checked against.

#include <pistache/http.h>

#include <string>
#include <vector>

namespace crdex::server {

struct CalledUrlPolicy {
  std::string public_url;                 // no trailing '/'; empty when not set
  std::vector<std::string> trusted_proxies;  // peer IP addresses, as written
};

std::string called_url(const Pistache::Http::Request& request, const CalledUrlPolicy& policy);

}  // namespace crdex::server
