// X-Request-Id (request_id.hpp): a usable id the caller sends is echoed and
// logged; a missing or unusable one is replaced by a fresh id.
#include <signal.h>

#include <boost/test/unit_test.hpp>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

using namespace crdex;

BOOST_AUTO_TEST_SUITE(request_id)

BOOST_AUTO_TEST_CASE(caller_id_is_echoed_and_logged_others_are_replaced) {
  test::ServerProcess server;
  const auto given = test::http_request("GET", server.base_url() + "/cds-services", {}, "application/json",
                                        {"X-Request-Id: ehr-call-0001.a:b_c"});
  BOOST_TEST(given.status == 200);
  BOOST_TEST(given.header("x-request-id") == "ehr-call-0001.a:b_c");

  const auto made = test::http_get(server.base_url() + "/no/such/path");
  BOOST_TEST(made.status == 404);
  const auto id = made.header("x-request-id");
  BOOST_TEST(id.size() == 32u);
  BOOST_TEST(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  BOOST_TEST(test::http_get(server.base_url() + "/cds-services").header("x-request-id") != id);

  // An id that could forge log lines or carry data is not taken.
  const auto unusable = test::http_request("GET", server.base_url() + "/cds-services", {}, "application/json",
                                           {"X-Request-Id: bad id with spaces"});
  BOOST_TEST(unusable.header("x-request-id").size() == 32u);

  const auto stopped = server.stop(SIGTERM);
  BOOST_TEST(stopped.code == 0);
  const auto log = server.stderr_text();
  BOOST_TEST(log.find("[ehr-call-0001.a:b_c] GET /cds-services 200") != std::string::npos, log);
  BOOST_TEST(log.find("[" + id + "] GET /no/such/path 404") != std::string::npos, log);
  BOOST_TEST(log.find("bad id with spaces") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
