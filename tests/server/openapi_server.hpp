#pragma once
// A crdex-server with every credential option on (CDS clients, an
// authorization server's access tokens, operators, the admin, CDex, launch and
// publisher tokens, a signing key), for tests/server/openapi_test.cpp and the
// FH-05 test: makes the credentials, calls routes and records each answer.
#include <openssl/evp.h>

#include <array>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "crdex/fhir/json_writer.hpp"
#include "crdex/smart/base64url.hpp"
#include "crdex/smart/jwt.hpp"
#include "crdex/smart/random_token.hpp"
#include "crdex/smart/signing_key.hpp"
#include "support/destinations_file.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace crdex::test {

using smart::JwsAlgorithm;

constexpr const char* kOpenApiAsIssuer = "https://as.example.org";
constexpr const char* kOpenApiPublicUrl = "https://crdex.example.org";
constexpr const char* kOpenApiEhrIssuer = "https://ehr.example.org";
constexpr const char* kOpenApiPayer = "acme-health-plan";

inline int64_t openapi_test_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

inline smart::SigningKey openapi_test_key(JwsAlgorithm algorithm, const std::string& kid) {
  auto key = smart::SigningKey::generate(algorithm, kid);
  BOOST_REQUIRE(key.ok());
  return std::move(key).value();
}

inline std::string openapi_sha256_hex(const std::string& token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  BOOST_REQUIRE(EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr) == 1);
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) hex += {kHexDigits[digest[i] >> 4], kHexDigits[digest[i] & 15]};
  return hex;
}

inline std::string openapi_run(const std::string& command, int& exit_code) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  BOOST_REQUIRE(pipe);
  std::string out;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
  const int status = pclose(pipe.release());
  exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

struct Exchange {
  std::string method, pattern, path;
  long status = 0;
  std::string content_type, body;
};

// A server with every credential option on, and the calls made to it.
struct OpenApiServer {
  TempDir dir;
  smart::SigningKey as_key = openapi_test_key(JwsAlgorithm::RS384, "as-1");
  smart::SigningKey ehr_key = openapi_test_key(JwsAlgorithm::ES384, "ehr-1");
  smart::SigningKey crdex_key = openapi_test_key(JwsAlgorithm::RS384, "crdex-1");
  const std::string attach_op = smart::random_token(), bulk_op = smart::random_token(),
                    admin_op = smart::random_token();
  const std::string admin_token = smart::random_token(), cdex_admin = smart::random_token(),
                    cdex_client = smart::random_token(), launch_token = smart::random_token(),
                    publisher = smart::random_token();
  std::vector<std::string> args;
  std::unique_ptr<ServerProcess> server;
  std::vector<Exchange> exchanges;

  OpenApiServer() {
    const smart::PublishedKey as_published{&as_key, JwsAlgorithm::RS384};
    std::ofstream(dir.path() / "authorization-servers.json")
        << R"({"authorization_servers":[{"iss":")" << kOpenApiAsIssuer << R"(","algorithms":["RS384"],"jwks":)"
        << smart::public_jwks_json(std::span<const smart::PublishedKey>(&as_published, 1)) << "}]}";
    const smart::PublishedKey ehr_published{&ehr_key, JwsAlgorithm::ES384};
    std::ofstream(dir.path() / "clients.json")
        << R"({"clients":[{"iss":")" << kOpenApiEhrIssuer
        << R"(","fhir_servers":["http://example.org/some-payer/fhir/crd"],"jwks":)"
        << smart::public_jwks_json(std::span<const smart::PublishedKey>(&ehr_published, 1)) << "}]}";
    std::ofstream(dir.path() / "operators.json")
        << R"({"operators":[)"
        << R"({"name":"attach","token_sha256":")" << openapi_sha256_hex(attach_op) << R"(","roles":["attachments"]},)"
        << R"({"name":"bulk","token_sha256":")" << openapi_sha256_hex(bulk_op) << R"(","roles":["bulk"]},)"
        << R"({"name":"admin","token_sha256":")" << openapi_sha256_hex(admin_op) << R"(","roles":["admin"]}]})";
    std::ofstream(dir.path() / "crdex-key.pem") << crdex_key.private_pem();
    auto write = [this](const char* name, const std::string& token) {
      std::ofstream(dir.path() / name) << token << "\n";
      return (dir.path() / name).string();
    };
    args = {"--public-url", kOpenApiPublicUrl, "--clients", (dir.path() / "clients.json").string(),
            "--authorization-servers", (dir.path() / "authorization-servers.json").string(), "--operators",
            (dir.path() / "operators.json").string(), "--admin-token-file", write("admin", admin_token),
            "--cdex-admin-token-file", write("cdex-admin", cdex_admin), "--cdex-client-token-file",
            write("cdex-client", cdex_client), "--cdex-ehr-fhir", "http://127.0.0.1:9/fhir", "--smart-launch-token",
            write("launch", launch_token), "--publisher-token",
            std::string(kOpenApiPayer) + "=" + write("publisher", publisher), "--signing-key",
            "crdex-1=" + (dir.path() / "crdex-key.pem").string(),
            // Small enough that a padded header shows the 431 every route can answer.
            "--max-header-bytes", "1024", "--max-body-bytes", "262144"};
    // Bulk exports read only from configured destinations (docs/security.md).
    for (auto& arg : test::destinations_args(dir.path(), {{"ehr", "http://127.0.0.1:9/fhir"}})) args.push_back(arg);
    server = std::make_unique<ServerProcess>(args, std::string(), true, std::string(), true);
  }

  // A SMART Backend Services access token of the configured authorization server.
  std::string access_token(const std::string& scope) const {
    const std::string claims = R"({"iss":")" + std::string(kOpenApiAsIssuer) + R"(","aud":")" + kOpenApiPublicUrl +
                               R"(","exp":)" + std::to_string(openapi_test_now() + 300) + R"(,"iat":)" +
                               std::to_string(openapi_test_now() - 5) + R"(,"client_id":"provider-1","scope":")" +
                               scope + R"(","jti":")" + smart::random_token() + "\"}";
    const std::string header = R"({"alg":"RS384","typ":"at+jwt","kid":"as-1"})";
    const std::string input = smart::base64url_encode(header) + "." + smart::base64url_encode(claims);
    auto signature = as_key.sign(JwsAlgorithm::RS384, input);
    BOOST_REQUIRE(signature.ok());
    return input + "." + smart::base64url_encode(std::span<const uint8_t>(*signature));
  }

  // A CDS client's JWT for a call to `path` (aud: the public URL of the path).
  std::string client_jwt(const std::string& path) const {
    const std::string claims = R"({"iss":")" + std::string(kOpenApiEhrIssuer) + R"(","aud":")" + kOpenApiPublicUrl +
                               path + R"(","exp":)" + std::to_string(openapi_test_now() + 300) + R"(,"iat":)" +
                               std::to_string(openapi_test_now()) + R"(,"jti":")" + smart::random_token() + "\"}";
    auto jwt = smart::sign_jwt(ehr_key, JwsAlgorithm::ES384, claims);
    BOOST_REQUIRE(jwt.ok());
    return *jwt;
  }

  // Calls `path` (a concrete path of `pattern`, with its query), records the
  // answer, and checks the status the script expects.
  HttpResult call(const std::string& method, const std::string& pattern, const std::string& path,
                  const std::string& token, long expected, const std::string& body = {},
                  const std::string& content_type = "application/json", std::vector<std::string> headers = {}) {
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    auto result = http_request(method, server->base_url() + path, body, content_type, headers);
    BOOST_TEST(result.status == expected, method << " " << path << ": " << result.status << " " << result.body);
    exchanges.push_back({method, pattern, path, result.status, result.header("content-type"), result.body});
    return result;
  }

  // Every route answers 431 to request headers over the limit, before any handler.
  void call_oversized(const std::string& method, const std::string& pattern, const std::string& path) {
    call(method, pattern, path, "", 431, method == "GET" || method == "DELETE" ? "" : "{}", "application/json",
         {"X-Padding: " + std::string(300 * 1024, 'p')});
  }

  // "METHOD PATTERN" per route of this configuration, from the server itself.
  std::set<std::pair<std::string, std::string>> routes() const {
    std::string command = server_executable().string() + " --listen 127.0.0.1:0 --rules " +
                          example_rules_dir().string() + " --data " + (dir.path() / "print-data").string() +
                          " --print-routes";
    for (const auto& arg : args) command += " '" + arg + "'";
    int code = 0;
    const std::string out = openapi_run(command + " 2>/dev/null", code);
    BOOST_REQUIRE(code == 0);
    std::set<std::pair<std::string, std::string>> rows;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      const auto a = line.find(' '), b = line.find(' ', a + 1);
      BOOST_REQUIRE(a != std::string::npos && b != std::string::npos);
      rows.emplace(line.substr(0, a), line.substr(a + 1, b - a - 1));
    }
    return rows;
  }

  std::string exchanges_json() const {
    fhir::JsonBuffer buffer;
    fhir::JsonWriter w(buffer);
    w.StartArray();
    for (const auto& e : exchanges) {
      w.StartObject();
      for (auto [key, value] : {std::pair{"method", &e.method},
                                {"pattern", &e.pattern},
                                {"path", &e.path},
                                {"contentType", &e.content_type},
                                {"body", &e.body}}) {
        fhir::write_key(w, key);
        fhir::write_string(w, *value);
      }
      fhir::write_key(w, "status");
      w.Int64(e.status);
      w.EndObject();
    }
    w.EndArray();
    return {buffer.GetString(), buffer.GetSize()};
  }
};

}  // namespace crdex::test
