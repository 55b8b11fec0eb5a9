#include "admin_token.hpp"

#include <openssl/crypto.h>

#include "crdex/config/rule_store.hpp"
#include "crdex/fhir/token_file.hpp"

namespace crdex::server {

std::optional<AdminToken> AdminToken::from_file(const std::filesystem::path& file, std::string& error) {
  auto token = fhir::read_token_file(file, "--admin-token-file");
  if (!token) {
    error = token.error().message;
    return std::nullopt;
  }
  return from_token(*token);
}

AdminToken AdminToken::from_token(std::string_view token) {
  AdminToken out;
  out.hash_ = config::sha256_checksum(token);
  return out;
}

bool AdminToken::matches(std::string_view presented) const {
  if (presented.empty() || hash_.empty()) return false;
  const std::string hash = config::sha256_checksum(presented);
  // Both are "sha256:" + 64 hex digits: equal lengths, compared in full.
  return hash.size() == hash_.size() && CRYPTO_memcmp(hash.data(), hash_.data(), hash.size()) == 0;
}

}  // namespace crdex::server
