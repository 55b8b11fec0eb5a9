// CDX-13: a payer whose agreement with a provider requires signatures refuses
// that provider's $submit-attachment when an attachment is not a Bundle with a
// Bundle.signature that verifies (400 + OperationOutcome naming the
// attachment); other providers' submissions are not checked.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "cdex/test_pki.hpp"
#include "crdex/cdex/signature.hpp"
#include "crdex/fhir/submit_attachment.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

// The guide's $submit-attachment example 1 (ProviderId us-npi|9941339108)
// with its one attachment's content replaced by `content` (a resource).
std::string sigagr_parameters(const std::string& content, const std::string& provider_npi = "9941339108") {
  auto submission = fhir::parse_submit_attachment(test::read_fixture("cdex-ig/cdex-parameters-example1.json"));
  BOOST_REQUIRE(submission.ok());
  submission->attachments.at(0).content_json = content;
  test::Json doc(content);
  submission->attachments.at(0).content_type = std::string(std::string_view(doc.root()["resourceType"]));
  submission->provider_id->value = provider_npi;
  submission->organization_id->value = "1999999984";
  return fhir::submit_attachment_parameters_json(*submission);
}

test::HttpResult sigagr_submit(const std::string& base, const std::string& parameters) {
  return test::http_post(base + "/$submit-attachment", parameters, "application/fhir+json");
}

std::string sigagr_diagnostics(const std::string& outcome) {
  test::Json doc(outcome);
  return std::string(std::string_view(doc.root()["issue"].at(0)["diagnostics"]));
}

void sigagr_write(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

struct SignedAttachmentsPayer {
  test::TempDir dir;
  test::PemCredentials root = test::make_test_ca("partners root");
  test::PemCredentials provider = test::make_test_certificate("Provider 9941339108", root, test::TestKeyType::ec_p256);
  test::PemCredentials rogue_root = test::make_test_ca("someone else");
  test::PemCredentials rogue = test::make_test_certificate("Rogue", rogue_root, test::TestKeyType::ec_p256);
  std::string agreements = [this] {
    sigagr_write(dir.path() / "partners.pem", root.certificate);
    sigagr_write(dir.path() / "agreements.json",
                 R"({"trustAnchors":"partners.pem","requireSignatureFrom":["http://hl7.org/fhir/sid/us-npi|9941339108"]})");
    return (dir.path() / "agreements.json").string();
  }();
  test::ServerProcess payer{{"--cdex-signature-agreements", agreements}};

  std::string signed_document(const test::PemCredentials& by) const {
    auto signer = cdex::BundleSigner::create(by.private_key, by.certificate, cdex::JwsAlgorithm::ES256);
    BOOST_REQUIRE(signer.ok());
    auto signed_bundle =
        signer->sign(test::read_fixture("cdex-ig/cdex-document-digital-sig-example.json"),
                     {"", "http://hl7.org/fhir/sid/us-npi", "9941339108", "John Hancock, MD"}, "2026-12-05T08:00:00Z");
    BOOST_REQUIRE(signed_bundle.ok());
    return *signed_bundle;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(attachment_signatures, SignedAttachmentsPayer)

BOOST_AUTO_TEST_CASE(CDX_13_a_provider_under_a_signature_agreement_must_send_verifying_signed_bundles) {
  const std::string good = signed_document(provider);
  const auto accepted = sigagr_submit(payer.base_url(), sigagr_parameters(good));
  BOOST_TEST(accepted.status == 200, accepted.body);

  // Not a Bundle: the guide's DocumentReference as it is.
  const auto unsigned_document =
      sigagr_submit(payer.base_url(), test::read_fixture("cdex-ig/cdex-parameters-example1.json"));
  BOOST_TEST(unsigned_document.status == 400, unsigned_document.body);
  BOOST_TEST(sigagr_diagnostics(unsigned_document.body).find("requires signed attachments") != std::string::npos,
             unsigned_document.body);
  BOOST_TEST(unsigned_document.body.find("Attachment')[0].part.where(name='Content').resource") != std::string::npos);

  // A Bundle without its signature; one changed after signing; one signed by
  // a key whose chain does not reach the agreed trust anchors.
  test::Json good_doc(good);
  std::string stripped = R"({"resourceType":"Bundle","type":"document")";
  stripped += R"(,"entry":)" + test::minified(good_doc.root()["entry"]) + "}";
  const auto missing = sigagr_submit(payer.base_url(), sigagr_parameters(stripped));
  BOOST_TEST(missing.status == 400, missing.body);
  BOOST_TEST(sigagr_diagnostics(missing.body).find("the Bundle is not signed") != std::string::npos, missing.body);

  std::string tampered = good;
  tampered.replace(tampered.find("Hancock"), 7, "Hancokc");
  const auto changed = sigagr_submit(payer.base_url(), sigagr_parameters(tampered));
  BOOST_TEST(changed.status == 400, changed.body);
  BOOST_TEST(sigagr_diagnostics(changed.body).find("does not match the Bundle's content") != std::string::npos,
             changed.body);

  const auto untrusted = sigagr_submit(payer.base_url(), sigagr_parameters(signed_document(rogue)));
  BOOST_TEST(untrusted.status == 400, untrusted.body);
  BOOST_TEST(sigagr_diagnostics(untrusted.body).find("certificate chain is not trusted") != std::string::npos,
             untrusted.body);

  // Nothing refused was stored: only the signed submission is there.
  const auto stored = test::http_get(payer.base_url() + "/attachments?member=234567");
  BOOST_TEST_REQUIRE(stored.status == 200, stored.body);
  BOOST_TEST(int64_t(test::Json(stored.body).root()["total"]) == 1);
}

BOOST_AUTO_TEST_CASE(CDX_13_providers_without_an_agreement_are_not_asked_for_signatures) {
  const auto other = sigagr_submit(
      payer.base_url(), sigagr_parameters(R"({"resourceType":"Bundle","type":"document"})", "1234567893"));
  BOOST_TEST(other.status == 200, other.body);
}

BOOST_AUTO_TEST_CASE(CDX_13_an_agreements_file_without_trust_anchors_stops_the_server) {
  sigagr_write(dir.path() / "broken.json", R"({"requireSignatureFrom":[]})");
  test::ServerProcess broken({"--cdex-signature-agreements", (dir.path() / "broken.json").string()}, {}, false);
  const auto status = broken.wait_for_exit(std::chrono::seconds(30));
  BOOST_TEST(status.exited);
  BOOST_TEST(status.code != 0);
  BOOST_TEST(broken.stderr_text().find("trustAnchors") != std::string::npos, broken.stderr_text());
}

BOOST_AUTO_TEST_SUITE_END()
