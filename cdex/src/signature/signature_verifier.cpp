// SignatureVerifier: checks a received Bundle.signature (see signature.hpp).
// The order of the checks is the order of the reasons a sender reads: the
// Signature element, the JWS form, the header (algorithm, x5c), the chain to a
// trust anchor, and last the signature over the canonical Bundle.

#include <crdex/cdex/json_canonical.hpp>
#include <openssl/x509v3.h>

#include "signature_detail.hpp"

namespace crdex::cdex {

namespace {

const std::vector<std::string_view> kVerifierOmittedRootMembers = {"id", "meta", "signature"};

fhir::Error verifier_refusal(const std::string& why, std::string expression = "Bundle.signature.data") {
  return {400, fhir::IssueType::invalid, "the Bundle signature does not verify: " + why, std::move(expression)};
}

bool verifier_has_verification_type(simdjson::dom::element signature) {
  simdjson::dom::array types;
  if (signature["type"].get(types) != simdjson::SUCCESS) return false;
  for (const auto coding : types) {
    std::string_view code;
    std::string_view system;
    if (coding["code"].get(code) != simdjson::SUCCESS || code != kVerificationSignatureCode) continue;
    if (coding["system"].get(system) == simdjson::SUCCESS && system != kSignatureTypeSystem) continue;
    return true;
  }
  return false;
}

std::string verifier_text(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

// Why the header's `alg` is refused, or empty with `algorithm` set.
std::string verifier_algorithm(simdjson::dom::element header, JwsAlgorithm& algorithm) {
  std::string_view name;
  if (header["alg"].get(name) != simdjson::SUCCESS) return "the JWS header has no \"alg\"";
  if (auto parsed = parse_jws_algorithm(name)) {
    algorithm = *parsed;
    return {};
  }
  if (name == "none") return "alg \"none\" (an unsigned JWS) is never accepted";
  if (name.substr(0, 2) == "HS") {
    return "alg \"" + std::string(name) + "\" (an HMAC with a shared secret) is never accepted: it cannot show who signed";
  }
  return "alg \"" + std::string(name) + "\" is not supported (RS256, RS384, ES256 or ES384)";
}

}  // namespace

fhir::Result<VerifiedSignature> SignatureVerifier::verify_bundle(std::string_view bundle_json) const {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(bundle_json.data(), bundle_json.size()).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return fhir::Error::invalid("the signed resource is not a JSON object");
  }
  std::string_view type;
  if (root["resourceType"].get(type) != simdjson::SUCCESS || type != "Bundle") {
    return fhir::Error::invalid("only Bundle signatures are verified (CDex signs Bundles)", "resourceType");
  }
  simdjson::dom::element signature;
  if (root["signature"].get(signature) != simdjson::SUCCESS || !signature.is_object()) {
    return fhir::Error{400, fhir::IssueType::required, "the Bundle is not signed (Bundle.signature is missing)",
                       "Bundle.signature"};
  }
  VerifiedSignature verified;
  std::string_view text;
  if (signature["when"].get(text) == simdjson::SUCCESS) verified.when = text;
  if (!verifier_has_verification_type(signature)) {
    return verifier_refusal(
        "Bundle.signature.type must hold " + std::string(kVerificationSignatureCode) + " (Verification Signature)",
        "Bundle.signature.type");
  }
  if (signature["sigFormat"].get(text) == simdjson::SUCCESS && text != kSignatureSigFormat) {
    return verifier_refusal("only JWS signatures (sigFormat application/jose) are verified, not " + std::string(text),
                            "Bundle.signature.sigFormat");
  }
  std::string_view data;
  if (signature["data"].get(data) != simdjson::SUCCESS || data.empty()) {
    return verifier_refusal("Bundle.signature.data is missing");
  }

  // Signature.data: base64 of the compact JWS, `header..signature`.
  auto decoded = detail::base64_decode(data, false);
  if (!decoded) decoded = detail::base64_decode(data, true);
  if (!decoded) return verifier_refusal("Bundle.signature.data is not base64");
  const std::string jws = verifier_text(*decoded);
  const size_t first_dot = jws.find('.');
  const size_t second_dot = first_dot == std::string::npos ? first_dot : jws.find('.', first_dot + 1);
  if (second_dot == std::string::npos || jws.find('.', second_dot + 1) != std::string::npos) {
    return verifier_refusal("the JWS is not in compact serialization (header.payload.signature)");
  }
  if (second_dot != first_dot + 1) {
    return verifier_refusal("the JWS is not detached: its payload part is not empty");
  }
  const std::string header_b64 = jws.substr(0, first_dot);
  auto header_bytes = detail::base64_decode(header_b64, true);
  if (!header_bytes) return verifier_refusal("the JWS header is not base64url");
  const std::string header_text = verifier_text(*header_bytes);
  simdjson::dom::parser header_parser;
  simdjson::dom::element header;
  if (header_parser.parse(header_text).get(header) != simdjson::SUCCESS || !header.is_object()) {
    return verifier_refusal("the JWS header is not a JSON object");
  }

  // The header: algorithm, extensions crdex would have to understand, x5c.
  if (auto why = verifier_algorithm(header, verified.algorithm); !why.empty()) return verifier_refusal(why);
  if (header["crit"].error() != simdjson::NO_SUCH_FIELD) {
    return verifier_refusal("the JWS header lists \"crit\" extensions, which crdex does not implement");
  }
  if (header["b64"].error() != simdjson::NO_SUCH_FIELD) {
    return verifier_refusal("an unencoded payload (\"b64\") is not supported");
  }
  if (header["sigT"].get(text) == simdjson::SUCCESS) verified.sig_time = text;
  auto signature_bytes = detail::base64_decode(std::string_view(jws).substr(second_dot + 1), true);
  if (!signature_bytes || signature_bytes->empty()) {
    return verifier_refusal("the JWS signature part is empty or not base64url");
  }
  simdjson::dom::array x5c;
  if (header["x5c"].get(x5c) != simdjson::SUCCESS || x5c.size() == 0) {
    return verifier_refusal("the JWS header has no \"x5c\" certificate chain, so the signer cannot be identified");
  }
  std::vector<detail::OsslPtr<X509>> chain;
  for (const auto entry : x5c) {
    std::string_view encoded;
    std::optional<std::vector<uint8_t>> der;
    if (entry.get(encoded) == simdjson::SUCCESS) der = detail::base64_decode(encoded, false);
    auto certificate = der ? detail::certificate_from_der(*der) : nullptr;
    if (!certificate) {
      return verifier_refusal("x5c[" + std::to_string(chain.size()) + "] is not a base64 DER certificate");
    }
    chain.push_back(std::move(certificate));
  }
  X509* leaf = chain.front().get();
  EVP_PKEY* key = X509_get0_pubkey(leaf);
  if (key == nullptr) return verifier_refusal("the x5c leaf certificate's key cannot be read");
  if (auto why = detail::key_mismatch(key, verified.algorithm); !why.empty()) {
    return verifier_refusal("the x5c leaf certificate's key does not match alg: " + why);
  }
  if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) != 0 &&
      (X509_get_key_usage(leaf) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
    return verifier_refusal("the x5c leaf certificate's key usage does not allow digital signatures");
  }
  verified.signer_subject = detail::subject_line(leaf);

  // The chain: leaf, then the other x5c certificates, to a trust anchor.
  detail::OsslPtr<STACK_OF(X509)> untrusted(sk_X509_new_null());
  for (size_t i = 1; i < chain.size(); ++i) {
    X509_up_ref(chain[i].get());
    sk_X509_push(untrusted.get(), chain[i].get());
  }
  detail::OsslPtr<X509_STORE_CTX> context(X509_STORE_CTX_new());
  if (!context || !untrusted ||
      X509_STORE_CTX_init(context.get(), detail::anchor_store(*anchors_.state_), leaf, untrusted.get()) != 1) {
    detail::ossl_error_text();
    return fhir::Error{500, fhir::IssueType::exception, "could not set up certificate verification", {}};
  }
  if (at_) X509_STORE_CTX_set_time(context.get(), 0, std::chrono::system_clock::to_time_t(*at_));
  if (X509_verify_cert(context.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(context.get());
    const int depth = X509_STORE_CTX_get_error_depth(context.get());
    X509* at_fault = X509_STORE_CTX_get_current_cert(context.get());
    detail::ossl_error_text();
    return verifier_refusal("the x5c certificate chain is not trusted: " +
                            std::string(X509_verify_cert_error_string(error)) + " (at depth " +
                            std::to_string(depth) + (at_fault ? ", " + detail::subject_line(at_fault) : "") + ")");
  }

  // The signature over the canonical Bundle (without root id, meta, signature).
  auto canonical = canonical_json(root, kVerifierOmittedRootMembers);
  if (!canonical) return verifier_refusal("the Bundle has no canonical form: " + canonical.error().message, "Bundle");
  const std::string input = header_b64 + "." + detail::base64_encode(*canonical, true);
  if (!detail::jws_verify(key, verified.algorithm, input, *signature_bytes)) {
    return verifier_refusal(
        "the signature does not match the Bundle's content (the Bundle was changed after signing, or signed with "
        "another key)");
  }
  return verified;
}

}  // namespace crdex::cdex
