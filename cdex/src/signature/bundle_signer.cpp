// BundleSigner: writes Bundle.signature as CDex asks (see signature.hpp).

#include <crdex/cdex/json_canonical.hpp>
#include <crdex/fhir/json_writer.hpp>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "signature_detail.hpp"

namespace crdex::cdex {

struct BundleSigner::State {
  detail::OsslPtr<EVP_PKEY> key;
  JwsAlgorithm algorithm = JwsAlgorithm::RS256;
  std::vector<std::string> x5c;  // base64 DER, signer first
  std::string kid;               // the signer certificate's subject key identifier, hex
};

namespace {

const std::vector<std::string_view> kSignerOmittedRootMembers = {"id", "meta", "signature"};

std::string signer_key_identifier(X509* certificate) {
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(certificate);
  if (ski == nullptr) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const unsigned char* data = ASN1_STRING_get0_data(ski);
  for (int i = 0; i < ASN1_STRING_length(ski); ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0x0F]);
  }
  return out;
}

std::string signer_header_json(const BundleSigner::State& state, std::string_view when) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_optional_string(w, "alg", jws_algorithm_name(state.algorithm));
  fhir::write_optional_string(w, "kid", state.kid);
  fhir::write_optional_string(
      w, "kty", state.algorithm == JwsAlgorithm::RS256 || state.algorithm == JwsAlgorithm::RS384 ? "RS" : "EC");
  fhir::write_optional_string(w, "sigT", when);
  fhir::write_key(w, "srCms");
  w.StartArray();
  w.StartObject();
  fhir::write_key(w, "commId");
  w.StartObject();
  fhir::write_optional_string(w, "desc", "Verification Signature");
  fhir::write_optional_string(w, "id", "urn:oid:" + std::string(kVerificationSignatureCode));
  w.EndObject();
  w.EndObject();
  w.EndArray();
  fhir::write_key(w, "x5c");
  w.StartArray();
  for (const auto& certificate : state.x5c) fhir::write_string(w, certificate);
  w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string signer_signature_element(const SignatureWho& who, std::string_view when, std::string_view jws) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "type");
  w.StartArray();
  w.StartObject();
  fhir::write_optional_string(w, "system", kSignatureTypeSystem);
  fhir::write_optional_string(w, "code", kVerificationSignatureCode);
  fhir::write_optional_string(w, "display", "Verification Signature");
  w.EndObject();
  w.EndArray();
  fhir::write_optional_string(w, "when", when);
  fhir::write_key(w, "who");
  w.StartObject();
  fhir::write_optional_string(w, "reference", who.reference);
  if (!who.identifier_value.empty()) {
    fhir::write_key(w, "identifier");
    w.StartObject();
    fhir::write_optional_string(w, "system", who.identifier_system);
    fhir::write_optional_string(w, "value", who.identifier_value);
    w.EndObject();
  }
  fhir::write_optional_string(w, "display", who.display);
  w.EndObject();
  fhir::write_optional_string(w, "targetFormat", kSignatureTargetFormat);
  fhir::write_optional_string(w, "sigFormat", kSignatureSigFormat);
  fhir::write_optional_string(w, "data", detail::base64_encode(jws, false));
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

fhir::Result<BundleSigner> BundleSigner::create(std::string_view private_key_pem,
                                                std::string_view certificate_chain_pem, JwsAlgorithm algorithm) {
  auto state = std::make_shared<State>();
  state->algorithm = algorithm;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())), BIO_free);
  state->key.reset(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!state->key) return fhir::Error::invalid("the signing key is not a PEM private key: " + detail::ossl_error_text());
  if (auto why = detail::key_mismatch(state->key.get(), algorithm); !why.empty()) {
    return fhir::Error::invalid("the signing key does not suit " + std::string(jws_algorithm_name(algorithm)) + ": " +
                                why);
  }
  auto chain = detail::certificates_from_pem(certificate_chain_pem);
  if (chain.empty()) return fhir::Error::invalid("the signing certificate chain holds no PEM certificate");
  if (X509_check_private_key(chain.front().get(), state->key.get()) != 1) {
    detail::ossl_error_text();
    return fhir::Error::invalid("the signing key does not belong to the first certificate of the chain");
  }
  state->kid = signer_key_identifier(chain.front().get());
  for (auto& certificate : chain) {
    state->x5c.push_back(detail::base64_encode(detail::certificate_der(certificate.get()), false));
  }
  return BundleSigner(std::move(state));
}

fhir::Result<std::string> BundleSigner::detached_jws(std::string_view bundle_json, std::string_view when) const {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(bundle_json.data(), bundle_json.size()).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return fhir::Error::invalid("the resource to sign is not a JSON object");
  }
  std::string_view type;
  if (root["resourceType"].get(type) != simdjson::SUCCESS || type != "Bundle") {
    return fhir::Error::invalid("only a Bundle can be signed (CDex signs Bundles)", "resourceType");
  }
  if (when.empty()) return fhir::Error::invalid("a signature needs its time", "Bundle.signature.when");
  auto canonical = canonical_json(root, kSignerOmittedRootMembers);
  if (!canonical) return canonical.error();
  const std::string header = detail::base64_encode(signer_header_json(*state_, when), true);
  const std::string input = header + "." + detail::base64_encode(*canonical, true);
  auto signature = detail::jws_sign(state_->key.get(), state_->algorithm, input);
  if (!signature) return fhir::Error{500, fhir::IssueType::exception, "signing failed", {}};
  return header + ".." + detail::base64_encode(*signature, true);
}

fhir::Result<std::string> BundleSigner::sign(std::string_view bundle_json, const SignatureWho& who,
                                             std::string_view when) const {
  if (who.reference.empty() && (who.identifier_value.empty() || who.display.empty())) {
    return fhir::Error::invalid("Signature.who needs a reference, or an identifier and a display (cdex-13)",
                                "Bundle.signature.who");
  }
  auto jws = detached_jws(bundle_json, when);
  if (!jws) return jws.error();
  const std::string element = signer_signature_element(who, when, *jws);

  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(bundle_json.data(), bundle_json.size()).get(root) != simdjson::SUCCESS) {
    return fhir::Error::invalid("the resource to sign is not a JSON object");
  }
  simdjson::dom::element existing;
  if (root["signature"].get(existing) != simdjson::SUCCESS) {
    // No signature yet: the Bundle's own text, byte for byte, with the
    // signature added before its closing brace (decimals keep their spelling).
    const size_t close = bundle_json.find_last_of('}');
    return std::string(bundle_json.substr(0, close)) + ",\"signature\":" + element +
           std::string(bundle_json.substr(close));
  }
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  for (const auto field : root) {
    if (field.key == "signature") continue;
    fhir::write_key(w, field.key);
    fhir::write_raw(w, field.value);
  }
  fhir::write_key(w, "signature");
  fhir::write_json_text(w, element, rapidjson::kObjectType);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace crdex::cdex
