#pragma once
// The Data Source's signature agreements with Data Consumers (CDex
// "Signatures" for Direct Query, conformance row CDX-03): a payer may agree
// with the provider that what it reads from the Data Source's FHIR endpoints
// (/fhir/Task reads and searches) comes signed — a system-level signature, as
// no human is involved. crdex signs only Bundles (signature.hpp: Bundle.signature,
// detached JWS over the JCS form), and only when it holds a signing key:
//
//   - a search (a searchset Bundle) for such a consumer is signed with the
//     configured key; without one it is refused;
//   - a read of one Task is refused (a Task carries no signature: a search
//     brings it in a signed Bundle);
//
// A refusal is a 400 OperationOutcome with code business-rule, saying why and
// what the consumer can do. Consumers without such an agreement are served as
// before.
//
// The agreements file (JSON):
//   {
//     "signedReadsFor": ["payer-backend-client", "client-token"],  // see below
//     "signingKey": "source-key.pem",            // optional: PKCS#8 PEM, relative to this file
//     "signingCertificates": "source-chain.pem", // with the key: its certificate, then intermediates
//     "algorithm": "ES256",                       // RS256 (default), RS384, ES256, ES384
//     "signer": {"display": "Example Clinic Data Source", "identifierSystem": "...",
//                "identifierValue": "...", "reference": "Organization/1"}  // Signature.who
//   }
// A consumer is named by its SMART Backend Services client_id; "client-token"
// is whoever presents the static --cdex-client-token-file token (or nothing,
// when the endpoints are open), and "*" is every consumer.

#include <crdex/cdex/signature.hpp>
#include <crdex/fhir/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crdex::cdex {

// The consumer name of the static --cdex-client-token-file token.
inline constexpr std::string_view kStaticTokenConsumer = "client-token";

class SignedReads {
 public:
  static fhir::Result<SignedReads> from_file(const std::string& path);
  SignedReads(std::vector<std::string> consumers, std::optional<BundleSigner> signer, SignatureWho who)
      : consumers_(std::move(consumers)), signer_(std::move(signer)), who_(std::move(who)) {}

  // Whether the agreement with `consumer` asks for signed data.
  bool required_for(std::string_view consumer) const;
  bool can_sign() const { return signer_.has_value(); }

  // What `consumer` may be sent as the answer `resource_json`: unchanged when
  // no signature is agreed; the Bundle signed now; or a 400 business-rule Error
  // when crdex cannot sign it (not a Bundle, or no signing key).
  fhir::Result<std::string> answer(std::string_view consumer, std::string resource_json) const;

 private:
  std::vector<std::string> consumers_;
  std::optional<BundleSigner> signer_;
  SignatureWho who_;
};

}  // namespace crdex::cdex
