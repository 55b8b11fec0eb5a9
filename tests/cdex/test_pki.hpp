#pragma once
// A throw-away PKI made at test time with OpenSSL (no private key is ever
// committed): a root CA, an intermediate it signed, and signer certificates
// the intermediate issued, each as PEM text.

#include <string>

namespace crdex::test {

struct PemCredentials {
  std::string private_key;  // PKCS#8 PEM
  std::string certificate;  // PEM
};

enum class TestKeyType { rsa2048, ec_p256, ec_p384 };

// A self-signed CA certificate (basicConstraints CA:TRUE, keyCertSign).
PemCredentials make_test_ca(const std::string& common_name);
// A certificate for `common_name` issued by `issuer` (CA:TRUE when `is_ca`,
// else an end-entity with digitalSignature + nonRepudiation, or only
// keyEncipherment when `signing_usage` is false). Valid from an hour ago for a
// year.
PemCredentials make_test_certificate(const std::string& common_name, const PemCredentials& issuer,
                                     TestKeyType key_type, bool is_ca = false, bool signing_usage = true);

}  // namespace crdex::test
