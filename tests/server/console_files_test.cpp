// The web console's files under /console/ (console_api.hpp): their media
// types and security headers, the redirect to /console/, 404 for unknown
// names and for every path that tries to leave the console's folder, and the
// code list the EHR view searches. The pages themselves: tests/browser.
#include <boost/test/unit_test.hpp>

#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

struct ConsoleServer {
  test::ServerProcess server;
  std::string url(const std::string& path) const { return server.base_url() + path; }
};

void expect_console_headers(const test::HttpResult& answer) {
  const std::string policy = answer.header("content-security-policy");
  BOOST_TEST(policy.find("default-src 'self'") != std::string::npos, policy);
  BOOST_TEST(policy.find("script-src 'self'") != std::string::npos, policy);
  BOOST_TEST(policy.find("unsafe-inline") == std::string::npos, policy);
  BOOST_TEST(policy.find("frame-ancestors 'none'") != std::string::npos, policy);
  BOOST_TEST(answer.header("x-content-type-options") == "nosniff");
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(console_files, ConsoleServer)

BOOST_AUTO_TEST_CASE(the_index_is_html_with_a_strict_content_security_policy_and_no_inline_script_or_style) {
  const auto index = test::http_get(url("/console/"));
  BOOST_TEST(index.status == 200);
  BOOST_TEST(index.header("content-type") == "text/html; charset=utf-8");
  expect_console_headers(index);
  // The policy forbids inline code; the page must not need any.
  BOOST_TEST(index.body.find("<script type=\"module\" src=\"app.js\">") != std::string::npos);
  BOOST_TEST(index.body.find("<script>") == std::string::npos);
  BOOST_TEST(index.body.find("<style") == std::string::npos);
  BOOST_TEST(index.body.find(" style=") == std::string::npos);
  BOOST_TEST(index.body.find(" onclick=") == std::string::npos);
  BOOST_TEST(index.body.find("http://") == std::string::npos);  // nothing loaded from elsewhere
  BOOST_TEST(index.body.find("https://") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bare_console_path_is_sent_to_the_folder) {
  const auto moved = test::http_get(url("/console"));
  BOOST_TEST(moved.status == 301);
  BOOST_TEST(moved.header("location") == "/console/");
}

BOOST_AUTO_TEST_CASE(each_file_type_has_its_media_type) {
  for (const auto& [path, type] : std::vector<std::pair<std::string, std::string>>{
           {"/console/index.html", "text/html; charset=utf-8"},
           {"/console/app.js", "text/javascript; charset=utf-8"},
           {"/console/ehr.js", "text/javascript; charset=utf-8"},
           {"/console/console.css", "text/css; charset=utf-8"},
           {"/console/favicon.svg", "image/svg+xml"},
           {"/console/example-order-sign.json", "application/json"}}) {
    const auto answer = test::http_get(url(path));
    BOOST_TEST(answer.status == 200, path);
    BOOST_TEST(answer.header("content-type") == type, path);
    BOOST_TEST(!answer.body.empty(), path);
    expect_console_headers(answer);
  }
}

BOOST_AUTO_TEST_CASE(unknown_files_and_paths_out_of_the_folder_are_not_found) {
  for (const std::string path : {"/console/missing.js", "/console/.copied", "/console/..%2f..%2fCMakeLists.txt",
                                 "/console/%2e%2e%2fserver%2fmain.cpp", "/console/..%5cetc%5cpasswd",
                                 "/console/%2e%2e", "/console/js/app.js", "/console/..;/etc/passwd",
                                 "/console/app.js%00.html", "/console/APP.JS"}) {
    const auto answer = test::http_get(url(path));
    BOOST_TEST(answer.status == 404, path << ": " << answer.status);
    BOOST_TEST(answer.body.find("OperationOutcome") != std::string::npos, path);
    BOOST_TEST(answer.body.find("<html") == std::string::npos, path);
  }
}

BOOST_AUTO_TEST_CASE(the_console_files_are_read_only) {
  const auto answer = test::http_request("POST", url("/console/index.html"), "{}");
  BOOST_TEST(answer.status == 405);
  BOOST_TEST(answer.header("allow") == "GET");
}

BOOST_AUTO_TEST_CASE(the_code_list_names_the_codes_of_the_loaded_rules) {
  const auto answer = test::http_get(url("/console/api/codes"));
  BOOST_TEST(answer.status == 200);
  BOOST_TEST(answer.header("content-type") == "application/json");
  test::Json codes(answer.body);
  bool mammography = false;
  simdjson::dom::array list = codes.root()["codes"].get_array();
  for (auto code : list) {
    if (std::string_view(code["code"]) == "77061" && std::string_view(code["payer"]) == "acme-health-plan") {
      mammography = true;
      BOOST_TEST(std::string_view(code["system"]) == "http://www.ama-assn.org/go/cpt");
      BOOST_TEST(std::string_view(code["rule"]) == "mammography-contrast-pa");
    }
  }
  BOOST_TEST(mammography);
}

BOOST_AUTO_TEST_CASE(a_missing_console_dir_given_on_the_command_line_is_an_error) {
  test::ServerProcess refused({"--console-dir", "/nonexistent/crdex-console"}, {}, false);
  const auto status = refused.wait_for_exit();
  BOOST_TEST(status.exited);
  BOOST_TEST(status.code == 2);
  BOOST_TEST(refused.stderr_text().find("--console-dir") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
