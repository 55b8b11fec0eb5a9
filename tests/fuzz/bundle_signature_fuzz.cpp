// Fuzz target: arbitrary bytes as a signed Bundle (a received $submit-attachment
// content or Direct Query answer) through the JCS canonicalizer and the CDex
// signature verifier. Neither may crash or throw; canonicalizing a canonical
// text must give it back unchanged; every refusal must say why; and since the
// only trust anchor is a CA made fresh in this process, no input may verify.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cdex/test_pki.hpp"
#include "crdex/cdex/json_canonical.hpp"
#include "crdex/cdex/signature.hpp"

namespace {

const crdex::cdex::SignatureVerifier& fuzz_verifier() {
  static const crdex::cdex::SignatureVerifier verifier = [] {
    auto anchors = crdex::cdex::TrustAnchors::from_pem(crdex::test::make_test_ca("fuzz root").certificate);
    if (!anchors) std::abort();
    return crdex::cdex::SignatureVerifier(std::move(anchors).value());
  }();
  return verifier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto canonical = crdex::cdex::canonical_json(text, {"id", "meta", "signature"});
  if (canonical) {
    const auto again = crdex::cdex::canonical_json(*canonical);
    if (!again || *again != *canonical) __builtin_trap();  // JCS is idempotent
  } else if (canonical.error().message.empty()) {
    __builtin_trap();
  }
  const auto verified = fuzz_verifier().verify_bundle(text);
  if (verified) __builtin_trap();  // nothing can be signed by a key made in this process
  if (verified.error().message.empty()) __builtin_trap();
  return 0;
}
