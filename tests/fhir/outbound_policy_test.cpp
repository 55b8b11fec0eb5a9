// The outbound guard of the one HTTP client (crdex/fhir/outbound_policy.hpp):
// a redirect to an internal address is not followed; an address is checked
// where libcurl connects (after resolution), so a name or a numeric form that
// ends on loopback is refused without a connection; the allowed address:port
// answers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <thread>

#include "crdex/fhir/http_client.hpp"
#include "crdex/fhir/outbound_policy.hpp"

using namespace crdex;

namespace {

// A one-shot HTTP server on 127.0.0.1:0 that answers every connection with
// a 302 to the cloud metadata address, and counts connections.
struct RedirectingServer {
  int listener = -1;
  int port = 0;
  std::atomic<int> connections{0};
  std::atomic<bool> stopping{false};
  std::thread thread;

  RedirectingServer() {
    listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t size = sizeof address;
    getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
    port = ntohs(address.sin_port);
    BOOST_REQUIRE(listen(listener, 4) == 0);
    thread = std::thread([this] {
      while (true) {
        const int client = accept(listener, nullptr, nullptr);
        if (client < 0 || stopping) {
          if (client >= 0) close(client);
          return;
        }
        ++connections;
        char buffer[4096];
        [[maybe_unused]] auto got = read(client, buffer, sizeof buffer);
        const std::string answer =
            "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n";
        [[maybe_unused]] auto sent = write(client, answer.data(), answer.size());
        close(client);
      }
    });
  }
  ~RedirectingServer() {
    stopping = true;
    shutdown(listener, SHUT_RDWR);
    close(listener);
    thread.join();
    fhir::set_outbound_policy({});  // the guard off again for the rest of the process
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(fhir_outbound_policy)

BOOST_FIXTURE_TEST_CASE(a_redirect_to_an_internal_address_is_not_followed, RedirectingServer) {
  BOOST_REQUIRE(fhir::set_outbound_policy({true, {"127.0.0.1:" + std::to_string(port)}, {}}));
  fhir::HttpCall call;
  call.url = "http://127.0.0.1:" + std::to_string(port) + "/fhir/metadata";
  call.timeout = std::chrono::milliseconds(10'000);
  const auto answer = fhir::perform_http_call(call);
  BOOST_TEST(answer.transferred, answer.problem);
  BOOST_TEST(answer.status == 302);  // handed back to the caller, never followed
  BOOST_TEST(connections == 1);
}

BOOST_FIXTURE_TEST_CASE(an_address_is_checked_where_the_connection_is_made, RedirectingServer) {
  // Only another port is allowed: the server's own port is refused, whatever form names it.
  BOOST_REQUIRE(fhir::set_outbound_policy({true, {"127.0.0.1:" + std::to_string(port == 65535 ? 1 : port + 1)}, {}}));
  for (const std::string host : {"127.0.0.1", "127.1", "0x7f000001", "localhost"}) {
    fhir::HttpCall call;
    call.url = "http://" + host + ":" + std::to_string(port) + "/fhir/metadata";
    call.timeout = std::chrono::milliseconds(10'000);
    const auto answer = fhir::perform_http_call(call);
    BOOST_TEST(!answer.transferred, host);
    BOOST_TEST(answer.problem.find("loopback") != std::string::npos, host << ": " << answer.problem);
  }
  BOOST_TEST(connections == 0);
}

BOOST_AUTO_TEST_CASE(allowed_addresses_must_be_ip_addresses) {
  std::string error;
  BOOST_TEST(!fhir::set_outbound_policy({true, {"internal.example.org"}, {}}, &error));
  BOOST_TEST(error.find("not an IP address") != std::string::npos);
  BOOST_TEST(fhir::set_outbound_policy({true, {"10.1.2.3", "[::1]:9000", "127.0.0.1:8090", "::1"}, {}}));
  BOOST_TEST(!fhir::outbound_url_refusal("https://10.1.2.3/fhir").has_value());
  BOOST_TEST(fhir::outbound_url_refusal("https://10.1.2.4/fhir").has_value());
  BOOST_TEST(!fhir::outbound_url_refusal("http://127.0.0.1:8090/fhir").has_value());
  BOOST_TEST(fhir::outbound_url_refusal("http://127.0.0.1:8091/fhir").has_value());
  BOOST_TEST(!fhir::outbound_url_refusal("https://ehr.example.org/fhir").has_value());  // a name: at connect
  fhir::set_outbound_policy({});
}

BOOST_AUTO_TEST_SUITE_END()
