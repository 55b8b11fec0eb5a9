#pragma once
// A minimal blocking HTTP/1.1 client for integration tests (libcurl), with
// generous time-outs that only guard against a hung server.

#include <map>
#include <string>
#include <vector>

namespace crdex::test {

struct HttpResult {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

HttpResult http_request(const std::string& method, const std::string& url, const std::string& body = {},
                        const std::string& content_type = "application/json",
                        const std::vector<std::string>& extra_headers = {});

inline HttpResult http_get(const std::string& url) { return http_request("GET", url); }
inline HttpResult http_post(const std::string& url, const std::string& body,
                            const std::string& content_type = "application/json") {
  return http_request("POST", url, body, content_type);
}

}  // namespace crdex::test
