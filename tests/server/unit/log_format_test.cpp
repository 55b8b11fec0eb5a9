// The JSON log line (log_format.hpp): one object per line whatever the
// message holds (quotes, newlines, control characters, invalid UTF-8), with
// the fields of the request being answered on the logging thread.

#include <simdjson.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>

#include "log_format.hpp"
#include "request_log_context.hpp"

using namespace crdex::server;

namespace {

// 2026-12-05T12:00:00.123Z
std::chrono::system_clock::time_point log_unit_time() {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(1'796'472'000'123));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_format)

BOOST_AUTO_TEST_CASE(a_json_line_is_one_object_whatever_the_message_holds) {
  const std::string message = std::string("quote \" backslash \\ newline \n forged {\"level\":\"error\"} bell \x07 ") +
                              "bad utf-8 \xC3\x28 \xFF and good \xC3\xA9";
  const std::string line = json_log_line(log_unit_time(), spdlog::level::warn, message, nullptr);
  BOOST_TEST_REQUIRE(line.back() == '\n');
  BOOST_TEST(line.find('\n') == line.size() - 1);  // a newline in the message is escaped
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  BOOST_TEST_REQUIRE(parser.parse(line).get(root) == simdjson::SUCCESS, line);  // simdjson checks UTF-8 too
  BOOST_TEST(std::string(root["time"].get_string().value()) == "2026-12-05T12:00:00.123Z");
  BOOST_TEST(std::string(root["level"].get_string().value()) == "warning");
  const std::string read(root["message"].get_string().value());
  BOOST_TEST(read.find("quote \" backslash \\ newline \n forged {\"level\":\"error\"} bell \x07 ") == 0u);
  BOOST_TEST(read.find("bad utf-8 \xEF\xBF\xBD( \xEF\xBF\xBD and good \xC3\xA9") != std::string::npos, read);
  BOOST_TEST(root["request_id"].error() == simdjson::NO_SUCH_FIELD);
  BOOST_TEST(root["status"].error() == simdjson::NO_SUCH_FIELD);
}

BOOST_AUTO_TEST_CASE(a_json_line_carries_the_fields_known_of_the_request) {
  BOOST_TEST(current_request_log_fields() == nullptr);
  BOOST_TEST(current_request_id().empty());
  {
    const RequestLogScope scope("ehr-call-0001");
    BOOST_TEST(current_request_id() == "ehr-call-0001");
    RequestLogFields* fields = current_request_log_fields();
    BOOST_TEST_REQUIRE(fields != nullptr);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    std::string line = json_log_line(log_unit_time(), spdlog::level::info, "routed", fields);
    BOOST_TEST_REQUIRE(parser.parse(line).get(root) == simdjson::SUCCESS, line);
    BOOST_TEST(std::string(root["request_id"].get_string().value()) == "ehr-call-0001");
    BOOST_TEST(root["service"].error() == simdjson::NO_SUCH_FIELD);  // not known yet

    fields->service = "crdex-order-sign";
    fields->payer = "acme-health-plan";
    fields->status = 200;
    fields->duration_ms = 1.5;
    line = json_log_line(log_unit_time(), spdlog::level::info, "POST /cds-services/crdex-order-sign 200", fields);
    BOOST_TEST_REQUIRE(parser.parse(line).get(root) == simdjson::SUCCESS, line);
    BOOST_TEST(std::string(root["service"].get_string().value()) == "crdex-order-sign");
    BOOST_TEST(std::string(root["payer"].get_string().value()) == "acme-health-plan");
    BOOST_TEST(root["status"].get_int64().value() == 200);
    BOOST_TEST(root["duration_ms"].get_double().value() == 1.5);
    {
      const RequestLogScope inner("nested-0002");  // scopes nest
      BOOST_TEST(current_request_id() == "nested-0002");
    }
    BOOST_TEST(current_request_id() == "ehr-call-0001");
  }
  BOOST_TEST(current_request_log_fields() == nullptr);
}

BOOST_AUTO_TEST_CASE(log_formats_are_named_text_and_json) {
  BOOST_TEST((parse_log_format("text") == LogFormat::text));
  BOOST_TEST((parse_log_format("json") == LogFormat::json));
  BOOST_TEST(!parse_log_format("JSON").has_value());
  BOOST_TEST(!parse_log_format("").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
