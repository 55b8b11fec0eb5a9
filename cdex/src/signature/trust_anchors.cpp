// TrustAnchors: the configured roots a signer's x5c chain must lead to.

#include <fstream>
#include <sstream>

#include "signature_detail.hpp"

namespace crdex::cdex {

fhir::Result<TrustAnchors> TrustAnchors::from_pem(std::string_view pem) {
  auto certificates = detail::certificates_from_pem(pem);
  if (certificates.empty()) {
    return fhir::Error::invalid("the signature trust anchors hold no PEM certificate");
  }
  auto state = std::make_shared<State>();
  state->store.reset(X509_STORE_new());
  if (!state->store) return fhir::Error{500, fhir::IssueType::exception, "out of memory building a trust store", {}};
  for (auto& certificate : certificates) {
    if (X509_STORE_add_cert(state->store.get(), certificate.get()) != 1) {
      return fhir::Error::invalid("a trust anchor could not be added: " + detail::ossl_error_text());
    }
    ++state->count;
  }
  return TrustAnchors(std::move(state));
}

fhir::Result<TrustAnchors> TrustAnchors::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fhir::Error::invalid("cannot read the signature trust anchors file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  auto anchors = from_pem(text.str());
  if (!anchors) return fhir::Error::invalid(path + ": " + anchors.error().message);
  return anchors;
}

size_t TrustAnchors::size() const { return state_ ? state_->count : 0; }

}  // namespace crdex::cdex

namespace crdex::cdex::detail {
X509_STORE* anchor_store(const TrustAnchors::State& state) { return state.store.get(); }
}  // namespace crdex::cdex::detail
