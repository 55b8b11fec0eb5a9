// crdex-server's command line: defaults, conversions and refusals.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "server_options.hpp"

using crdex::server::ParsedOptions;
using crdex::server::parse_server_options;

namespace {

ParsedOptions parse_server_args(std::vector<std::string> args) {
  args.insert(args.begin(), "crdex-server");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_server_options(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server_options)

BOOST_AUTO_TEST_CASE(defaults_listen_on_loopback_with_client_authentication_on) {
  const auto parsed = parse_server_args({});
  BOOST_REQUIRE(parsed.options);
  BOOST_TEST(parsed.options->host == "127.0.0.1");
  BOOST_TEST(parsed.options->port == 8080);
  BOOST_TEST(!parsed.options->insecure_no_client_auth);
  BOOST_TEST(parsed.options->threads >= 1);
  BOOST_TEST(parsed.options->jwks_path == "/.well-known/jwks.json");
}

BOOST_AUTO_TEST_CASE(the_audit_size_bound_takes_units_and_zero) {
  BOOST_TEST(parse_server_args({}).options->audit_max_bytes == uint64_t{10} << 30);
  BOOST_TEST(parse_server_args({"--audit-max-bytes", "512MB"}).options->audit_max_bytes == uint64_t{512} << 20);
  BOOST_TEST(parse_server_args({"--audit-max-bytes", "1048576"}).options->audit_max_bytes == uint64_t{1} << 20);
  BOOST_TEST(parse_server_args({"--audit-max-bytes", "0"}).options->audit_max_bytes == 0u);
  BOOST_TEST(!parse_server_args({"--audit-max-bytes", "lots"}).options);
}

BOOST_AUTO_TEST_CASE(listen_time_outs_and_public_url_are_read) {
  const auto parsed = parse_server_args({"--listen", "[::1]:0", "--header-timeout-ms", "1500", "--public-url",
                                         "https://crd.example.org/", "--bulk-poll-min-ms", "500",
                                         "--bulk-poll-max-ms", "100"});
  BOOST_REQUIRE(parsed.options);
  BOOST_TEST(parsed.options->host == "::1");
  BOOST_TEST(parsed.options->port == 0);
  BOOST_TEST(parsed.options->header_timeout.count() == 1500);
  BOOST_TEST(parsed.options->public_url == "https://crd.example.org");  // no trailing '/'
  BOOST_TEST(parsed.options->bulk_poll_max.count() == 500);            // never below the minimum
}

BOOST_AUTO_TEST_CASE(the_job_lease_is_read_and_bounded) {
  BOOST_TEST(parse_server_args({}).options->job_lease.count() == 30);
  BOOST_TEST(parse_server_args({"--job-lease-seconds", "2"}).options->job_lease.count() == 2);
  BOOST_TEST(!parse_server_args({"--job-lease-seconds", "0"}).options);
}

BOOST_AUTO_TEST_CASE(the_cdex_task_lease_is_read_and_bounded) {
  BOOST_TEST(parse_server_args({}).options->cdex.task_lease_seconds == 60);
  BOOST_TEST(parse_server_args({"--cdex-task-lease-seconds", "2"}).options->cdex.task_lease_seconds == 2);
  BOOST_TEST(!parse_server_args({"--cdex-task-lease-seconds", "0"}).options);
}

BOOST_AUTO_TEST_CASE(usage_errors_end_with_2_and_help_with_0) {
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"--listen", "nonsense"},
           {"--public-url", "ftp://crd.example.org"},
           {"--insecure-no-client-auth", "--clients", "clients.json"},
           {"--max-in-flight-typo", "3"},
           {"--query-workers", "0"},
       }) {
    const auto parsed = parse_server_args(bad);
    BOOST_TEST(!parsed.options);
    BOOST_TEST(parsed.exit_code == 2);
  }
  const auto help = parse_server_args({"--help"});
  BOOST_TEST(!help.options);
  BOOST_TEST(help.exit_code == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(server_options_store)

BOOST_AUTO_TEST_CASE(store_sqlite_dir_is_the_data_directory_and_postgresql_urls_are_kept) {
  const auto sqlite = parse_server_args({"--data", "ignored", "--store", "sqlite:/srv/crdex"});
  BOOST_REQUIRE(sqlite.options);
  BOOST_TEST(sqlite.options->data_dir == "/srv/crdex");
  const auto postgres = parse_server_args({"--data", "kept", "--store", "postgresql://crdex@db:5432/crdex"});
  BOOST_REQUIRE(postgres.options);
  BOOST_TEST(postgres.options->store_url == "postgresql://crdex@db:5432/crdex");
  BOOST_TEST(postgres.options->data_dir == "kept");  // the stores not yet shared stay there
}

BOOST_AUTO_TEST_CASE(store_of_another_kind_is_a_usage_error) {
  const auto parsed = parse_server_args({"--store", "mysql://u@h/db"});
  BOOST_TEST(!parsed.options);
  BOOST_TEST(parsed.exit_code == 2);
}

BOOST_AUTO_TEST_SUITE_END()
