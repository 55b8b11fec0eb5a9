#pragma once
// The administrator's bearer token for /admin/... (--admin-token-file). Like
// the publishers' tokens, only its SHA-256 is kept; a presented token is
// hashed and the two hashes compared in constant time, so neither the token
// nor how much of it matched shows in the timing.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace crdex::server {

class AdminToken {
 public:
  // The first line of `file` (at least 16 characters), or why not.
  static std::optional<AdminToken> from_file(const std::filesystem::path& file, std::string& error);
  static AdminToken from_token(std::string_view token);

  bool matches(std::string_view presented) const;

 private:
  std::string hash_;
};

}  // namespace crdex::server
