// CDX-15: CDex digital signatures on Bundles — the guide's own signed example
// Bundles verified as published, sign / verify round trips with keys made at
// test time (RS256, RS384, ES256, ES384 through an intermediate to a root),
// JCS-equivalent texts that must still verify, and tampered variants that must
// be refused with a message that says why.
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "cdex/test_pki.hpp"
#include "crdex/cdex/signature.hpp"
#include "support/fixtures.hpp"
#include "support/json_checks.hpp"

using namespace crdex;

namespace {

std::string sigt_b64_encode(std::string_view bytes, bool url) {
  static constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (const unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kStd[(buffer >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kStd[(buffer << (6 - bits)) & 63]);
  if (url) {
    for (char& c : out) c = c == '+' ? '-' : (c == '/' ? '_' : c);
  } else {
    while (out.size() % 4 != 0) out.push_back('=');
  }
  return out;
}

std::string sigt_b64_decode(std::string_view text) {  // either alphabet, padding optional
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+' || c == '-') v = 62;
    else if (c == '/' || c == '_') v = 63;
    else continue;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

std::string sigt_data(const std::string& bundle) {
  test::Json doc(bundle);
  return std::string(std::string_view(doc.root()["signature"]["data"]));
}

// The compact JWS inside Bundle.signature.data.
std::string sigt_jws(const std::string& bundle) { return sigt_b64_decode(sigt_data(bundle)); }

std::string sigt_header(const std::string& bundle) {
  const std::string jws = sigt_jws(bundle);
  return sigt_b64_decode(jws.substr(0, jws.find('.')));
}

// `bundle` with Bundle.signature.data replaced by base64(`jws`).
std::string sigt_with_jws(const std::string& bundle, const std::string& jws) {
  std::string out = bundle;
  const std::string old = sigt_data(bundle);
  out.replace(out.find(old), old.size(), sigt_b64_encode(jws, false));
  return out;
}

std::string sigt_replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "no '" << from << "' in the text");
  return text.replace(at, from.size(), to);
}

// The first x5c certificate of a signed Bundle as PEM.
std::string sigt_x5c_leaf_pem(const std::string& bundle) {
  test::Json header(sigt_header(bundle));
  const std::string der_b64(std::string_view(header.root()["x5c"].at(0)));
  std::string pem = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < der_b64.size(); i += 64) pem += der_b64.substr(i, 64) + "\n";
  return pem + "-----END CERTIFICATE-----\n";
}

cdex::SignatureVerifier sigt_verifier(const std::string& anchors_pem) {
  auto anchors = cdex::TrustAnchors::from_pem(anchors_pem);
  BOOST_REQUIRE_MESSAGE(anchors.ok(), (anchors.ok() ? std::string() : anchors.error().message));
  return cdex::SignatureVerifier(std::move(*anchors));
}

void sigt_require_refused(const fhir::Result<cdex::VerifiedSignature>& result, const std::string& reason) {
  BOOST_REQUIRE_MESSAGE(!result.ok(), "accepted; expected a refusal for: " << reason);
  BOOST_TEST(result.error().http_status == 400);
  BOOST_TEST(result.error().message.find(reason) != std::string::npos,
             "message '" << result.error().message << "' does not say '" << reason << "'");
}

// The certificates of the guide's examples are valid from mid-2025 to mid-2027:
// their signatures are checked as of a fixed day in that window.
constexpr std::time_t kSigtGuideCertificatesValid = 1767225600;  // 2026-01-01T00:00:00Z

// One throw-away PKI for the whole file: root -> intermediate -> signers,
// and a second root nobody trusts, with its own signer.
struct SigtPki {
  test::PemCredentials root = test::make_test_ca("crdex test root");
  test::PemCredentials intermediate =
      test::make_test_certificate("crdex test intermediate", root, test::TestKeyType::ec_p256, true);
  test::PemCredentials rsa = test::make_test_certificate("Signer RSA", intermediate, test::TestKeyType::rsa2048);
  test::PemCredentials p256 = test::make_test_certificate("Signer P-256", intermediate, test::TestKeyType::ec_p256);
  test::PemCredentials p384 = test::make_test_certificate("Signer P-384", intermediate, test::TestKeyType::ec_p384);
  test::PemCredentials no_signing_usage = test::make_test_certificate(
      "Encipherment only", intermediate, test::TestKeyType::ec_p256, false, /*signing_usage=*/false);
  test::PemCredentials rogue_root = test::make_test_ca("untrusted root");
  test::PemCredentials rogue = test::make_test_certificate("Rogue signer", rogue_root, test::TestKeyType::ec_p256);

  std::string chain(const test::PemCredentials& leaf) const { return leaf.certificate + intermediate.certificate; }
};

const SigtPki& sigt_pki() {
  static const SigtPki pki;
  return pki;
}

cdex::BundleSigner sigt_signer(const test::PemCredentials& leaf, const std::string& chain, cdex::JwsAlgorithm alg) {
  auto signer = cdex::BundleSigner::create(leaf.private_key, chain, alg);
  BOOST_REQUIRE_MESSAGE(signer.ok(), (signer.ok() ? std::string() : signer.error().message));
  return *signer;
}

const cdex::SignatureWho kSigtWho{"", "http://hl7.org/fhir/sid/us-npi", "1234567893", "CDEX Example Organization"};

std::string sigt_sign(const cdex::BundleSigner& signer, const std::string& bundle) {
  auto signed_bundle = signer.sign(bundle, kSigtWho, "2026-12-05T08:00:00.000Z");
  BOOST_REQUIRE_MESSAGE(signed_bundle.ok(), (signed_bundle.ok() ? std::string() : signed_bundle.error().message));
  return *signed_bundle;
}

// A small Bundle whose spelling the tests vary.
const std::string kSigtSmallBundle =
    R"({"resourceType":"Bundle","id":"small","type":"collection","entry":[{"fullUrl":"urn:uuid:1",)"
    R"("resource":{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"weight"},)"
    R"("valueQuantity":{"value":71.50,"unit":"kg"}}}]})";

}  // namespace

BOOST_AUTO_TEST_SUITE(cdex_signatures)

// The guide's signed searchset Bundle, as published, verifies: its JWS is an
// RS256 signature over the JCS form of the Bundle without root id / meta /
// signature, by the key of its own (self-signed) x5c leaf. Trusting that
// leaf as the anchor is what a partner who exchanged certificates would do.
BOOST_AUTO_TEST_CASE(CDX_15_the_guides_signed_searchset_bundle_verifies_against_its_own_x5c_leaf) {
  const std::string bundle = test::read_fixture("cdex-ig/cdex-searchbundle-digital-sig-example.json");
  auto verifier = sigt_verifier(sigt_x5c_leaf_pem(bundle));
  verifier.set_verification_time(std::chrono::system_clock::from_time_t(kSigtGuideCertificatesValid));
  auto verified = verifier.verify_bundle(bundle);
  BOOST_REQUIRE_MESSAGE(verified.ok(), (verified.ok() ? std::string() : verified.error().message));
  BOOST_TEST(std::string(cdex::jws_algorithm_name(verified->algorithm)) == "RS256");
  BOOST_TEST(verified->signer_subject.find("CN=CDEX Example Organization") != std::string::npos,
             verified->signer_subject);
  BOOST_TEST(verified->sig_time == "2020-10-23T04:54:56.048+00:00");
  BOOST_TEST(verified->when == "2020-10-23T04:54:56.048+00:00");

  // Its certificate was re-issued in 2025 while sigT still says 2020: at the
  // signing time it claims, the certificate was not yet valid.
  verifier.set_verification_time(std::chrono::system_clock::from_time_t(1603428896));  // 2020-10-23T04:54:56Z
  sigt_require_refused(verifier.verify_bundle(bundle), "certificate is not yet valid");

  // Without its leaf among the trust anchors, the chain leads nowhere.
  auto stranger = sigt_verifier(sigt_pki().root.certificate);
  stranger.set_verification_time(std::chrono::system_clock::from_time_t(kSigtGuideCertificatesValid));
  sigt_require_refused(stranger.verify_bundle(bundle), "the x5c certificate chain is not trusted");
}

// The guide's signed document Bundle, as published, does NOT verify: its
// header and x5c are well formed and the chain checks, but the RS256 value
// does not match the JCS form of the Bundle (root id / meta / signature
// removed) — nor of the variants tried by hand (signature only removed, entry
// narratives or entry meta removed, pretty-printed JSON). The same procedure
// verifies the searchset example, so the document's content was most likely
// edited after it was signed (the example's certificate was re-issued in 2025,
// the signature value and sigT date from 2020). What is true is asserted.
BOOST_AUTO_TEST_CASE(CDX_15_the_guides_signed_document_bundle_as_published_does_not_match_its_content) {
  const std::string bundle = test::read_fixture("cdex-ig/cdex-document-digital-sig-example.json");
  auto verifier = sigt_verifier(sigt_x5c_leaf_pem(bundle));
  verifier.set_verification_time(std::chrono::system_clock::from_time_t(kSigtGuideCertificatesValid));
  sigt_require_refused(verifier.verify_bundle(bundle), "the signature does not match the Bundle's content");

  // Re-signed with a key of ours, the same Bundle round-trips.
  const auto& pki = sigt_pki();
  const std::string resigned =
      sigt_sign(sigt_signer(pki.rsa, pki.chain(pki.rsa), cdex::JwsAlgorithm::RS256), bundle);
  auto ours = sigt_verifier(pki.root.certificate).verify_bundle(resigned);
  BOOST_TEST(ours.ok(), (ours.ok() ? "" : ours.error().message));
}

BOOST_AUTO_TEST_CASE(CDX_15_sign_and_verify_round_trip_the_guides_bundles_with_each_algorithm) {
  const auto& pki = sigt_pki();
  const auto verifier = sigt_verifier(pki.root.certificate);
  const std::pair<const test::PemCredentials*, cdex::JwsAlgorithm> signers[] = {
      {&pki.rsa, cdex::JwsAlgorithm::RS256},
      {&pki.rsa, cdex::JwsAlgorithm::RS384},
      {&pki.p256, cdex::JwsAlgorithm::ES256},
      {&pki.p384, cdex::JwsAlgorithm::ES384},
  };
  for (const char* example : {"cdex-searchbundle-digital-sig-example.json", "cdex-document-digital-sig-example.json"}) {
    const std::string bundle = test::read_fixture(std::string("cdex-ig/") + example);
    for (const auto& [leaf, alg] : signers) {
      const std::string signed_bundle = sigt_sign(sigt_signer(*leaf, pki.chain(*leaf), alg), bundle);
      auto verified = verifier.verify_bundle(signed_bundle);
      BOOST_TEST_CONTEXT(example << " " << cdex::jws_algorithm_name(alg)) {
        BOOST_REQUIRE_MESSAGE(verified.ok(), (verified.ok() ? std::string() : verified.error().message));
        BOOST_TEST((verified->algorithm == alg), "alg " << cdex::jws_algorithm_name(verified->algorithm));
        BOOST_TEST(verified->signer_subject.find("CN=Signer") != std::string::npos);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(CDX_15_the_signature_element_and_jws_header_are_written_as_cdex_shows) {
  const auto& pki = sigt_pki();
  const std::string signed_bundle =
      sigt_sign(sigt_signer(pki.p256, pki.chain(pki.p256), cdex::JwsAlgorithm::ES256), kSigtSmallBundle);
  // Unsigned before: the Bundle's own text is kept byte for byte (71.50 too).
  BOOST_TEST(signed_bundle.substr(0, kSigtSmallBundle.size() - 1) ==
             kSigtSmallBundle.substr(0, kSigtSmallBundle.size() - 1));
  test::Json doc(signed_bundle);
  const auto signature = doc.root()["signature"];
  BOOST_TEST(std::string_view(signature["type"].at(0)["system"]) == "urn:iso-astm:E1762-95:2013");
  BOOST_TEST(std::string_view(signature["type"].at(0)["code"]) == "1.2.840.10065.1.12.1.5");
  BOOST_TEST(std::string_view(signature["when"]) == "2026-12-05T08:00:00.000Z");
  BOOST_TEST(std::string_view(signature["who"]["identifier"]["value"]) == "1234567893");
  BOOST_TEST(std::string_view(signature["who"]["display"]) == "CDEX Example Organization");
  BOOST_TEST(std::string_view(signature["targetFormat"]) ==
             "application/fhir+json;canonicalization=http://hl7.org/fhir/canonicalization/json#document");
  BOOST_TEST(std::string_view(signature["sigFormat"]) == "application/jose");

  const std::string jws = sigt_jws(signed_bundle);  // header..signature
  const size_t dot = jws.find('.');
  BOOST_TEST(jws.substr(dot, 2) == "..");
  BOOST_TEST(jws.find('.', dot + 2) == std::string::npos);
  BOOST_TEST(sigt_b64_decode(jws.substr(dot + 2)).size() == 64u);  // ES256: raw r||s

  test::Json header(sigt_header(signed_bundle));
  BOOST_TEST(std::string_view(header.root()["alg"]) == "ES256");
  BOOST_TEST(std::string_view(header.root()["sigT"]) == "2026-12-05T08:00:00.000Z");
  BOOST_TEST(std::string_view(header.root()["srCms"].at(0)["commId"]["id"]) == "urn:oid:1.2.840.10065.1.12.1.5");
  BOOST_TEST(std::string_view(header.root()["kid"]).size() == 40u);  // SHA-1 subject key identifier, hex
  BOOST_TEST(header.root()["x5c"].get_array().size() == 2u);         // signer, intermediate

  // Signing a signed Bundle replaces its signature (one Bundle.signature).
  const std::string again =
      sigt_sign(sigt_signer(pki.p256, pki.chain(pki.p256), cdex::JwsAlgorithm::ES256), signed_bundle);
  BOOST_TEST(again.find("\"signature\"") == again.rfind("\"signature\""));
  BOOST_TEST(sigt_verifier(pki.root.certificate).verify_bundle(again).ok());
}

// JCS: what only changes the spelling of the same JSON still verifies.
BOOST_AUTO_TEST_CASE(CDX_15_reordered_reformatted_and_respelled_json_still_verifies) {
  const auto& pki = sigt_pki();
  const auto verifier = sigt_verifier(pki.root.certificate);
  const std::string signed_bundle =
      sigt_sign(sigt_signer(pki.rsa, pki.chain(pki.rsa), cdex::JwsAlgorithm::RS256), kSigtSmallBundle);
  const std::string variants[] = {
      sigt_replace(signed_bundle, "71.50", "71.5"),    // the same number
      sigt_replace(signed_bundle, "71.50", "7.15e1"),  // the same number again
      sigt_replace(signed_bundle, R"("status":"final","code":{"text":"weight"})",
                   R"("code":{"text":"weight"},"status":"final")"),  // members reordered
      sigt_replace(signed_bundle, R"({"resourceType":"Bundle",)", "{\n  \"resourceType\" : \"Bundle\",\n  "),
      sigt_replace(signed_bundle, R"("id":"small")", R"("id":"renamed","meta":{"versionId":"3"})"),  // not signed
      sigt_replace(signed_bundle, R"("unit":"kg")", R"("unit":"\u006bg")"),  // the same string
  };
  for (const auto& variant : variants) {
    auto verified = verifier.verify_bundle(variant);
    BOOST_TEST(verified.ok(), (verified.ok() ? "" : verified.error().message) << " for " << variant.substr(0, 300));
  }
}

BOOST_AUTO_TEST_CASE(CDX_15_tampered_bundles_are_refused_naming_the_reason) {
  const auto& pki = sigt_pki();
  const auto verifier = sigt_verifier(pki.root.certificate);
  const std::string bundle = test::read_fixture("cdex-ig/cdex-searchbundle-digital-sig-example.json");
  const std::string signed_bundle = sigt_sign(sigt_signer(pki.rsa, pki.chain(pki.rsa), cdex::JwsAlgorithm::RS256), bundle);
  BOOST_REQUIRE(verifier.verify_bundle(signed_bundle).ok());
  const std::string mismatch = "the signature does not match the Bundle's content";

  // Content changed after signing: a value, a number's value, an entry's id.
  // (The guide's Bundle was signed before, so the signer wrote it anew, minified.)
  sigt_require_refused(verifier.verify_bundle(sigt_replace(signed_bundle, "Hammer toe (disorder)", "Hammer toe")),
                       mismatch);
  sigt_require_refused(verifier.verify_bundle(sigt_replace(signed_bundle, R"("total":1)", R"("total":2)")), mismatch);
  sigt_require_refused(verifier.verify_bundle(sigt_replace(signed_bundle, R"("id":"4ac41715)", R"("id":"5ac41715)")),
                       mismatch);

  // No signature at all.
  auto missing = verifier.verify_bundle(R"({"resourceType":"Bundle","type":"collection"})");
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(std::string(fhir::issue_type_code(missing.error().type)) == "required");
  BOOST_TEST(missing.error().expression == "Bundle.signature");

  // The header: x5c removed, alg none, an HMAC, an unknown crit.
  const std::string jws = sigt_jws(signed_bundle);
  const std::string signature_part = jws.substr(jws.rfind('.') + 1);
  const auto forged = [&](const std::string& header_json, const std::string& sig) {
    return sigt_with_jws(signed_bundle, sigt_b64_encode(header_json, true) + ".." + sig);
  };
  test::Json header(sigt_header(signed_bundle));
  const std::string x5c = test::minified(header.root()["x5c"]);
  sigt_require_refused(verifier.verify_bundle(forged(R"({"alg":"RS256","kty":"RS"})", signature_part)),
                       "no \"x5c\" certificate chain");
  sigt_require_refused(verifier.verify_bundle(forged(R"({"alg":"none","x5c":)" + x5c + "}", "")),
                       "alg \"none\" (an unsigned JWS) is never accepted");
  sigt_require_refused(verifier.verify_bundle(forged(R"({"alg":"none","x5c":)" + x5c + "}", signature_part)),
                       "alg \"none\" (an unsigned JWS) is never accepted");
  sigt_require_refused(verifier.verify_bundle(forged(R"({"alg":"HS256","x5c":)" + x5c + "}", signature_part)),
                       "alg \"HS256\" (an HMAC with a shared secret) is never accepted");
  sigt_require_refused(
      verifier.verify_bundle(forged(R"({"alg":"RS256","crit":["exp"],"exp":1,"x5c":)" + x5c + "}", signature_part)),
      "\"crit\"");
  // The header was signed too: an added member breaks the signature.
  sigt_require_refused(
      verifier.verify_bundle(forged(R"({"alg":"RS256","kty":"RS","x5c":)" + x5c + "}", signature_part)), mismatch);
  // A JWS with the payload attached is not the detached form CDex asks for.
  sigt_require_refused(verifier.verify_bundle(sigt_with_jws(signed_bundle, sigt_replace(jws, "..", ".e30."))),
                       "not detached");
  sigt_require_refused(verifier.verify_bundle(sigt_with_jws(signed_bundle, "not a jws")), "compact serialization");

  // A chain that does not lead to the trust anchors; a leaf not meant to sign;
  // a key that does not suit the header's alg.
  const std::string rogue_signed =
      sigt_sign(sigt_signer(pki.rogue, pki.rogue.certificate, cdex::JwsAlgorithm::ES256), bundle);
  sigt_require_refused(verifier.verify_bundle(rogue_signed), "the x5c certificate chain is not trusted");
  const std::string leaf_only =  // our own leaf without its intermediate: no path to the root
      sigt_sign(sigt_signer(pki.p256, pki.p256.certificate, cdex::JwsAlgorithm::ES256), bundle);
  sigt_require_refused(verifier.verify_bundle(leaf_only), "unable to get local issuer certificate");
  const std::string enciphering = sigt_sign(
      sigt_signer(pki.no_signing_usage, pki.chain(pki.no_signing_usage), cdex::JwsAlgorithm::ES256), bundle);
  sigt_require_refused(verifier.verify_bundle(enciphering), "key usage does not allow digital signatures");
  test::Json ec_header(sigt_header(enciphering));
  sigt_require_refused(verifier.verify_bundle(forged(R"({"alg":"RS256","x5c":)" +
                                                         test::minified(ec_header.root()["x5c"]) + "}",
                                                     signature_part)),
                       "needs an RSA key");
}

BOOST_AUTO_TEST_CASE(CDX_15_a_signer_refuses_keys_that_do_not_fit) {
  const auto& pki = sigt_pki();
  auto wrong_alg = cdex::BundleSigner::create(pki.p256.private_key, pki.chain(pki.p256), cdex::JwsAlgorithm::RS256);
  BOOST_REQUIRE(!wrong_alg.ok());
  BOOST_TEST(wrong_alg.error().message.find("needs an RSA key") != std::string::npos);
  auto wrong_curve = cdex::BundleSigner::create(pki.p256.private_key, pki.chain(pki.p256), cdex::JwsAlgorithm::ES384);
  BOOST_REQUIRE(!wrong_curve.ok());
  BOOST_TEST(wrong_curve.error().message.find("P-384") != std::string::npos);
  auto not_its_certificate =
      cdex::BundleSigner::create(pki.p256.private_key, pki.chain(pki.rogue), cdex::JwsAlgorithm::ES256);
  BOOST_REQUIRE(!not_its_certificate.ok());
  BOOST_TEST(not_its_certificate.error().message.find("does not belong") != std::string::npos);
  auto signer = sigt_signer(pki.p256, pki.chain(pki.p256), cdex::JwsAlgorithm::ES256);
  auto not_a_bundle = signer.sign(R"({"resourceType":"Patient"})", kSigtWho, "2026-12-05T08:00:00Z");
  BOOST_REQUIRE(!not_a_bundle.ok());
  BOOST_TEST(not_a_bundle.error().expression == "resourceType");
  auto nobody = signer.sign(kSigtSmallBundle, cdex::SignatureWho{}, "2026-12-05T08:00:00Z");
  BOOST_REQUIRE(!nobody.ok());
  BOOST_TEST(nobody.error().expression == "Bundle.signature.who");
  BOOST_TEST(!cdex::TrustAnchors::from_pem("no certificate here").ok());
}

BOOST_AUTO_TEST_SUITE_END()
