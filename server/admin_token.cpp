#include "admin_token.hpp"

#include <openssl/crypto.h>

#include <fstream>

#include "crdex/config/rule_store.hpp"

namespace crdex::server {

std::optional<AdminToken> AdminToken::from_file(const std::filesystem::path& file, std::string& error) {
  std::ifstream in(file);
  std::string token;
  if (!in || !std::getline(in, token)) {
    error = file.string() + ": cannot read the admin token";
    return std::nullopt;
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.size() < 16) {
    error = file.string() + ": an admin token needs at least 16 characters";
    return std::nullopt;
  }
  return from_token(token);
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
