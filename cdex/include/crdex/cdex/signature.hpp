#pragma once
// CDex digital signatures on FHIR Bundles (CDex "Signatures", conformance row
// CDX-15): an enveloped Bundle.signature whose `data` is a detached JWS in
// compact serialization over the Bundle's JCS canonical form.
//
// Signing: the Bundle without its root `id`, `meta` and `signature` is
// canonicalized (json_canonical.hpp), base64url-encoded as the JWS payload and
// signed with the signer's private key; the payload is then removed
// (`header..signature`), the JWS is base64-encoded once more and written as
// Bundle.signature.data, with Signature.type 1.2.840.10065.1.12.1.5
// (urn:iso-astm:E1762-95:2013), `when`, `who`, `targetFormat` and `sigFormat`.
// The JWS header carries `alg`, `kid` (the leaf's subject key identifier),
// `kty`, `sigT`, `srCms` (the commitment type, as the CDex examples do) and
// `x5c`: the signer's certificate first, then the rest of its chain.
//
// Verification accepts RS256, RS384, ES256 and ES384 only (never `none`, never
// an HMAC), refuses a header with a `crit` it does not understand, builds the
// chain from the x5c leaf through the other x5c certificates to one of the
// configured trust anchors (X509_verify_cert), checks the leaf's key usage
// allows signing, and checks the JWS over the canonical form of the Bundle as
// received. Every refusal is a 400 Error whose message says what was wrong.

#include <crdex/fhir/result.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crdex::cdex {

// Signature.type and the JWS srCms commitment: ASTM E1762-95(2013) Verification Signature.
inline constexpr std::string_view kSignatureTypeSystem = "urn:iso-astm:E1762-95:2013";
inline constexpr std::string_view kVerificationSignatureCode = "1.2.840.10065.1.12.1.5";
inline constexpr std::string_view kSignatureTargetFormat =
    "application/fhir+json;canonicalization=http://hl7.org/fhir/canonicalization/json#document";
inline constexpr std::string_view kSignatureSigFormat = "application/jose";

// The JWS algorithms crdex signs and verifies with.
enum class JwsAlgorithm { RS256, RS384, ES256, ES384 };
const char* jws_algorithm_name(JwsAlgorithm algorithm);
// "RS256" -> RS256; any other name (including "none" and "HS256") -> nullopt.
std::optional<JwsAlgorithm> parse_jws_algorithm(std::string_view name);

// Signature.who: a reference, or an identifier with a display (CDex cdex-13).
struct SignatureWho {
  std::string reference;          // e.g. "Practitioner/123"; may be empty
  std::string identifier_system;  // e.g. "http://hl7.org/fhir/sid/us-npi"
  std::string identifier_value;
  std::string display;
};

// The certificates a verifier trusts as roots of signers' chains.
class TrustAnchors {
 public:
  // Every certificate in `pem` (one or more PEM CERTIFICATE blocks). An empty
  // text, or one with no certificate in it, is an Error.
  static fhir::Result<TrustAnchors> from_pem(std::string_view pem);
  // The same, read from a file (a CA bundle).
  static fhir::Result<TrustAnchors> from_file(const std::string& path);
  size_t size() const;

  struct State;

 private:
  explicit TrustAnchors(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
  friend class SignatureVerifier;
};

// A private key and its certificate chain, parsed once, that signs Bundles.
class BundleSigner {
 public:
  // `private_key_pem`: the signer's key (RSA >= 2048 bits for RS*, EC P-256 /
  // P-384 for ES256 / ES384). `certificate_chain_pem`: the signer's
  // certificate first, then any intermediates (the trust anchor may be left
  // out). The key must belong to the first certificate and suit `algorithm`.
  static fhir::Result<BundleSigner> create(std::string_view private_key_pem, std::string_view certificate_chain_pem,
                                           JwsAlgorithm algorithm);

  // `bundle_json` with Bundle.signature set (an existing one is replaced).
  // `when` is the signing time as a FHIR instant (also the JWS `sigT`).
  // Everything else in the Bundle is kept as it was.
  fhir::Result<std::string> sign(std::string_view bundle_json, const SignatureWho& who, std::string_view when) const;

  // The detached compact JWS (`header..signature`) over `bundle_json`'s
  // canonical form, without the Bundle around it.
  fhir::Result<std::string> detached_jws(std::string_view bundle_json, std::string_view when) const;

  struct State;

 private:
  explicit BundleSigner(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

// What a successful verification established.
struct VerifiedSignature {
  JwsAlgorithm algorithm = JwsAlgorithm::RS256;
  std::string signer_subject;  // the leaf certificate's subject, one line (RFC 2253)
  std::string when;            // Bundle.signature.when
  std::string sig_time;        // the JWS header's sigT, when present
};

class SignatureVerifier {
 public:
  explicit SignatureVerifier(TrustAnchors anchors) : anchors_(std::move(anchors)) {}

  // The time certificates must be valid at; the current time when unset.
  void set_verification_time(std::chrono::system_clock::time_point at) { at_ = at; }

  // Verifies the Bundle.signature of `bundle_json`. A Bundle without a
  // signature is an Error (400 `required`); a signature that does not verify
  // is an Error (400 `invalid`, expression "Bundle.signature...").
  fhir::Result<VerifiedSignature> verify_bundle(std::string_view bundle_json) const;

 private:
  TrustAnchors anchors_;
  std::optional<std::chrono::system_clock::time_point> at_;
};

}  // namespace crdex::cdex
