// Issue 15: a request over --max-body-bytes (or --max-header-bytes) gets a
// 413 (431) OperationOutcome in application/fhir+json at every size, is
// answered before its body is read, and the connection is closed.
#include <poll.h>
#include <sys/socket.h>

#include <boost/test/unit_test.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <string>

#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/raw_http.hpp"
#include "support/server_process.hpp"

using namespace crdex;
using namespace crdex::test::raw_http;

namespace {

struct SizeLimitFixture {
  test::ServerProcess server{{"--max-body-bytes", "65536", "--max-header-bytes", "8192", "--header-timeout-ms",
                              "2000", "--body-timeout-ms", "2000"}};
  uint16_t port = port_of(server.base_url());
  static constexpr size_t kLimit = 65536;

  std::string lowercase_head(const std::string& response) const {
    std::string head = response.substr(0, response.find("\r\n\r\n"));
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return head;
  }
  // `status`, an OperationOutcome (too-costly) in application/fhir+json, Connection: close.
  void expect_refused_as_too_large(const std::string& response, int status = 413) const {
    BOOST_REQUIRE_MESSAGE(status_of(response) == status, response.substr(0, 300));
    const auto head = lowercase_head(response);
    BOOST_TEST(head.find("\r\ncontent-type: application/fhir+json") != std::string::npos, head);
    BOOST_TEST(head.find("\r\nconnection: close") != std::string::npos, head);
    test::Json outcome(response.substr(response.find("\r\n\r\n") + 4));
    BOOST_TEST(std::string_view(outcome.root()["resourceType"]) == "OperationOutcome");
    BOOST_TEST(std::string_view(outcome.root()["issue"].at(0)["code"]) == "too-costly");
  }
  // After the answer the server ends the connection (EOF), well before any time-out.
  static bool closed_by_server(const Socket& socket) {
    char buffer[65536];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd ready{socket.fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) <= 0) return false;
      const ssize_t got = ::recv(socket.fd, buffer, sizeof buffer, 0);
      if (got == 0) return true;
      if (got < 0) return errno == ECONNRESET;
    }
  }
  // Sends `request`, reads one answer, checks it and that the server then hangs up.
  void expect_too_large_and_closed(const std::string& request, int status = 413) const {
    auto socket = connect_to(port);
    send_all(socket, request);
    expect_refused_as_too_large(read_response(socket), status);
    BOOST_TEST(closed_by_server(socket));
  }
  void still_serving() const { BOOST_TEST(test::http_get(server.base_url() + "/cds-services").status == 200); }
};

std::string chunked_head() {
  return "POST /cds-services/crdex-order-sign HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Transfer-Encoding: chunked\r\n\r\n";
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(request_size_limits, SizeLimitFixture)

BOOST_AUTO_TEST_CASE(SEC_body_one_byte_over_the_limit_is_413_operation_outcome) {
  expect_too_large_and_closed(post_head(kLimit + 1) + std::string(kLimit + 1, ' '));
  still_serving();
}

BOOST_AUTO_TEST_CASE(SEC_body_ten_times_the_limit_is_413_operation_outcome) {
  expect_too_large_and_closed(post_head(10 * kLimit) + std::string(10 * kLimit, ' '));
  // Through an HTTP client too (libcurl, which stops sending on the early answer).
  const auto response = test::http_post(server.base_url() + "/cds-services/crdex-order-sign",
                                        std::string(10 * kLimit, ' '));
  BOOST_TEST(response.status == 413);
  BOOST_TEST(response.header("content-type").starts_with("application/fhir+json"));
  BOOST_TEST(response.body.find("\"too-costly\"") != std::string::npos, response.body);
  still_serving();
}

BOOST_AUTO_TEST_CASE(SEC_large_content_length_with_a_short_body_is_413_at_once) {
  // Answered from the headers alone: no waiting for a body that never comes
  // (the body time-out is 2 s; the answer must come well before it).
  for (const size_t length : {kLimit + 1, size_t{1} << 30, size_t{1} << 40}) {
    const auto started = std::chrono::steady_clock::now();
    expect_too_large_and_closed(post_head(length) + "{}");
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    BOOST_TEST(took.count() < 1500, length << ": " << took.count() << " ms");
  }
  still_serving();
}

BOOST_AUTO_TEST_CASE(SEC_chunked_body_over_the_limit_is_413_operation_outcome) {
  std::string request = chunked_head();
  const std::string chunk(4096, 'x');
  for (size_t sent = 0; sent <= 2 * kLimit; sent += chunk.size()) request += "1000\r\n" + chunk + "\r\n";
  request += "0\r\n\r\n";
  expect_too_large_and_closed(request);
  still_serving();
}

BOOST_AUTO_TEST_CASE(SEC_chunked_body_within_the_limit_is_served) {
  const auto body = test::read_fixture("crd-ig/CRDServiceRequest.json");
  std::ostringstream chunked;
  chunked << chunked_head() << std::hex << body.size() << "\r\n" << body << "\r\n0\r\n\r\n";
  const auto response = round_trip(port, chunked.str());
  BOOST_TEST(status_of(response) == 200, response.substr(0, 300));
}

BOOST_AUTO_TEST_CASE(SEC_headers_over_the_limit_are_431_operation_outcome) {
  // Headers may use what the body leaves (one budget, body + header limits).
  const size_t budget = kLimit + 8192;
  const std::string padding = "X-Padding: " + std::string(budget, 'a') + "\r\n";
  expect_too_large_and_closed("GET /cds-services HTTP/1.1\r\nHost: 127.0.0.1\r\n" + padding + "\r\n", 431);
  expect_too_large_and_closed("GET /cds-services?" + std::string(budget, 'q') + " HTTP/1.1\r\n\r\n", 431);
  const auto within = round_trip(port, "GET /cds-services HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " +
                                           std::string(20000, 'a') + "\r\n\r\n");
  BOOST_TEST(status_of(within) == 200, within.substr(0, 300));
  // A body within its limit but past the budget with the headers: 413.
  expect_too_large_and_closed("POST /cds-services/crdex-order-sign HTTP/1.1\r\nContent-Type: application/json\r\n"
                              "X-Padding: " + std::string(20000, 'a') + "\r\nContent-Length: " +
                              std::to_string(kLimit) + "\r\n\r\n" + std::string(kLimit, ' '));
  still_serving();
}

BOOST_AUTO_TEST_CASE(SEC_a_body_within_the_limit_is_still_read_whole) {
  // Exactly at the limit: the body reaches the engine (400: not a hook request).
  const auto response = round_trip(port, post_head(kLimit) + "[" + std::string(kLimit - 2, ' ') + "]");
  BOOST_TEST(status_of(response) == 400, response.substr(0, 300));
}

BOOST_AUTO_TEST_SUITE_END()
