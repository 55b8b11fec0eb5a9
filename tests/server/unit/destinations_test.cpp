// The configured outbound destinations (server/destinations.hpp): the file's
// checks, which URLs a destination holds, and what a request may choose.

#include <boost/test/unit_test.hpp>

#include <fstream>

#include "crdex/smart/signing_key.hpp"
#include "destinations.hpp"
#include "support/fixtures.hpp"

using namespace crdex;
using namespace crdex::server;

namespace {

fhir::Result<std::shared_ptr<const Destinations>> parse_destinations(const std::string& json,
                                                                     const std::filesystem::path& dir = ".") {
  return Destinations::parse(json, dir, {}, false);
}

std::shared_ptr<const Destinations> two_destinations() {
  auto parsed = parse_destinations(R"({"destinations":[{"name":"payer","url":"https://payer.example/fhir/"},
      {"name":"payer-att","url":"https://payer.example/fhir/attachments"},
      {"name":"ehr","url":"https://EHR.example:443/r4"}]})");
  if (!parsed) BOOST_FAIL(parsed.error().message);
  return *parsed;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(destinations)

BOOST_AUTO_TEST_CASE(a_destination_holds_its_base_and_what_lies_under_it) {
  const auto d = two_destinations();
  BOOST_TEST(d->all().at(0).url == "https://payer.example/fhir");
  BOOST_TEST(d->all().at(2).url == "https://ehr.example/r4");
  BOOST_TEST(d->holding("https://payer.example/fhir")->name == "payer");
  BOOST_TEST(d->holding("https://payer.example/fhir/$submit-attachment")->name == "payer");
  BOOST_TEST(d->holding("https://payer.example/fhir/attachments/$submit-attachment")->name == "payer-att");  // longest
  BOOST_TEST(d->holding("https://ehr.example/r4/")->name == "ehr");
  BOOST_TEST(!d->holding("https://payer.example/fhirx"));
  BOOST_TEST(!d->holding("https://payer.example/other"));
  BOOST_TEST(!d->holding("https://payer.example/fhir/../admin"));
  BOOST_TEST(!d->holding("https://payer.example/fhir/%2e%2e/admin"));
  BOOST_TEST(!d->holding("https://payer.example/fhir?x=1"));
  BOOST_TEST(!d->holding("https://payer.example@169.254.169.254/fhir"));
  BOOST_TEST(!d->holding("http://payer.example/fhir"));
  BOOST_TEST(!d->holding("file:///etc/passwd"));
}

BOOST_AUTO_TEST_CASE(a_request_chooses_by_name_or_by_a_held_url_and_nothing_else) {
  const auto d = two_destinations();
  BOOST_TEST((*d->choose("ehr", "", "destination"))->url == "https://ehr.example/r4");
  BOOST_TEST((*d->choose("", "https://payer.example/fhir", "fhirServer"))->name == "payer");
  const auto unknown = d->choose("nowhere", "", "destination");
  BOOST_REQUIRE(!unknown);
  BOOST_TEST(unknown.error().http_status == 400);
  BOOST_TEST(unknown.error().expression == "destination");
  BOOST_TEST(unknown.error().message.find("configured: payer, payer-att, ehr") != std::string::npos,
             unknown.error().message);
  const auto elsewhere = d->choose("", "https://169.254.169.254/latest", "fhirServer");
  BOOST_REQUIRE(!elsewhere);
  BOOST_TEST(elsewhere.error().message.find("is not under a configured destination") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(credentials_a_static_token_or_a_backend_services_client) {
  test::TempDir dir;
  std::ofstream(dir.path() / "ehr.token") << "static-destination-token-0123\n";
  auto key = smart::SigningKey::generate(smart::JwsAlgorithm::ES384, "k1");
  BOOST_REQUIRE(key.ok());
  std::ofstream(dir.path() / "key.pem") << key->private_pem();
  auto parsed = parse_destinations(
      R"({"destinations":[{"name":"ehr","url":"https://ehr.example/r4","token_file":"ehr.token"},
        {"name":"payer","url":"https://payer.example/fhir","backend_services":{"token_url":"https://auth.payer.example/token",
         "client_id":"crdex","scope":"system/DocumentReference.c","key_file":"key.pem","kid":"k1"}},
        {"name":"bare","url":"http://127.0.0.1:9/fhir"}]})",
      dir.path());
  if (!parsed) BOOST_FAIL(parsed.error().message);
  const auto& all = (*parsed)->all();
  BOOST_TEST(*all.at(0).bearer_token() == "static-destination-token-0123");
  BOOST_TEST(all.at(1).has_credential());
  BOOST_TEST(all.at(1).token_url == "https://auth.payer.example/token");
  BOOST_TEST(!all.at(2).has_credential());
  BOOST_TEST(all.at(2).bearer_token()->empty());
  const auto lookup = token_lookup(*parsed);
  BOOST_TEST(*lookup("https://ehr.example/r4/Group/g/$export") == "static-destination-token-0123");
  BOOST_TEST(lookup("https://elsewhere.example/fhir")->empty());
}

BOOST_AUTO_TEST_CASE(a_bad_file_is_refused_with_the_json_path) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"destinations":[{"name":"a","url":"file:///etc/passwd"}]})", "http(s) base URL"},
      {R"({"destinations":[{"name":"a","url":"https://a.example/?x=1"}]})", "http(s) base URL"},
      {R"({"destinations":[{"name":"a","url":"http://a.example/fhir"}]})", "plain http"},
      {R"({"destinations":[{"name":"a b","url":"https://a.example"}]})", "letters, digits"},
      {R"({"destinations":[{"name":"a","url":"https://a.example"},{"name":"a","url":"https://b.example"}]})",
       "already configured"},
      {R"({"destinations":[{"name":"a","url":"https://a.example","token_file":"t","backend_services":{}}]})",
       "not both"},
      {R"({"destinations":[{"name":"a","url":"https://a.example","token_file":"missing.token"}]})", "token_file"},
  };
  for (const auto& [json, why] : bad) {
    const auto parsed = parse_destinations(json);
    BOOST_REQUIRE_MESSAGE(!parsed, json);
    BOOST_TEST(parsed.error().message.find(why) != std::string::npos, json << ": " << parsed.error().message);
  }
}

BOOST_AUTO_TEST_SUITE_END()
