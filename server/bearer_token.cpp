#include "bearer_token.hpp"

#include <cctype>

namespace crdex::server {

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() || authorization[kScheme.size()] != ' ') return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return std::nullopt;
  auto token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

std::string bearer_token_of(const Pistache::Http::Request& request) {
  auto header = request.headers().tryGet<Pistache::Http::Header::Authorization>();
  if (!header) return {};
  const std::string value = header->value();
  const auto token = bearer_token(value);
  return token ? std::string(*token) : std::string();
}

}  // namespace crdex::server
