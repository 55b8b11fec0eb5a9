#include "cdex/test_pki.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace crdex::test {

namespace {

struct PkiFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <class T>
using PkiPtr = std::unique_ptr<T, PkiFree>;

void pki_check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

PkiPtr<EVP_PKEY> pki_key(TestKeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case TestKeyType::rsa2048: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}); break;
    case TestKeyType::ec_p256: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case TestKeyType::ec_p384: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); break;
  }
  pki_check(key != nullptr, "key generation");
  return PkiPtr<EVP_PKEY>(key);
}

std::string pki_bio_text(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(length));
}

PkiPtr<EVP_PKEY> pki_read_key(const std::string& pem) {
  PkiPtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkiPtr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  pki_check(key != nullptr, "reading the issuer key");
  return key;
}

PkiPtr<X509> pki_read_certificate(const std::string& pem) {
  PkiPtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkiPtr<X509> certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  pki_check(certificate != nullptr, "reading the issuer certificate");
  return certificate;
}

void pki_add_extension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, certificate, nullptr, nullptr, 0);
  PkiPtr<X509_EXTENSION> extension(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  pki_check(extension && X509_add_ext(certificate, extension.get(), -1) == 1, "adding an extension");
}

PemCredentials pki_issue(const std::string& common_name, EVP_PKEY* key, X509* issuer_certificate,
                         EVP_PKEY* issuer_key, bool is_ca, bool signing_usage) {
  static long serial = 1;
  PkiPtr<X509> certificate(X509_new());
  pki_check(certificate != nullptr, "X509_new");
  X509_set_version(certificate.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 365L * 24 * 3600);
  X509_set_pubkey(certificate.get(), key);
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("crdex tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                             -1, 0);
  X509* issuer = issuer_certificate != nullptr ? issuer_certificate : certificate.get();
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(issuer));
  pki_add_extension(certificate.get(), issuer, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  pki_add_extension(certificate.get(), issuer, NID_key_usage,
                    is_ca ? "critical,keyCertSign,cRLSign"
                          : (signing_usage ? "critical,digitalSignature,nonRepudiation" : "critical,keyEncipherment"));
  pki_add_extension(certificate.get(), issuer, NID_subject_key_identifier, "hash");
  if (issuer_certificate != nullptr) pki_add_extension(certificate.get(), issuer, NID_authority_key_identifier, "keyid");
  pki_check(X509_sign(certificate.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");

  PemCredentials out;
  PkiPtr<BIO> key_bio(BIO_new(BIO_s_mem()));
  pki_check(PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "writing a key");
  out.private_key = pki_bio_text(key_bio.get());
  PkiPtr<BIO> certificate_bio(BIO_new(BIO_s_mem()));
  pki_check(PEM_write_bio_X509(certificate_bio.get(), certificate.get()) == 1, "writing a certificate");
  out.certificate = pki_bio_text(certificate_bio.get());
  return out;
}

}  // namespace

PemCredentials make_test_ca(const std::string& common_name) {
  auto key = pki_key(TestKeyType::ec_p256);
  return pki_issue(common_name, key.get(), nullptr, nullptr, true, true);
}

PemCredentials make_test_certificate(const std::string& common_name, const PemCredentials& issuer,
                                     TestKeyType key_type, bool is_ca, bool signing_usage) {
  auto key = pki_key(key_type);
  auto issuer_key = pki_read_key(issuer.private_key);
  auto issuer_certificate = pki_read_certificate(issuer.certificate);
  return pki_issue(common_name, key.get(), issuer_certificate.get(), issuer_key.get(), is_ca, signing_usage);
}

}  // namespace crdex::test
