// The shipped nginx configuration (examples/deploy/nginx/crdex.conf), run by
// real nginx with a certificate made here, in front of a real crdex-server:
// TLS 1.2+ only, limits enforced at the edge, slow clients kept away from
// crdex-server (issue 6, item 1; CRD sec-2).
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fixtures.hpp"
#include "support/nginx_process.hpp"
#include "support/server_process.hpp"

using namespace crdex;
namespace fs = std::filesystem;

namespace {

// nginx with the shipped crdex.conf in a temp prefix, as the user running
// the test, in front of `upstream_port`.
class Nginx {
 public:
  Nginx(const fs::path& dir, uint16_t upstream_port) {
    std::string site = test::shipped_nginx_site(dir, process_.port(), true);
    test::replace_once(site, "server 127.0.0.1:8080;", "server 127.0.0.1:" + std::to_string(upstream_port) + ";");
    process_.start(dir, site);
  }
  uint16_t port() const { return process_.port(); }

 private:
  test::NginxProcess process_;
};

struct TlsResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  size_t uploaded = 0;  // body bytes the client handed to libcurl
  std::chrono::milliseconds took{0};
};

struct TlsRequest {
  TlsRequest(std::string u, std::string ca) : url(std::move(u)), ca_file(std::move(ca)) {}
  std::string url;
  std::string ca_file;
  std::string body;           // POST when not empty
  size_t generated_body = 0;  // POST this many bytes, produced as libcurl asks
  std::vector<std::string> headers;
  long tls_version = CURL_SSLVERSION_TLSv1_2;
  const char* ciphers = nullptr;
};

// A client that would take TLS 1.0 up to `max` with any cipher (SECLEVEL=0),
// so that a refusal is the server's, not the client's own policy.
TlsRequest permissive(TlsRequest request, long max) {
  request.tls_version = static_cast<long>(CURL_SSLVERSION_TLSv1_0) | max;
  request.ciphers = "DEFAULT:@SECLEVEL=0";
  return request;
}

size_t collect(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

struct Generator {
  size_t left;
  size_t handed = 0;
};
size_t generate(char* buffer, size_t size, size_t count, void* state) {
  auto& generator = *static_cast<Generator*>(state);
  const size_t n = std::min(size * count, generator.left);
  std::fill(buffer, buffer + n, ' ');
  generator.left -= n;
  generator.handed += n;
  return n;
}

TlsResult tls_call(const TlsRequest& request) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  list = curl_slist_append(list, "Expect:");
  for (const auto& header : request.headers) list = curl_slist_append(list, header.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list, curl_slist_free_all);
  TlsResult result;
  Generator generator{request.generated_body};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_CAINFO, request.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_SSLVERSION, request.tls_version);
  if (request.ciphers) curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, request.ciphers);
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);  // safety net only
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (!request.body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.generated_body > 0) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, generate);
    curl_easy_setopt(c, CURLOPT_READDATA, &generator);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.generated_body));
  }
  const auto start = std::chrono::steady_clock::now();
  result.code = curl_easy_perform(c);
  result.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
  result.uploaded = generator.handed;
  return result;
}

int connect_plain(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw std::runtime_error("cannot connect");
  return fd;
}

// Established TCP connections on 127.0.0.1 whose local or remote port is
// `port` (both ends of a loopback connection are listed), from /proc/net/tcp.
int established_connections(uint16_t port) {
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line);  // header
  int count = 0;
  char wanted[8];
  std::snprintf(wanted, sizeof wanted, ":%04X", port);
  while (std::getline(tcp, line)) {
    // "  sl  local_address rem_address   st ..."; st 01 is ESTABLISHED.
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    if (state == "01" && (local.ends_with(wanted) || remote.ends_with(wanted))) ++count;
  }
  return count;
}

struct EdgeFixture {
  test::TempDir dir;
  test::ServerProcess crdex;
  uint16_t upstream_port = static_cast<uint16_t>(std::stoi(crdex.base_url().substr(crdex.base_url().rfind(':') + 1)));
  bool certificates_made = (test::make_test_certificates(dir.path()), true);
  Nginx nginx{dir.path(), upstream_port};
  std::string ca = (dir.path() / "ca.pem").string();
  std::string base = "https://127.0.0.1:" + std::to_string(nginx.port());

  TlsRequest to(const std::string& path) const { return {base + path, ca}; }
  TlsResult order_sign() const {
    auto request = to("/cds-services/crdex-order-sign");
    request.body = test::read_fixture("crd-ig/CRDServiceRequest.json");
    return tls_call(request);
  }
  // Requests crdex-server has logged (one "METHOD PATH STATUS" line each).
  size_t upstream_requests() {
    const auto log = crdex.stderr_text();
    size_t count = 0;
    for (auto at = log.find("us\n"); at != std::string::npos; at = log.find("us\n", at + 1)) ++count;
    return count;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(nginx_edge, EdgeFixture)

BOOST_AUTO_TEST_CASE(SEC_hook_call_over_tls_through_nginx) {
  const auto answer = order_sign();
  BOOST_TEST(answer.code == CURLE_OK, curl_easy_strerror(answer.code));
  BOOST_TEST(answer.status == 200, answer.body);
  BOOST_TEST(answer.body.find("\"systemActions\"") != std::string::npos);
  // Only crdex's paths are proxied.
  BOOST_TEST(tls_call(to("/")).status == 404);
  BOOST_TEST(tls_call(to("/cds-services")).status == 200);
}

BOOST_AUTO_TEST_CASE(SEC_tls_1_1_is_refused_tls_1_2_and_1_3_accepted) {
  const auto old = tls_call(permissive(to("/cds-services"), CURL_SSLVERSION_MAX_TLSv1_1));
  BOOST_TEST(old.code == CURLE_SSL_CONNECT_ERROR, curl_easy_strerror(old.code));
  BOOST_TEST(old.status == 0);
  const auto tls12 = tls_call(permissive(to("/cds-services"), CURL_SSLVERSION_MAX_TLSv1_2));
  BOOST_TEST(tls12.status == 200, curl_easy_strerror(tls12.code));
  auto modern = to("/cds-services");
  modern.tls_version = CURL_SSLVERSION_TLSv1_3;
  const auto tls13 = tls_call(modern);
  BOOST_TEST(tls13.status == 200, curl_easy_strerror(tls13.code));
  // And without the test CA the certificate is not trusted.
  BOOST_TEST(tls_call({base + "/cds-services", "/nonexistent-ca.pem"}).code != CURLE_OK);
}

BOOST_AUTO_TEST_CASE(SEC_100_mb_body_is_refused_before_it_is_sent) {
  const size_t before = upstream_requests();
  auto huge = to("/cds-services/crdex-order-sign");
  huge.generated_body = size_t{100} << 20;
  const auto answer = tls_call(huge);
  BOOST_TEST(answer.status == 413);
  // nginx answers from the Content-Length; the client stops sending at once.
  BOOST_TEST(answer.uploaded < (size_t{8} << 20), answer.uploaded);
  BOOST_TEST(answer.took.count() < 5000);
  BOOST_TEST(upstream_requests() == before);
}

BOOST_AUTO_TEST_CASE(SEC_malformed_framing_stops_at_nginx) {
  const size_t before = upstream_requests();
  for (const std::string length : {"-5", "99999999999999999999999", "abc"}) {
    auto request = to("/cds-services/crdex-order-sign");
    request.body = "{}";
    request.headers = {"Content-Length: " + length};
    const auto answer = tls_call(request);
    BOOST_TEST((answer.status == 400 || answer.status == 413), length << ": " << answer.status);
  }
  BOOST_TEST(upstream_requests() == before);
}

BOOST_AUTO_TEST_CASE(SEC_500_idle_or_slow_connections_do_not_delay_others) {
  BOOST_TEST(order_sign().status == 200);  // warm: nginx up, one kept-alive upstream connection
  const size_t before = upstream_requests();

  std::vector<int> idle;
  for (int i = 0; i < 500; ++i) idle.push_back(connect_plain(nginx.port()));
  // Half stay silent; half start a TLS handshake and never finish it.
  const char partial_hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, static_cast<char>(0xfc), 0x03, 0x03};
  for (size_t i = 0; i < idle.size(); i += 2) (void)::send(idle[i], partial_hello, sizeof partial_hello, MSG_NOSIGNAL);

  const auto answer = order_sign();
  BOOST_TEST(answer.status == 200);
  BOOST_TEST(answer.took.count() < 1000, answer.took.count() << " ms");

  // nginx holds all 500 (each counted once from its side and once from ours);
  // crdex-server sees only nginx's few kept-alive connections and one request.
  BOOST_TEST(established_connections(nginx.port()) >= 2 * 500);
  BOOST_TEST(established_connections(upstream_port) <= 2 * 16);
  BOOST_TEST(upstream_requests() == before + 1);
  for (int fd : idle) ::close(fd);
}

BOOST_AUTO_TEST_CASE(every_route_family_reaches_crdex_through_the_shipped_configuration) {
  // One request per family crdex serves; each must reach crdex-server (its
  // access log grows by one) whatever crdex answers (200, 401, 403, 405).
  for (const std::string path :
       {"/cds-services", "/cds-services/crdex-order-sign/feedback", "/payers/acme/rules/versions",
        "/smart/launches", "/fhir/Task", "/cdex/requests", "/attachments/claims", "/bulk-exports",
        "/admin/audit/stats", "/.well-known/jwks.json", "/health/live", "/health/ready", "/$submit-attachment",
        "/attachments", "/metadata", "/fhir/metadata", "/openapi.json", "/console/", "/console/api/codes"}) {
    const size_t before = upstream_requests();
    const auto answer = tls_call(to(path));
    BOOST_TEST(answer.code == CURLE_OK, path << ": " << curl_easy_strerror(answer.code));
    BOOST_TEST(answer.status != 0, path);
    BOOST_TEST(upstream_requests() == before + 1, path << " did not reach crdex-server (" << answer.status << ")");
  }
  BOOST_TEST(tls_call(to("/health/ready")).status == 200);
  // /metrics trusts loopback peers, and behind nginx every peer is: not forwarded.
  const size_t before = upstream_requests();
  BOOST_TEST(tls_call(to("/metrics")).status == 404);
  BOOST_TEST(upstream_requests() == before);
}

BOOST_AUTO_TEST_SUITE_END()
