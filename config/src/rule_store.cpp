#include "crdex/config/rule_store.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "rule_store_postgres.hpp"

namespace crdex::config {

namespace {

std::string rule_store_hex(const unsigned char* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

}  // namespace

fhir::Result<std::unique_ptr<RuleStore>> open_rule_store(const fhir::StoreLocation& location) {
  if (location.is_postgresql()) return PostgresRuleStore::open(location.postgres_url);
  return RuleStore::open(location.sqlite_dir / "rules.sqlite");
}

std::string sha256_checksum(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return "sha256:" + rule_store_hex(digest, size);
}

std::string new_publisher_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
  return rule_store_hex(bytes, sizeof bytes);
}

}  // namespace crdex::config
