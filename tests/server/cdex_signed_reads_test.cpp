// CDX-03: a Data Consumer whose agreement with the Data Source requires signed
// data (--cdex-source-signature-agreements) gets a 400 OperationOutcome with
// code business-rule for every read crdex cannot sign — a Task read (CDex signs
// Bundles), or any read when the source holds no signing key — and, with a key,
// its searchset Bundles signed (a detached JWS that verifies against the
// source's CA). Consumers without such an agreement are served unsigned. The
// source answers from the real test FHIR server; every Task waits for review,
// so nothing is fetched while the test reads.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <memory>

#include "cdex/test_pki.hpp"
#include "crdex/cdex/signature.hpp"
#include "support/fhir_server_process.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

constexpr auto kSignedReadsClientToken = "client-token-of-the-payer-for-signed-reads";

struct SignedReadsFixture {
  test::FhirServerProcess ehr;
  test::TempDir dir;
  test::PemCredentials root = test::make_test_ca("clinic root");
  test::PemCredentials signer = test::make_test_certificate("Clinic data source", root, test::TestKeyType::ec_p256);
  std::unique_ptr<test::ServerProcess> source;

  SignedReadsFixture() { write("client.token", kSignedReadsClientToken); }

  void write(const std::string& name, const std::string& text) const { std::ofstream(dir.path() / name) << text; }

  // A Data Source with `agreements` as its signature agreements file.
  void start_source(const std::string& agreements) {
    write("signed-reads.json", agreements);
    source = std::make_unique<test::ServerProcess>(std::vector<std::string>{
        "--cdex-ehr-fhir", ehr.fhir_url(), "--cdex-review", "all", "--cdex-client-token-file",
        (dir.path() / "client.token").string(), "--cdex-source-signature-agreements",
        (dir.path() / "signed-reads.json").string()});
  }

  test::HttpResult call(const std::string& method, const std::string& path, const std::string& body = {}) const {
    return test::http_request(method, source->base_url() + "/fhir" + path, body, "application/fhir+json",
                              {"Authorization: Bearer " + std::string(kSignedReadsClientToken)});
  }

  // A Task posted as the consumer (always allowed: a POST is no read).
  std::string post_task() const {
    const auto created = call("POST", "/Task", test::read_fixture("cdex-ig/cdex-task-example1.json"));
    BOOST_TEST_REQUIRE(created.status == 201, created.body);
    test::Json task(created.body);
    return std::string(std::string_view(task.root()["id"]));
  }

  static void expect_business_rule(const test::HttpResult& answer, const std::string& says) {
    BOOST_TEST(answer.status == 400, answer.body);
    test::Json outcome(answer.body);
    BOOST_TEST(std::string_view(outcome.root()["resourceType"]) == "OperationOutcome");
    BOOST_TEST(std::string_view(outcome.root()["issue"].at(0)["code"]) == "business-rule", answer.body);
    BOOST_TEST(answer.body.find(says) != std::string::npos, answer.body);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(cdex_signed_reads, SignedReadsFixture)

BOOST_AUTO_TEST_CASE(CDX_03_signed_read_required_without_a_key_is_400_business_rule) {
  start_source(R"({"signedReadsFor":["client-token"]})");
  const auto id = post_task();
  expect_business_rule(call("GET", "/Task/" + id), "a Task read cannot be signed");
  expect_business_rule(call("GET", "/Task"), "holds no signing key");
  expect_business_rule(call("GET", "/Task?status=on-hold"), "requires signed data");
}

BOOST_AUTO_TEST_CASE(CDX_03_a_source_with_a_key_signs_the_searchset_and_still_refuses_a_task_read) {
  write("source-key.pem", signer.private_key);
  write("source-chain.pem", signer.certificate);
  start_source(R"({"signedReadsFor":["*"],"signingKey":"source-key.pem","signingCertificates":"source-chain.pem",)"
               R"("algorithm":"ES256","signer":{"identifierSystem":"http://hl7.org/fhir/sid/us-npi",)"
               R"("identifierValue":"1407071236","display":"Clinic data source"}})");
  const auto id = post_task();
  expect_business_rule(call("GET", "/Task/" + id), "search instead");
  const auto searched = call("GET", "/Task");
  BOOST_TEST_REQUIRE(searched.status == 200, searched.body);
  test::Json bundle(searched.body);
  BOOST_TEST(std::string_view(bundle.root()["type"]) == "searchset");
  BOOST_TEST(searched.body.find(id) != std::string::npos);
  BOOST_TEST(std::string_view(bundle.root()["signature"]["who"]["display"]) == "Clinic data source");
  auto anchors = cdex::TrustAnchors::from_pem(root.certificate);
  BOOST_TEST_REQUIRE(anchors.ok());
  auto verified = cdex::SignatureVerifier(std::move(*anchors)).verify_bundle(searched.body);
  BOOST_TEST_REQUIRE(verified.ok(), std::string(verified.ok() ? "" : verified.error().message));
  BOOST_TEST(verified->signer_subject.find("Clinic data source") != std::string::npos, verified->signer_subject);
}

BOOST_AUTO_TEST_CASE(CDX_03_consumers_without_the_agreement_read_as_before) {
  start_source(R"({"signedReadsFor":["another-payer-client"]})");
  const auto id = post_task();
  const auto read = call("GET", "/Task/" + id);
  BOOST_TEST(read.status == 200, read.body);
  const auto searched = call("GET", "/Task");
  BOOST_TEST_REQUIRE(searched.status == 200, searched.body);
  test::Json bundle(searched.body);
  BOOST_TEST(bundle.root()["signature"].error() == simdjson::NO_SUCH_FIELD);
}

BOOST_AUTO_TEST_CASE(CDX_03_a_key_without_its_certificates_stops_the_server) {
  write("signed-reads.json", R"({"signedReadsFor":["*"],"signingKey":"source-key.pem","signer":{"reference":"Organization/1"}})");
  test::ServerProcess broken({"--cdex-ehr-fhir", ehr.fhir_url(), "--cdex-source-signature-agreements",
                              (dir.path() / "signed-reads.json").string()},
                             {}, false);
  const auto status = broken.wait_for_exit(std::chrono::seconds(30));
  BOOST_TEST(status.exited);
  BOOST_TEST(status.code != 0);
  BOOST_TEST(broken.stderr_text().find("signingCertificates") != std::string::npos, broken.stderr_text());
}

BOOST_AUTO_TEST_SUITE_END()
